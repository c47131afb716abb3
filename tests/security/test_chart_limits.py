"""Charts cannot be used to starve others: each caller has at most two charts being drawn at
once (a third is 429 with Retry-After), drawing happens after the request's database work
(its turn and connection given back), and a chart already drawn for anyone with the same
data is not drawn again."""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest

from app.api.render import charts
from app.api.routes import reports as report_routes
from tests.factories import new_person, new_team


@pytest.fixture
def gate(monkeypatch):
    """Drawing waits until the test opens the gate; each drawing is counted."""
    opened = threading.Event()
    drawn: list[charts.Chart] = []

    def draw(chart):
        drawn.append(chart)
        opened.wait(timeout=30)
        return b'<svg xmlns="http://www.w3.org/2000/svg"/>'

    monkeypatch.setattr(charts, "draw", draw)
    monkeypatch.setattr(report_routes, "CHARTS", charts.ChartCache(size=64))
    monkeypatch.setattr(report_routes, "SLOTS", charts.CallerSlots(per_caller=2))
    return opened, drawn


def _world(db):
    lead = new_person(db, roles=["team_lead"])
    other_lead = new_person(db, roles=["team_lead"])
    members = [new_person(db) for _ in range(3)]
    teams = [new_team(db, members=members, lead=lead, name=f"Team {i}") for i in range(3)]
    other = new_team(db, members=members, lead=other_lead, name="Other")
    return lead, other_lead, teams, other


async def _until(condition) -> None:
    for _ in range(3000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never held")


def test_a_third_chart_at_once_is_429_and_others_are_still_served(app, db, as_, gate):
    opened, drawn = gate
    lead, other_lead, teams, other = _world(db)
    svg = {"Accept": "image/svg+xml"}

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gps") as client:
            def chart(who, team):
                return asyncio.create_task(client.get(
                    f"/v1/reports/teams/{team.id}", headers={**as_(who), **svg}))
            first = [chart(lead, teams[0]), chart(lead, teams[1])]
            await _until(lambda: report_routes.SLOTS.held(f"person:{lead.id}") == 2)
            third = await client.get(f"/v1/reports/teams/{teams[2].id}",
                                     headers={**as_(lead), **svg})
            # Another caller, and the same caller's JSON, are served meanwhile.
            theirs = chart(other_lead, other)
            await _until(lambda: report_routes.SLOTS.held(f"person:{other_lead.id}") == 1)
            as_json = await client.get(f"/v1/reports/teams/{teams[2].id}", headers=as_(lead))
            opened.set()
            return third, as_json, await asyncio.gather(*first, theirs)

    third, as_json, served = asyncio.run(scenario())
    assert third.status_code == 429
    assert third.headers["content-type"] == "application/problem+json"
    assert third.headers["retry-after"] == "1"
    assert as_json.status_code == 200
    assert [a.status_code for a in served] == [200, 200, 200]
    assert all(a.headers["content-type"].startswith("image/svg+xml") for a in served)
    assert len(drawn) == 3
    assert report_routes.SLOTS.held(f"person:{lead.id}") == 0


def test_charts_are_drawn_after_the_turn_is_given_back(app, db, as_, gate, monkeypatch):
    """Two charts being drawn do not hold the turns other requests need."""
    opened, _ = gate
    lead, _, teams, _ = _world(db)
    if app.middleware_stack is None:  # built on the first request, as Starlette does
        app.middleware_stack = app.build_middleware_stack()
    edge = app.middleware_stack
    while type(edge).__name__ != "ConcurrencyLimitMiddleware":
        edge = edge.app
    monkeypatch.setattr(edge, "limit", 2)
    monkeypatch.setattr(edge, "_semaphores", type(edge._semaphores)())

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gps") as client:
            drawing = [asyncio.create_task(client.get(
                f"/v1/reports/teams/{team.id}", headers={**as_(lead), "Accept": "image/svg+xml"}))
                for team in teams[:2]]
            await _until(lambda: report_routes.SLOTS.held(f"person:{lead.id}") == 2)
            # Both turns would be taken if drawing held them: this would wait, then 503.
            me = await client.get("/v1/me", headers=as_(lead))
            opened.set()
            return me, await asyncio.gather(*drawing)

    me, drawn = asyncio.run(scenario())
    assert me.status_code == 200
    assert [a.status_code for a in drawn] == [200, 200]


def test_the_same_chart_is_drawn_once_for_everyone(client, db, as_, gate):
    opened, drawn = gate
    opened.set()
    lead = new_person(db, roles=["team_lead"])
    chain = new_person(db, band="8b")
    members = [new_person(db, line_manager=chain) for _ in range(3)]
    team = new_team(db, members=members, lead=lead, name="Shared")
    svg = {"Accept": "image/svg+xml"}
    for who in (lead, chain, lead):
        answer = client.get(f"/v1/reports/teams/{team.id}", headers={**as_(who), **svg})
        assert answer.status_code == 200, answer.text
    assert len(drawn) == 1
    # Different data (another team's name) is another chart.
    other = new_team(db, members=members, lead=lead, name="Shared too")
    client.get(f"/v1/reports/teams/{other.id}", headers={**as_(lead), **svg})
    assert len(drawn) == 2


def test_the_cache_keeps_the_most_recent():
    cache = charts.ChartCache(size=2)
    keys = [charts.TeamChart(title=str(i), people_covered=3, period_type="week", bars=())
            for i in range(3)]
    cache.put(keys[0], b"0")
    cache.put(keys[1], b"1")
    assert cache.get(keys[0]) == b"0"  # now the most recent
    cache.put(keys[2], b"2")
    assert cache.get(keys[1]) is None and cache.get(keys[0]) == b"0" and len(cache) == 2

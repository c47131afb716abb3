"""The HR objective-completions feed: never skips, never repeats, JSON or CSV."""

from __future__ import annotations

import csv
import io
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from app.db.growth import HrEvent, Objective
from app.db.models import id_of
from app.services.growth import objectives

FEED = "/v1/hr/objective-completions"


def _events(db, owner, n, *, start=None):
    start = start or datetime(2026, 10, 1, 9, tzinfo=UTC)
    objective = Objective(person_id=owner.id, title="Cut page load time", quarter="2026-Q4",
                          twenty_percent_time=True, status="completed")
    db.add(objective)
    db.commit()
    for i in range(n):
        db.add(HrEvent(event_type="objective.completed" if i % 3 else "objective.reopened",
                       occurred_at=start + timedelta(minutes=i), objective_id=id_of(objective),
                       person_id=owner.id, employee_number=owner.employee_number,
                       title=f"Objective {i}", quarter="2026-Q4", twenty_percent_time=True))
    db.commit()


@pytest.fixture
def hr_client(client, org, as_):
    created = client.post("/v1/service-accounts", headers=as_(org["admin"]),
                          json={"name": "HR system", "scopes": ["hr.feed:read"]}).json()
    token = client.post("/v1/auth/token", data={
        "grant_type": "client_credentials", "client_id": created["client_id"],
        "client_secret": created["client_secret"]}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def test_paging_with_a_small_limit_gets_every_event_exactly_once(client, org, db, hr_client):
    _events(db, org["dev"], 23)
    seen, cursor = [], None
    while True:
        params = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        page = client.get(FEED, headers=hr_client, params=params).json()
        seen += [item["event_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    assert len(seen) == 23 and len(set(seen)) == 23 and seen == sorted(seen)
    # Polling later with the last cursor gets only what is new.
    _events(db, org["dev"], 2, start=datetime(2026, 11, 1, tzinfo=UTC))
    later = client.get(FEED, headers=hr_client, params={"cursor": cursor}).json()
    assert [i["title"] for i in later["items"]] == ["Objective 0", "Objective 1"]


def test_items_carry_the_hr_identifiers(client, org, db, hr_client):
    _events(db, org["dev"], 1)
    [item] = client.get(FEED, headers=hr_client).json()["items"]
    assert item["employee_number"] == "000042"  # a string, leading zeros kept
    assert item["type"] == "objective.reopened" and item["quarter"] == "2026-Q4"
    assert item["person_id"] == org["dev"].id and item["occurred_at"].endswith("Z")


def test_since_is_another_starting_point(client, org, db, hr_client):
    _events(db, org["dev"], 10)
    page = client.get(FEED, headers=hr_client,
                      params={"since": "2026-10-01T09:07:00Z"}).json()
    assert [i["title"] for i in page["items"]] == ["Objective 7", "Objective 8", "Objective 9"]


def test_csv_gives_the_same_page_with_the_cursor_in_a_header(client, org, db, hr_client):
    _events(db, org["dev"], 7)
    as_json = client.get(FEED, headers=hr_client, params={"limit": 5}).json()
    as_csv = client.get(FEED, headers={**hr_client, "Accept": "text/csv"},
                        params={"limit": 5})
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [int(r["event_id"]) for r in rows] == [i["event_id"] for i in as_json["items"]]
    assert rows[0]["employee_number"] == "000042"
    assert as_csv.headers["next-cursor"] == as_json["next_cursor"]
    assert as_csv.headers["has-more"] == "true"
    rest = client.get(FEED, headers={**hr_client, "Accept": "text/csv"},
                      params={"cursor": as_csv.headers["next-cursor"], "limit": 5})
    assert [r["title"] for r in csv.DictReader(io.StringIO(rest.text))] == [
        "Objective 5", "Objective 6"]
    assert rest.headers["has-more"] == "false"
    caught_up = client.get(FEED, headers={**hr_client, "Accept": "text/csv"},
                           params={"cursor": rest.headers["next-cursor"]})
    assert list(csv.DictReader(io.StringIO(caught_up.text))) == []
    assert caught_up.headers["next-cursor"] == rest.headers["next-cursor"]


def test_the_feed_is_for_the_hr_scope(client, org, as_, hr_client):
    assert client.get(FEED, headers=as_(org["dev"])).status_code == 403
    assert client.get(FEED, headers=as_(org["admin"])).status_code == 200
    assert client.get(FEED).status_code == 401
    assert client.get(FEED, headers=hr_client, params={"limit": 1001}).status_code == 422


@pytest.mark.postgres_only
def test_out_of_order_commits_never_let_a_poller_skip_an_event(app, client, org, db, hr_client):
    """Transaction A draws an event id and holds; B starts after it. Whatever order they
    finish in, a poller that reads in between never moves past A's event."""
    objective = Objective(person_id=org["dev"].id, title="x", quarter="2026-Q4",
                          twenty_percent_time=True, status="completed")
    db.add(objective)
    db.commit()

    def event(title):
        return HrEvent(event_type="objective.completed", occurred_at=datetime.now(UTC),
                       objective_id=id_of(objective), person_id=org["dev"].id, title=title,
                       quarter="2026-Q4", twenty_percent_time=True)

    a_inserted, release_a, b_done = threading.Event(), threading.Event(), threading.Event()

    def writer_a():
        with Session(app.state.engine) as session:
            objectives.serialise_feed_writers(session)
            session.add(event("A"))
            session.flush()
            a_inserted.set()
            release_a.wait(10)
            session.commit()

    def writer_b():
        a_inserted.wait(10)
        with Session(app.state.engine) as session:
            objectives.serialise_feed_writers(session)  # waits for A
            session.add(event("B"))
            session.commit()
        b_done.set()

    threads = [threading.Thread(target=writer_a), threading.Thread(target=writer_b)]
    for t in threads:
        t.start()
    a_inserted.wait(10)
    b_done.wait(0.5)  # give B every chance to commit first
    early = client.get(FEED, headers=hr_client).json()
    assert early["items"] == [], "a later event became visible before an earlier one"
    release_a.set()
    for t in threads:
        t.join(10)
    titles = [i["title"] for i in client.get(FEED, headers=hr_client).json()["items"]]
    assert titles == ["A", "B"]
    assert db.exec(select(HrEvent)).all().__len__() == 2

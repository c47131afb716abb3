"""More requests at once than a process has database connections: they are served in turn,
never stalled; one that waits too long for its turn is told to retry, and nothing waits
behind requests that need no database."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from app.api.middleware import ConcurrencyLimitMiddleware
from app.main import create_app
from app.settings import Settings
from tests.factories import bearer, new_person

BURST = 80


@pytest.fixture
def small_pool_app(settings: Settings, migrated: None, engine) -> Iterator[FastAPI]:
    """GPS with one pooled connection (and the overflow): a burst of BURST requests is seven
    times what it can connect at once, and twice its worker threads."""
    application = create_app(settings.model_copy(update={
        "database_pool_size": 1, "database_pool_timeout_seconds": 3}))
    yield application
    application.state.engine.dispose()


async def _burst(app: FastAPI, requests: list[tuple[str, dict[str, str]]]) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gps") as client:
        return await asyncio.gather(*(client.get(path, headers=headers)
                                      for path, headers in requests))


def test_a_burst_larger_than_the_pool_is_served_in_full(small_pool_app, db, settings):
    """Unbounded, each request holds its connection while it waits for a worker thread, and
    the threads wait for connections: the burst stalls until the pool timeout fails it."""
    people = [new_person(db) for _ in range(4)]
    requests = [("/v1/objectives", bearer(settings, people[i % 4])) for i in range(BURST)]
    answers = asyncio.run(_burst(small_pool_app, requests))
    assert [a.status_code for a in answers] == [200] * BURST, \
        {a.status_code: a.text[:200] for a in answers if a.status_code != 200}


class _Held:
    """An inner app whose requests wait until released, counting how many run at once."""

    def __init__(self) -> None:
        self.running = 0
        self.most = 0
        self.release = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not scope["path"].startswith("/v1/"):
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"{}"})
            return
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            await self.release.wait()
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"{}"})
        finally:
            self.running -= 1


def test_no_more_than_the_limit_are_served_at_once_and_the_rest_wait_their_turn():
    async def scenario() -> tuple[int, list[int]]:
        inner = _Held()
        app = ConcurrencyLimitMiddleware(inner, limit=3, wait_seconds=30)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://gps") as client:
            calls = [asyncio.create_task(client.get(f"/v1/people/{i}")) for i in range(12)]
            while inner.running < 3:
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.1)
            assert inner.running == 3
            inner.release.set()
            answers = await asyncio.gather(*calls)
        return inner.most, [a.status_code for a in answers]

    most, statuses = asyncio.run(scenario())
    assert most == 3
    assert statuses == [200] * 12


def test_a_request_that_waits_too_long_is_told_to_retry_and_liveness_never_waits():
    async def scenario() -> tuple[httpx.Response, httpx.Response, httpx.Response]:
        inner = _Held()
        app = ConcurrencyLimitMiddleware(inner, limit=1, wait_seconds=0.2)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://gps") as client:
            first = asyncio.create_task(client.get("/v1/objectives"))
            while inner.running < 1:
                await asyncio.sleep(0.01)
            turned_away = await client.get("/v1/objectives")
            # Liveness needs no database: it is answered while the one turn is taken.
            live = await client.get("/healthz")
            inner.release.set()
            return await first, turned_away, live

    first, turned_away, live = asyncio.run(scenario())
    assert first.status_code == 200
    assert live.status_code == 200
    assert turned_away.status_code == 503
    assert turned_away.headers["content-type"] == "application/problem+json"
    assert int(turned_away.headers["retry-after"]) > 0
    problem = turned_away.json()
    assert problem["type"] == "/problems/busy"
    assert "Nothing was changed" in problem["detail"]
    assert "retry" in problem["detail"]


def test_the_limit_cannot_exceed_the_connections_a_process_may_open(database_url):
    with pytest.raises(ValueError, match="GPS_MAX_CONCURRENT_REQUESTS must be at most"):
        Settings(database_url=database_url, database_pool_size=2, max_concurrent_requests=13)
    assert Settings(database_url=database_url, database_pool_size=2,
                    max_concurrent_requests=12).request_concurrency == 12

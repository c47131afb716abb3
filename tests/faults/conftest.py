"""Fault tests: a second GPS on the test database whose connections pass through a proxy
that can cut the path (the database went down) or blackhole it (a network partition).

The session's own `app`, `client` and `db` keep talking to the database directly, so a test
arranges data and checks outcomes with them while the proxied app suffers the fault.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.db.models import metadata
from app.main import create_app
from app.settings import Settings
from tests import figures
from tests.faults.kinds import SIGNS_IN
from tests.faults.proxy import FaultProxy

T = TypeVar("T")

# How long a request may take before the test calls it hung. A safety net that turns a hang
# into a failure instead of a stuck run; never a measure of speed.
GENEROUS_SECONDS = 60.0

# Small bounds, so that faults are noticed quickly; small pools, as the server is shared.
FAULT_SETTINGS: dict[str, Any] = dict(
    database_pool_size=2,
    database_connect_timeout_seconds=2,
    database_statement_timeout_seconds=2,
    database_idle_transaction_timeout_seconds=5,
    database_pool_timeout_seconds=1,
)

PROBLEM_MEMBERS = {"type", "title", "status", "detail", "instance", "request_id"}
# What an answer must never show: driver, library, server or address details.
LEAKS = ("traceback", "psycopg", "sqlalchemy", "operationalerror", "sqlite", "server closed",
         "connection", "127.0.0.1", "postgres", "select ", "insert ", "update ")


@pytest.fixture
def survived() -> Callable[[str], None]:
    """`survived("what was broken, and what held")`: count one fault scenario for this test.

    A scenario is one fault injected and everything about it checked afterwards (the answer,
    what was written, the recovery); only tests that pass count (tests/figures.py).
    """
    return lambda scenario: figures.record("fault scenarios survived")


@pytest.fixture
def proxy(database_url: str) -> Iterator[FaultProxy]:
    url = make_url(database_url)
    with FaultProxy(host=url.host or "127.0.0.1", port=url.port or 5432) as running:
        yield running


@pytest.fixture
def callers(org, as_, db, person) -> dict:
    """The `org` department, a person who signs in with a password, and request headers
    (see kinds.py)."""
    org["peer"].email = "peer@example.org"  # GitHub knows the peer by e-mail only
    db.add(org["peer"])
    db.commit()
    person(login=True, email=SIGNS_IN)
    return {"org": org, "dev": as_(org["dev"]), "admin": as_(org["admin"])}


def proxied_settings(settings: Settings, proxy: FaultProxy, **overrides: Any) -> Settings:
    url = make_url(settings.database_url).set(host=proxy.host, port=proxy.port)
    return settings.model_copy(update={
        "database_url": url.render_as_string(hide_password=False),
        **FAULT_SETTINGS, **overrides})


@pytest.fixture
def faulty_app(settings: Settings, migrated: None, engine, proxy: FaultProxy
               ) -> Iterator[FastAPI]:
    """GPS with the same database and secrets as the session's app, through the proxy.

    (Depending on `engine` makes the tables be emptied after the test, as for every test.)
    """
    application = create_app(proxied_settings(settings, proxy))
    yield application
    application.state.engine.dispose()


@contextmanager
def client_of(application: FastAPI, proxy: FaultProxy) -> Iterator[TestClient]:
    with TestClient(application, raise_server_exceptions=False) as test_client:
        try:
            yield test_client
        finally:
            # A request still waiting on the path (a test that failed) would keep the client
            # from stopping: drop the path first.
            proxy.cut()


@pytest.fixture
def faulty_client(faulty_app: FastAPI, proxy: FaultProxy) -> Iterator[TestClient]:
    with client_of(faulty_app, proxy) as test_client:
        yield test_client


def call_bounded(call: Callable[[], T], *, timeout: float = GENEROUS_SECONDS) -> T:
    """Run `call` in a thread and return its result; fail, instead of hanging, if it never
    returns."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # re-raised in the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="bounded-call", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        pytest.fail(f"no answer in {timeout:.0f} s: the call hangs")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def assert_unavailable(answer: Response) -> None:
    """A 503 problem that tells the caller to retry, and nothing about the insides."""
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert int(answer.headers["retry-after"]) > 0
    body = answer.json()
    assert set(body) == PROBLEM_MEMBERS, body
    assert body["type"] == "/problems/database-unavailable" and body["status"] == 503
    text = answer.text.lower()
    assert not [leak for leak in LEAKS if leak in text], answer.text


def row_counts(db: Session) -> dict[str, int]:
    """How many rows every table holds: equal before and after means nothing was written."""
    return {table.name: db.execute(select(func.count()).select_from(table)).scalar_one()
            for table in metadata.sorted_tables}

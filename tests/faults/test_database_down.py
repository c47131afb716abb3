"""The database goes down (every connection closed, new ones refused) and comes back, while
the same GPS keeps running: every kind of request is a 503 that says to retry and writes
nothing, and once the database is back the same app answers as if nothing had happened."""

from __future__ import annotations

import pytest
from httpx import Response
from sqlalchemy import event
from sqlmodel import select

from app.db.growth import Objective
from tests.faults.conftest import assert_unavailable, call_bounded, row_counts
from tests.faults.kinds import KINDS

pytestmark = pytest.mark.postgres_only


@pytest.mark.parametrize("kind", KINDS)
def test_while_the_database_is_down_each_kind_of_request_is_a_503_then_succeeds_again(
        kind, faulty_client, proxy, callers, db, survived):
    request = KINDS[kind]
    assert faulty_client.get("/v1/me", headers=callers["dev"]).status_code == 200  # pool warm
    before = row_counts(db)

    proxy.cut()
    assert_unavailable(call_bounded(lambda: request.send(faulty_client, callers)))
    assert row_counts(db) == before  # nothing written, not even in part
    not_ready = faulty_client.get("/readyz")
    assert not_ready.status_code == 503 and not_ready.headers["retry-after"]
    assert not_ready.json()["database"] is False
    assert faulty_client.get("/healthz").status_code == 200

    proxy.restore()
    answer = request.send(faulty_client, callers)
    assert answer.status_code == request.succeeds_with, answer.text
    assert faulty_client.get("/readyz").json()["status"] == "ready"
    assert request.effect(db) == request.expected_effect
    survived(f"database down: {kind}")


def test_the_first_request_after_the_database_returns_succeeds(
        faulty_client, faulty_app, proxy, callers, db, survived):
    """Every pooled connection died with the database; none of them is handed to a request."""
    engine = faulty_app.state.engine
    with engine.connect(), engine.connect():  # fill the pool: two connections, both idle after
        pass
    assert engine.pool.checkedin() == 2
    proxy.cut()
    proxy.restore()
    # No request saw the outage, so nothing has told the pool its connections are dead.
    read = faulty_client.get("/v1/me", headers=callers["dev"])
    assert read.status_code == 200, read.text
    write = KINDS["write"].send(faulty_client, callers)
    assert write.status_code == 201, write.text
    assert faulty_client.get("/readyz").status_code == 200
    survived("database restarted between two requests: the next ones succeed")


def test_a_write_cut_off_at_its_commit_leaves_nothing_and_can_be_retried(
        faulty_client, faulty_app, proxy, callers, db, survived):
    def cut_before_commit(_connection):
        proxy.cut()

    event.listen(faulty_app.state.engine, "commit", cut_before_commit)
    try:
        assert_unavailable(call_bounded(lambda: KINDS["write"].send(faulty_client, callers)))
    finally:
        event.remove(faulty_app.state.engine, "commit", cut_before_commit)
    assert db.exec(select(Objective)).all() == []
    proxy.restore()
    assert KINDS["write"].send(faulty_client, callers).status_code == 201
    assert len(db.exec(select(Objective)).all()) == 1
    survived("database down at a write's commit")


def test_a_keyed_write_cut_off_after_its_key_was_claimed_runs_once_on_retry(
        faulty_client, faulty_app, proxy, callers, db, survived):
    """The key could not be released while the database was down; the client's retry with
    the same key is not told the first request is still running, and writes once."""
    def send() -> Response:
        return KINDS["write with an Idempotency-Key"].send(faulty_client, callers)

    def cut_at_the_insert(_conn, _cursor, statement, *_args):
        if statement.startswith("INSERT INTO objective"):
            proxy.cut()

    event.listen(faulty_app.state.engine, "before_cursor_execute", cut_at_the_insert)
    try:
        assert_unavailable(call_bounded(send))
    finally:
        event.remove(faulty_app.state.engine, "before_cursor_execute", cut_at_the_insert)
    proxy.restore()
    first, again = send(), send()
    assert first.status_code == 201, first.text
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert len(db.exec(select(Objective)).all()) == 1
    survived("database down after an idempotency key was claimed")

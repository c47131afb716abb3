"""A network partition: the path to PostgreSQL stays open but carries nothing, so no error
ever arrives by itself. GPS must give up within its configured bounds (connect timeout,
statement timeout, pool timeout) and answer 503, keep answering other requests meanwhile, and
must not leave locks behind that the other replicas wait for.

The bounds are set small here (tests/faults/conftest.py); a request that would wait forever
without them fails the test through `call_bounded` instead of hanging the run.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlmodel import select

from app.db.growth import HrEvent, Objective
from app.main import create_app
from tests.faults.conftest import (GENEROUS_SECONDS, assert_unavailable, call_bounded,
                                   client_of, proxied_settings, row_counts)
from tests.faults.kinds import KINDS

pytestmark = pytest.mark.postgres_only


@pytest.mark.parametrize("kind", ["authenticated read", "write", "sign-in", "Jira delivery"])
def test_during_a_partition_each_kind_of_request_is_a_503_then_succeeds_again(
        kind, faulty_client, proxy, callers, db, survived):
    request = KINDS[kind]
    assert faulty_client.get("/v1/me", headers=callers["dev"]).status_code == 200  # pool warm
    before = row_counts(db)

    proxy.blackhole()
    # The pooled connection's check never gets an answer, nor does a new connection.
    assert_unavailable(call_bounded(lambda: request.send(faulty_client, callers)))
    assert row_counts(db) == before
    not_ready = call_bounded(lambda: faulty_client.get("/readyz"))
    assert not_ready.status_code == 503 and not_ready.json()["database"] is False
    assert faulty_client.get("/healthz").status_code == 200

    proxy.restore()
    answer = request.send(faulty_client, callers)
    assert answer.status_code == request.succeeds_with, answer.text
    assert faulty_client.get("/readyz").json()["status"] == "ready"
    assert request.effect(db) == request.expected_effect
    survived(f"network partition: {kind}")


@pytest.fixture
def patient_client(settings, migrated, engine, proxy) -> Iterator[TestClient]:
    """A proxied GPS with the default, long statement timeout: a request caught in a partition
    stays caught until the test heals it."""
    application = create_app(proxied_settings(settings, proxy,
                                              database_statement_timeout_seconds=30))
    with client_of(application, proxy) as test_client:
        yield test_client
    application.state.engine.dispose()


# Where the partition strikes: the first statement of the work done after reading the body.
STALLS = {"Jira delivery": "INSERT INTO webhook_delivery",
          "GitHub push": "INSERT INTO webhook_delivery",
          "write with an Idempotency-Key": "",  # the key is claimed before anything else
          "CSV import": "INSERT INTO person"}


@pytest.mark.parametrize("kind", STALLS)
def test_a_request_caught_in_a_partition_does_not_stall_the_others(
        kind, patient_client, proxy, callers, survived):
    """Routes that read the body before touching the database run their database work in a
    worker thread: one request waiting on the database never stops the process answering."""
    engine = patient_client.app.state.engine
    caught = threading.Event()

    def partition_at(_conn, _cursor, statement, *_args):
        if not caught.is_set() and statement.startswith(STALLS[kind]):
            proxy.blackhole()
            caught.set()

    answers = []
    stuck = threading.Thread(target=lambda: answers.append(
        KINDS[kind].send(patient_client, callers)), daemon=True)
    event.listen(engine, "before_cursor_execute", partition_at)
    try:
        stuck.start()
        assert caught.wait(GENEROUS_SECONDS)
        alive = call_bounded(lambda: patient_client.get("/healthz"))
        assert alive.status_code == 200
        assert stuck.is_alive()  # answered while the other request still waits
    finally:
        event.remove(engine, "before_cursor_execute", partition_at)
        proxy.restore()
    stuck.join(GENEROUS_SECONDS)
    # What was sent during the partition arrives once it heals, and is answered in full.
    assert answers and answers[0].status_code == KINDS[kind].succeeds_with, answers
    survived(f"network partition: the process keeps answering during a {kind}")


def test_liveness_answers_while_every_worker_thread_waits_on_the_database(
        patient_client, proxy, callers, survived):
    """/healthz needs no worker thread: a process whose threads all wait on an unreachable
    database is alive, and restarting it would not bring the database back."""
    engine = patient_client.app.state.engine

    def one_worker_thread() -> None:
        anyio.to_thread.current_default_thread_limiter().total_tokens = 1

    patient_client.portal.call(one_worker_thread)
    caught = threading.Event()

    def partition(*_args):
        if not caught.is_set():
            proxy.blackhole()
            caught.set()

    answers = []
    stuck = threading.Thread(target=lambda: answers.append(
        patient_client.get("/v1/me", headers=callers["dev"])), daemon=True)
    event.listen(engine, "before_cursor_execute", partition)
    try:
        stuck.start()
        assert caught.wait(GENEROUS_SECONDS)
        assert call_bounded(lambda: patient_client.get("/healthz")).status_code == 200
        assert stuck.is_alive()
    finally:
        event.remove(engine, "before_cursor_execute", partition)
        proxy.restore()
    stuck.join(GENEROUS_SECONDS)
    assert answers and answers[0].status_code == 200
    survived("network partition with every worker thread waiting: liveness still answers")


def _agreed(db, owner, title):
    objective = Objective(person_id=owner.id, title=title, quarter="2026-Q1",
                          twenty_percent_time=True, status="agreed")
    db.add(objective)
    db.commit()
    return objective


def test_a_replica_cut_off_mid_transaction_does_not_lock_out_the_others(
        faulty_client, faulty_app, client, proxy, callers, db, survived):
    """Completing an objective takes the HR feed writers' lock. A replica partitioned while
    holding it must not block every other replica's completions: the server ends the silent
    session (idle-in-transaction timeout) and the lock is free again."""
    dev, org = callers["dev"], callers["org"]
    cut_off, other = _agreed(db, org["dev"], "Cut off"), _agreed(db, org["dev"], "Other")
    locked = threading.Event()
    statements: list[str] = []

    def partition_after_the_lock(_conn, _cursor, statement, *_args):
        if locked.is_set():
            return
        if statements and "pg_advisory_xact_lock" in statements[-1]:
            proxy.blackhole()  # the lock is held; the next statement never arrives
            locked.set()
        statements.append(statement)

    complete = {"note": "Done and dusted"}
    answers = []
    event.listen(faulty_app.state.engine, "before_cursor_execute", partition_after_the_lock)
    partitioned = threading.Thread(target=lambda: answers.append(faulty_client.post(
        f"/v1/objectives/{cut_off.id}/complete", headers=dev, json=complete)), daemon=True)
    try:
        partitioned.start()
        assert locked.wait(GENEROUS_SECONDS)
        # Another replica (the session's app, straight to the database) needs the same lock.
        elsewhere = call_bounded(lambda: client.post(
            f"/v1/objectives/{other.id}/complete", headers=dev, json=complete))
        assert elsewhere.status_code == 200, elsewhere.text
        partitioned.join(GENEROUS_SECONDS)
        assert answers, "the partitioned request never ended"
        assert_unavailable(answers[0])
    finally:
        event.remove(faulty_app.state.engine, "before_cursor_execute", partition_after_the_lock)
        proxy.restore()
    assert [e.objective_id for e in db.exec(select(HrEvent))] == [other.id]
    retry = faulty_client.post(f"/v1/objectives/{cut_off.id}/complete", headers=dev,
                               json=complete)
    assert retry.status_code == 200, retry.text
    assert sorted(e.objective_id for e in db.exec(select(HrEvent))) == sorted(
        [other.id, cut_off.id])
    survived("network partition while holding the HR feed lock: other replicas carry on")


def test_when_no_pooled_connection_comes_free_a_request_is_a_503(
        faulty_client, faulty_app, callers, survived):
    """Every connection the pool may open is taken (by requests stuck on a slow database, say):
    the next request waits for the pool timeout, then is told to retry."""
    engine = faulty_app.state.engine
    taken = [engine.connect() for _ in range(engine.pool.size() + engine.pool._max_overflow)]
    try:
        assert_unavailable(call_bounded(
            lambda: faulty_client.get("/v1/me", headers=callers["dev"])))
    finally:
        for connection in taken:
            connection.close()
    assert faulty_client.get("/v1/me", headers=callers["dev"]).status_code == 200
    survived("connection pool exhausted")

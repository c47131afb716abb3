"""SQLite's own faults: a writer that holds the lock past the busy timeout, and a database file
that cannot be opened or is not a database. Each is a 503 that says to retry, never a 500, and
the same app recovers once the cause is gone."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.db import migrate
from app.db.growth import Objective
from app.db.models import Person
from app.main import create_app
from app.settings import Settings
from tests.factories import bearer, new_person
from tests.faults.conftest import assert_unavailable, call_bounded

OBJECTIVE = {"title": "Faster builds", "quarter": "2026-Q1"}


@pytest.fixture(autouse=True)
def _sqlite_run(db_kind: str) -> None:
    if db_kind != "sqlite":
        pytest.skip("SQLite faults: run with --db=sqlite")


@pytest.fixture
def quick_app(settings: Settings, migrated: None, engine) -> Iterator[FastAPI]:
    """A second GPS on the run's SQLite database that waits only a second for a lock."""
    application = create_app(settings.model_copy(update={
        "database_statement_timeout_seconds": 1}))
    yield application
    application.state.engine.dispose()


def test_a_write_that_waits_past_the_busy_timeout_is_a_503_and_reads_carry_on(
        quick_app, settings, org, as_, db, survived):
    path = settings.sqlite_path()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the database's write lock
    try:
        with TestClient(quick_app, raise_server_exceptions=False) as client:
            assert_unavailable(call_bounded(lambda: client.post(
                "/v1/objectives", headers=as_(org["dev"]), json=OBJECTIVE)))
            # Readers never wait for writers.
            assert client.get("/v1/me", headers=as_(org["dev"])).status_code == 200
            holder.execute("ROLLBACK")
            created = client.post("/v1/objectives", headers=as_(org["dev"]), json=OBJECTIVE)
            assert created.status_code == 201, created.text
    finally:
        holder.close()
    assert len(db.exec(select(Objective)).all()) == 1
    survived("SQLite locked by another writer past the busy timeout")


def _unusable_then_repaired(path: Path, settings: Settings, spoil) -> None:
    spoil(path)
    url = f"sqlite:///{path}"
    application = create_app(settings.model_copy(update={"database_url": url}))
    try:
        with TestClient(application, raise_server_exceptions=False) as client:
            # A valid token, so that the database is the first thing to fail.
            someone = bearer(settings, Person(id=1, name="A", email="a@example.org",
                                              kind="employee", roles=[]))
            assert_unavailable(client.get("/v1/me", headers=someone))
            assert_unavailable(client.post("/v1/auth/token", data={
                "grant_type": "password", "username": "a@example.org", "password": "x" * 12}))
            not_ready = client.get("/readyz")
            assert not_ready.status_code == 503 and not_ready.json()["database"] is False
            assert client.get("/healthz").status_code == 200

            # Repaired (restored from backup, say): the same app answers again.
            if path.is_dir():
                path.rmdir()
            else:
                path.unlink()
            migrate.upgrade(url)
            with Session(application.state.engine) as session:
                who = new_person(session, login=True)
                headers = bearer(settings, who)
            assert client.get("/v1/me", headers=headers).status_code == 200
            assert client.get("/readyz").status_code == 200
    finally:
        application.state.engine.dispose()


def test_a_database_file_that_cannot_be_opened_is_a_503_until_it_can(
        tmp_path, settings, survived):
    _unusable_then_repaired(tmp_path / "gps.db", settings, lambda path: path.mkdir())
    survived("SQLite database file cannot be opened")


def test_a_file_that_is_not_a_database_is_a_503_until_replaced(tmp_path, settings, survived):
    _unusable_then_repaired(tmp_path / "gps.db", settings,
                            lambda path: path.write_bytes(b"not a database\n" * 512))
    survived("SQLite database file is not a database")

"""Test harness: a real database per test run (SQLite or PostgreSQL), migrated by Alembic.

Choose the database with `--db=sqlite` (default) or `--db=postgresql`. Each run (and each
xdist worker) makes its own database and drops it afterwards; tables are emptied after every
test. In CI (`CI=true`), a PostgreSQL that cannot be reached fails the run instead of
skipping it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db import migrate
from app.db.models import metadata
from app.main import create_app
from app.settings import Environment, Settings

pytest_plugins = ["tests.figures"]

DEFAULT_PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
JIRA_SECRET = "jira-webhook-secret-for-tests"
GITHUB_SECRET = "github-webhook-secret-for-tests"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--db", default=os.environ.get("GPS_TEST_DB", "sqlite"),
                     choices=["sqlite", "postgresql"], help="database to run the tests on")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--db") == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: run with --db=postgresql")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def db_kind(pytestconfig: pytest.Config) -> str:
    return str(pytestconfig.getoption("--db"))


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    return os.environ.get("GPS_TEST_POSTGRES_ADMIN_URL", DEFAULT_PG_ADMIN_URL)


@pytest.fixture(scope="session")
def database_url(db_kind: str, tmp_path_factory: pytest.TempPathFactory,
                 pg_admin_url: str) -> Iterator[str]:
    if db_kind == "sqlite":
        path: Path = tmp_path_factory.mktemp("db") / f"gps-{_worker()}.db"
        yield f"sqlite:///{path}"
        return
    name = f"gps_test_{_worker()}_{secrets.token_hex(4)}"
    try:
        admin = psycopg.connect(pg_admin_url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL is not reachable at {pg_admin_url}: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = pg_admin_url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(pg_admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(env=Environment.test, database_url=database_url,
                    jwt_secret=secrets.token_urlsafe(48), bootstrap_admin_email=None,
                    bootstrap_admin_password=None, max_body_bytes=64 * 1024,
                    jira_webhook_secret=JIRA_SECRET, github_webhook_secret=GITHUB_SECRET)


@pytest.fixture(scope="session")
def migrated(settings: Settings) -> None:
    migrate.upgrade(settings.sqlalchemy_url)


@pytest.fixture(scope="session")
def app(settings: Settings, migrated: None) -> Iterator[FastAPI]:
    application = create_app(settings)
    yield application
    application.state.engine.dispose()


@pytest.fixture(scope="session")
def engine(app: FastAPI) -> Engine:
    return app.state.engine


# Rows the migrations seed (the first policy version): kept, and put back as they were.
REFERENCE_TABLES = ("policy_target", "policy_version", "checklist_template")


@pytest.fixture(scope="session")
def reference_rows(engine: Engine) -> dict[str, list[dict]]:
    with engine.connect() as connection:
        return {name: [dict(row._mapping) for row in connection.execute(
            metadata.tables[name].select())] for name in REFERENCE_TABLES}


def _empty_tables(engine: Engine, reference: dict[str, list[dict]]) -> None:
    """Empty every table, then put the seeded reference rows back exactly as migrated.

    On PostgreSQL, TRUNCATE ... CASCADE also empties reference tables that point at emptied
    ones (checklist templates name their author), so seeded rows are re-inserted, and their
    id sequences moved past them. On SQLite, foreign keys are checked at commit, so the order
    of deletion does not matter.
    """
    tables = [t.name for t in reversed(metadata.sorted_tables) if t.name not in REFERENCE_TABLES]
    with engine.begin() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            # The audit log refuses TRUNCATE to everyone (migration 0009); the test server's
            # superuser sets triggers aside for this transaction's cleanup only.
            connection.execute(text("SET LOCAL session_replication_role = replica"))
            connection.execute(text(
                "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            connection.execute(text("PRAGMA defer_foreign_keys = ON"))
            for table_name in tables:
                connection.execute(text(f'DELETE FROM "{table_name}"'))
        for name in REFERENCE_TABLES:  # children first
            table = metadata.tables[name]
            ids = [row["id"] for row in reference[name]]
            connection.execute(table.delete().where(table.c.id.not_in(ids)))
        for name in reversed(REFERENCE_TABLES):  # parents first
            table = metadata.tables[name]
            present = set(connection.execute(select(table.c.id)).scalars())
            for row in reference[name]:
                if row["id"] in present:
                    connection.execute(table.update().where(table.c.id == row["id"]).values(**row))
                else:
                    connection.execute(table.insert().values(**row))
            if postgres and reference[name]:
                connection.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"(SELECT max(id) FROM \"{name}\"))"))


@pytest.fixture(autouse=True)
def _clean_database(request: pytest.FixtureRequest) -> Iterator[None]:
    engine = request.getfixturevalue("engine") if "app" in request.fixturenames else None
    reference = request.getfixturevalue("reference_rows") if engine is not None else None
    yield
    if engine is not None and reference is not None:
        _empty_tables(engine, reference)


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session for arranging data and checking outcomes. It autocommits each statement, so
    it never holds a lock or a stale snapshot while the app works."""
    with Session(bind=engine.execution_options(isolation_level="AUTOCOMMIT"),
                 expire_on_commit=False) as session:
        yield session


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


from tests.factories import *  # noqa: E402,F401,F403  (fixtures shared by every test module)

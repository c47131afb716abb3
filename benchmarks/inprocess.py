"""Measurements made inside this process: evaluating a quarter, and counting the SQL
statements a report costs (through the app itself, with a statement counter on its engine)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient
from sqlalchemy import event

from app.db.engine import make_engine, make_session_factory
from app.domain.vocabulary import PeriodType
from app.main import create_app
from app.services.support import evaluations
from app.services.kit.working_calendar import department_calendar
from app.settings import Settings


def evaluate_quarter(settings: Settings, quarter: str) -> tuple[float, dict[str, int]]:
    """Evaluate a quarter as `gps evaluate` does (one transaction); seconds and outcomes."""
    engine = make_engine(settings)
    try:
        with make_session_factory(engine)() as session:
            started = time.perf_counter()
            view = evaluations.run(session, period_type=PeriodType.quarter, period_key=quarter,
                                   calendar=department_calendar(settings))
            session.commit()
            return time.perf_counter() - started, view.counts
    finally:
        engine.dispose()


@contextmanager
def counting_client(settings: Settings) -> Iterator[tuple[TestClient, list[str]]]:
    """A client of the app on the benchmark's database, and the statements it runs."""
    app = create_app(settings)
    seen: list[str] = []

    def count(conn, cursor, statement, *args, **kwargs) -> None:
        if not statement.lstrip().upper().startswith("BEGIN"):
            seen.append(statement)

    event.listen(app.state.engine, "before_cursor_execute", count)
    try:
        with TestClient(app) as client:
            yield client, seen
    finally:
        app.state.engine.dispose()


def statements(client: TestClient, seen: list[str], url: str, headers: dict[str, str]) -> int:
    """Statements one request runs, once warm (SQLite's BEGIN not counted)."""
    answer = client.get(url, headers=headers)
    if answer.status_code != 200:
        raise RuntimeError(f"{url}: {answer.status_code} {answer.text[:300]}")
    seen.clear()
    client.get(url, headers=headers)
    return len(seen)

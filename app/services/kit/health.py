"""Readiness: can GPS reach its database, and is the schema at the latest migration?"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from app.db import migrate


@dataclass(frozen=True)
class Readiness:
    database: bool
    schema_current: bool
    detail: str

    @property
    def ready(self) -> bool:
        return self.database and self.schema_current


def check(engine: Engine) -> Readiness:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return Readiness(False, False, "The database cannot be reached.")
    try:
        with engine.connect() as connection:
            revision = connection.execute(
                text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        revision = None  # no migrations applied yet
    head = migrate.head_revision()
    if revision != head:
        return Readiness(True, False, f"The schema is at {revision or 'nothing'}, not {head}: "
                                      "run `gps db upgrade`.")
    return Readiness(True, True, "ready")

"""The history of a record a person can read: who changed what, when, and why.

Each change to an objective or an intervention writes one `record_change` row in the same
transaction as the change itself (services never commit), so the history never misses a
change that happened nor shows one that did not.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlmodel import Session, SQLModel, col, select

from app.db.models import RecordChange
from app.services.kit.pagination import Page, keyset_page


def _plain(value: Any) -> Any:
    """A value as JSON keeps it."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def snapshot(row: SQLModel, fields: tuple[str, ...]) -> dict[str, Any]:
    """The values of `fields` now, to compare with after a change."""
    return {name: _plain(getattr(row, name)) for name in fields}


def changed(before: Mapping[str, Any], row: SQLModel) -> dict[str, dict[str, Any]]:
    """The fields whose value differs from `before`, each with its before and after."""
    diff = {}
    for name, old in before.items():
        new = _plain(getattr(row, name))
        if new != old:
            diff[name] = {"before": old, "after": new}
    return diff


def created(row: SQLModel, fields: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """A new record's values, as the changes its creation made."""
    return {name: {"before": None, "after": value} for name, value
            in snapshot(row, fields).items() if value is not None}


def write(session: Session, *, record_type: str, record_id: int, actor_id: int | None,
          action: str, changes: dict[str, dict[str, Any]], note: str | None = None,
          at: datetime | None = None) -> RecordChange:
    """Record one change, in the caller's transaction."""
    entry = RecordChange(record_type=record_type, record_id=record_id, actor_id=actor_id,
                         action=action, changes=changes, note=note)
    if at is not None:
        entry.at = at
    session.add(entry)
    return entry


def list_changes(session: Session, *, record_type: str, record_id: int, cursor: str | None,
                 limit: int) -> Page[RecordChange]:
    """A record's history, oldest first (the caller has checked who may read it)."""
    stmt = select(RecordChange).where(col(RecordChange.record_type) == record_type,
                                      col(RecordChange.record_id) == record_id)
    return keyset_page(session, stmt, RecordChange.id, cursor=cursor, limit=limit)

"""The audit log: written here, in the caller's transaction, and never updated or deleted."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from app.db.duties import CaseRefusal
from app.db.models import AuditEntry, table_of
from app.db.types import utcnow
from app.domain.errors import AuditNote
from app.domain.access import Actor
from app.services.kit.context import current_request_id


def record(session: Session, *, actor: Actor | str, action: str, target_type: str,
           target_id: object | None, outcome: str = "ok",
           detail: dict[str, Any] | None = None) -> AuditEntry:
    entry = AuditEntry(
        actor=actor if isinstance(actor, str) else actor.label,
        action=action, target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        outcome=outcome, request_id=current_request_id(), detail=detail or {},
    )
    session.add(entry)
    return entry


def record_refusal(session: Session, note: AuditNote) -> None:
    """Write a refusal in its own transaction, after the refused request's work is undone.

    Refusals on a formal case are counted per caller, case and action: the first is an
    audit entry, every one counts in `case_refusal` (count, first and last time), so a
    caller probing a case cannot bury its real entries under their own.
    """
    session.rollback()
    first = True
    if note.target_type == "case" and note.target_id is not None:
        first = _count_case_refusal(session, note) == 1
    if first:
        record(session, actor=note.actor, action=note.action, target_type=note.target_type,
               target_id=note.target_id, outcome="refused")
    session.commit()


def _count_case_refusal(session: Session, note: AuditNote) -> int:
    """Count one refusal in one statement (safe when the same caller probes in parallel);
    return the count it reached."""
    now = utcnow()
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    table = table_of(CaseRefusal)
    stmt = insert(table).values(actor=note.actor[:100], case_ref=str(note.target_id)[:64],
                                action=note.action[:100], count=1, first_at=now, last_at=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=["actor", "case_ref", "action"],
        set_={"count": table.c.count + 1, "last_at": stmt.excluded.last_at})
    return int(session.execute(stmt.returning(table.c.count)).scalar_one())

"""The audit log: written here, in the caller's transaction, and never updated or deleted."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.db.models import AuditEntry
from app.domain.errors import AuditNote
from app.domain.policy import Actor
from app.services.context import current_request_id


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
    """Write a refusal in its own transaction, after the refused request's work is undone."""
    session.rollback()
    record(session, actor=note.actor, action=note.action, target_type=note.target_type,
           target_id=note.target_id, outcome="refused")
    session.commit()

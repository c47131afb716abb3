"""Evidence that integrations write and retract: idempotent by the source's own id."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.db.growth import Evidence
from app.db.types import utcnow
from app.domain.vocabulary import EvidenceKind, EvidenceSource
from app.services.growth import evidence as evidence_service


def upsert(session: Session, *, person_id: int, kind: EvidenceKind, source: EvidenceSource,
           external_id: str, occurred_on: date, title: str,
           details: dict[str, Any], restore: bool = True,
           serialized: bool = False) -> tuple[Evidence, bool]:
    """Record the evidence once per (source, external id, person). A retracted one comes back
    when `restore` (a Jira ticket moved back into Done); otherwise it stays retracted.

    `serialized`: the caller holds a lock that every writer of this evidence takes first (a
    Jira issue's row), so no concurrent delivery can insert it meanwhile and the insert needs
    no savepoint to recover from losing that race.

    Returns the evidence and whether anything changed.
    """
    existing = _find(session, source, external_id, person_id)
    if existing is None and serialized:
        created = evidence_service.add_evidence(
            session, person_id=person_id, kind=kind, source=source, occurred_on=occurred_on,
            title=title, external_id=external_id, details=details)
        return created, True
    if existing is None:
        try:
            with session.begin_nested():
                created = evidence_service.add_evidence(
                    session, person_id=person_id, kind=kind, source=source,
                    occurred_on=occurred_on, title=title, external_id=external_id,
                    details=details)
            return created, True
        except IntegrityError:
            # A concurrent delivery recorded it first: that one counts.
            existing = _find(session, source, external_id, person_id)
            assert existing is not None
    if existing.retracted_at is None or not restore:
        return existing, False
    existing.retracted_at = None
    existing.occurred_on, existing.title, existing.details = occurred_on, title, details
    existing.version += 1
    existing.updated_at = utcnow()
    session.add(existing)
    return existing, True


def retract(session: Session, *, source: EvidenceSource, external_id: str) -> int:
    """Retract every current piece of evidence with this source id; return how many."""
    found = session.exec(select(Evidence).where(
        Evidence.source == source.value, Evidence.external_id == external_id,
        col(Evidence.retracted_at).is_(None))).all()
    for item in found:
        item.retracted_at = utcnow()
        item.version += 1
        item.updated_at = item.retracted_at
        session.add(item)
    return len(found)


def _find(session: Session, source: EvidenceSource, external_id: str,
          person_id: int) -> Evidence | None:
    return session.exec(select(Evidence).where(
        Evidence.source == source.value, Evidence.external_id == external_id,
        Evidence.person_id == person_id)).first()

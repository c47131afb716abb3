"""Evaluations whose facts changed after they ran: marked when a fact is written through GPS,
found by their dates when an integration wrote it. `gps evaluate --stale` runs them again, so
a back-filled week or a retracted ticket reaches the results (and withdraws what no longer
stands) without anyone asking."""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, exists, or_, update
from sqlmodel import Session, col, select

from app.db.growth import Evidence
from app.db.support import Evaluation
from app.db.types import utcnow
from app.domain.vocabulary import EvidenceSource

def mark(session: Session, *, start: date, end: date | None = None) -> None:
    """Mark every evaluation of a period overlapping `start`..`end` as stale (one statement)."""
    end = end or start
    session.execute(update(Evaluation).where(
        col(Evaluation.stale_since).is_(None), col(Evaluation.period_start) <= end,
        col(Evaluation.period_end) >= start).values(stale_since=utcnow()))


def stale_evaluations(session: Session) -> list[Evaluation]:
    """Evaluations marked stale, and those with integration evidence written after their
    last run on a day they cover, oldest period first."""
    written_since = exists().where(
        col(Evidence.source) != EvidenceSource.manual.value,
        col(Evidence.updated_at) > col(Evaluation.evaluated_at),
        col(Evidence.occurred_on) >= col(Evaluation.period_start),
        col(Evidence.occurred_on) <= col(Evaluation.period_end))
    return list(session.exec(select(Evaluation).where(or_(
        col(Evaluation.stale_since).is_not(None),
        and_(col(Evaluation.evaluated_at).is_not(None), written_since)))
        .order_by(col(Evaluation.period_start), col(Evaluation.id))))

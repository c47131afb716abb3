"""Absences: periods a person was away, which excuse them from target evaluation."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from app.db.models import Absence
from app.domain.employment import Span, day_outside
from app.domain.errors import NotFound, RuleViolation
from app.domain.policy import Action, Actor, Record, authorize, require_scope
from app.domain.scopes import Scope
from app.domain.vocabulary import AbsenceKind
from app.services import people, staleness
from app.services.pagination import Page, keyset_page
from app.services.relationships import relations_to


def record_absence(session: Session, actor: Actor, *, person_id: int, kind: AbsenceKind,
                   start_date: date, end_date: date, note: str | None) -> Absence:
    """Record an absence (the person, their line manager, or an admin)."""
    require_scope(actor, Scope.absences)
    subject = people.get_or_404(session, person_id)
    authorize(actor, Record.absence, Action.write, relations_to(session, actor, subject),
              what="person")
    if end_date < start_date:
        raise RuleViolation(detail="end_date is before start_date.", rule="ABSENCE-DATES",
                            extra={"field": "end_date"})
    # Planned leave may lie ahead, but never outside the person's employment.
    for field, day in (("start_date", start_date), ("end_date", end_date)):
        outside = day_outside(day, Span(subject.started_on, subject.left_on),
                              today=day, future_allowed=True, what="The absence")
        if outside:
            raise RuleViolation(detail=f"{field}: {outside}", rule="ABSENCE-DATES",
                                extra={"field": field})
    absence = Absence(person_id=person_id, kind=kind.value, start_date=start_date,
                      end_date=end_date, note=note, recorded_by_id=actor.person_id)
    session.add(absence)
    session.flush()
    staleness.mark(session, start=start_date, end=end_date)
    return absence


def list_absences(session: Session, actor: Actor, *, person_id: int, start: date | None,
                  end: date | None, cursor: str | None, limit: int) -> Page[Absence]:
    """List one person's absences, optionally those overlapping a date range."""
    require_scope(actor, Scope.absences)
    subject = people.get_or_404(session, person_id)
    authorize(actor, Record.absence, Action.read, relations_to(session, actor, subject),
              what="person")
    stmt = select(Absence).where(Absence.person_id == person_id)
    if start is not None:
        stmt = stmt.where(Absence.end_date >= start)
    if end is not None:
        stmt = stmt.where(Absence.start_date <= end)
    return keyset_page(session, stmt, Absence.id, cursor=cursor, limit=limit)


def delete_absence(session: Session, actor: Actor, absence_id: int) -> None:
    """Delete an absence recorded in error."""
    require_scope(actor, Scope.absences)
    absence = session.get(Absence, absence_id)
    if absence is None:
        raise NotFound(detail=f"No absence with id {absence_id}.")
    subject = people.get_or_404(session, absence.person_id)
    try:
        authorize(actor, Record.absence, Action.write, relations_to(session, actor, subject),
                  what="absence")
    except NotFound:
        raise NotFound(detail=f"No absence with id {absence_id}.") from None
    staleness.mark(session, start=absence.start_date, end=absence.end_date)
    session.delete(absence)

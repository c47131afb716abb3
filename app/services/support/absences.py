"""Absences: periods a person was away, which excuse them from target evaluation."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from app.db.models import Absence
from app.domain.employment import Span, day_outside
from app.domain import periods
from app.domain.errors import Conflict, RuleViolation
from app.domain.access import (ABSENCE_CONFIRMED_BY_LINE_MANAGER, Action, Actor, Record,
                               authorize, may, require_scope)
from app.domain.scopes import Scope
from app.domain.vocabulary import AbsenceKind
from app.db.types import utcnow
from app.services.kit import staleness
from app.services.org import people
from app.services.support import policies
from app.services.kit.pagination import Page, keyset_page
from app.services.access.records import load_about_person
from app.services.access.relationships import relations_to


def record_absence(session: Session, actor: Actor, *, person_id: int, kind: AbsenceKind,
                   start_date: date, end_date: date, note: str | None) -> Absence:
    """Record an absence (the person, their line manager, or an admin)."""
    require_scope(actor, Scope.absences)
    subject = people.get_or_404(session, person_id)
    relations = relations_to(session, actor, subject)
    authorize(actor, Record.absence, Action.write, relations, what="person")
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
    if not _needs_confirmation(session, start_date, end_date) \
            or may(actor, Record.absence, Action.agree, relations):
        absence.confirmed_at, absence.confirmed_by_id = utcnow(), actor.person_id
    session.add(absence)
    session.flush()
    staleness.mark(session, start=start_date, end=end_date)
    return absence


def _needs_confirmation(session: Session, start: date, end: date) -> bool:
    """Longer than the policy lets an absence go unconfirmed, or the whole of a quarter."""
    version = policies.in_force(session, start)
    too_long = version is not None and (end - start).days + 1 > version.absence_confirm_days
    return too_long or any(start <= q.start and q.end <= end
                           for q in periods.quarters_between(start, end))


def confirm_absence(session: Session, actor: Actor, absence_id: int) -> Absence:
    """Confirm a long absence so that it excuses the periods it covers (the person's line
    manager, or an admin)."""
    absence = load_about_person(session, actor, Absence, absence_id, scope=Scope.absences,
                                kind=Record.absence, action=Action.agree, what="absence",
                                lock=True, refusal=ABSENCE_CONFIRMED_BY_LINE_MANAGER).record
    if absence.confirmed_at is not None:
        raise Conflict(detail=f"This absence was confirmed on "
                              f"{absence.confirmed_at.date().isoformat()}.",
                       code="absence-confirmed")
    absence.confirmed_at, absence.confirmed_by_id = utcnow(), actor.person_id
    session.add(absence)
    session.flush()
    staleness.mark(session, start=absence.start_date, end=absence.end_date)
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
    absence = load_about_person(session, actor, Absence, absence_id, scope=Scope.absences,
                                kind=Record.absence, action=Action.write,
                                what="absence").record
    staleness.mark(session, start=absence.start_date, end=absence.end_date)
    session.delete(absence)

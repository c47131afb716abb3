"""One-to-ones: weekly meetings of a person and their line manager; notes for the two of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from app.db.models import OneToOne, Person
from app.db.types import utcnow
from app.domain.employment import Span, day_outside
from app.domain.errors import (Conflict, FieldProblem, InvalidInput, NotFound,
                               PreconditionFailed, RuleViolation)
from app.domain.access import (Action, Actor, CallerActions, Record, authorize,
                               one_to_one_actions, one_to_one_participant, require_scope)
from app.domain.one_to_ones import OneToOneAction
from app.domain.scopes import Scope
from app.domain.vocabulary import OneToOneStatus
from app.services.kit import staleness
from app.services.org import people
from app.services.kit.working_calendar import department_today
from app.services.kit.pagination import Page, keyset_page
from app.services.kit.patches import UNSET, Unset, merge
from app.services.access.records import load_about_person
from app.services.access.relationships import relations_to

@dataclass(frozen=True)
class OneToOneView:
    """A one-to-one as one actor may see it: the chain sees that it happened, not the notes."""

    one_to_one: OneToOne
    notes_visible: bool
    allowed_actions: list[str]


def _actions(actor: Actor, record: OneToOne) -> CallerActions:
    return one_to_one_actions(actor, person_id=record.person_id, manager_id=record.manager_id,
                              status=record.status)


def _view(actor: Actor, record: OneToOne) -> OneToOneView:
    return OneToOneView(record, one_to_one_participant(
        actor, person_id=record.person_id, manager_id=record.manager_id),
        _actions(actor, record).allowed)


def _person_locked(session: Session, person_id: int) -> Person:
    # Locking the person (PostgreSQL; SQLite writers already queue) makes the one-per-date
    # check and the insert one step, so two requests at once cannot both add the same date.
    person = session.get(Person, person_id, with_for_update=True)
    if person is None:
        raise NotFound(detail=f"No person with id {person_id}.")
    return person


def _refuse_a_second(session: Session, *, person_id: int, on: date,
                     exclude_id: int | None) -> None:
    stmt = select(OneToOne.id).where(OneToOne.person_id == person_id, OneToOne.on == on)
    if exclude_id is not None:
        stmt = stmt.where(OneToOne.id != exclude_id)
    existing = session.exec(stmt).first()
    if existing is not None:
        raise Conflict(detail=f"There is already a one-to-one for this person on "
                              f"{on.isoformat()} (id {existing}); change that one instead.",
                       extra={"field": "on", "existing_id": existing})


def record_one_to_one(session: Session, actor: Actor, *, person_id: int, on: date,
                      status: OneToOneStatus, notes: str | None) -> OneToOneView:
    """Record a one-to-one (the person or their line manager), one per person per date."""
    require_scope(actor, Scope.growth)
    subject = _person_locked(session, person_id)
    authorize(actor, Record.one_to_one, Action.write, relations_to(session, actor, subject),
              what="person")
    if subject.line_manager_id is None:
        message = ("A one-to-one is a meeting with the person's line manager, and this person "
                   "has no line manager.")
        raise RuleViolation(detail=f"person_id: {message}", rule="ONE-TO-ONE-LINE-MANAGER",
                            extra={"field": "person_id"},
                            problems=[FieldProblem("person_id", message)])
    _refuse_outside_employment(subject, on)
    _refuse_a_second(session, person_id=person_id, on=on, exclude_id=None)
    record = OneToOne(person_id=person_id, manager_id=subject.line_manager_id, on=on,
                      status=status.value, notes=notes or "", created_by_id=actor.person_id,
                      updated_by_id=actor.person_id)
    session.add(record)
    session.flush()
    staleness.mark(session, start=on)
    return _view(actor, record)


def _refuse_outside_employment(subject: Person, on: date) -> None:
    """A one-to-one is recorded after it happened, while the person works here."""
    outside = day_outside(on, Span(subject.started_on, subject.left_on),
                          today=department_today(), what="The one-to-one")
    if outside:
        raise RuleViolation(detail=f"on: {outside}", rule="ONE-TO-ONE-DATE",
                            extra={"field": "on"}, problems=[FieldProblem("on", outside)])


def _load(session: Session, actor: Actor, one_to_one_id: int) -> OneToOne:
    """The one-to-one, if the actor may know it happened (404 to anyone else, team leads
    included)."""
    return load_about_person(session, actor, OneToOne, one_to_one_id, scope=Scope.growth,
                             kind=Record.one_to_one, action=Action.read, what="one-to-one").record


def get_one_to_one(session: Session, actor: Actor, one_to_one_id: int) -> OneToOneView:
    """Return one one-to-one as the actor may see it."""
    return _view(actor, _load(session, actor, one_to_one_id))


@dataclass(frozen=True)
class OneToOneChanges:
    """What PATCH may change; fields left UNSET keep their value, None clears the notes."""

    on: date | Unset = UNSET
    status: OneToOneStatus | Unset = UNSET
    notes: str | None | Unset = UNSET


def update_one_to_one(session: Session, actor: Actor, one_to_one_id: int, *,
                      changes: OneToOneChanges, expected_version: int | None) -> OneToOneView:
    """Change a one-to-one (its two participants only), refusing a stale version."""
    record = _load(session, actor, one_to_one_id)
    # Notes are the two participants' to write (SPEC section 4): a later line manager, the
    # chain and admins may know the meeting happened but never change what was said.
    _actions(actor, record).require(OneToOneAction.edit, noun="one-to-one")
    if expected_version is not None and record.version != expected_version:
        raise PreconditionFailed(detail="This one-to-one was changed since you read it; fetch "
                                        "it again and resend with the new ETag.")
    on = merge(changes.on, record.on)
    if on != record.on:
        _refuse_outside_employment(_person_locked(session, record.person_id), on)
        _refuse_a_second(session, person_id=record.person_id, on=on, exclude_id=record.id)
    staleness.mark(session, start=min(record.on, on), end=max(record.on, on))
    if not isinstance(changes.on, Unset):
        record.on = changes.on
    if not isinstance(changes.status, Unset):
        record.status = OneToOneStatus(changes.status).value
    if not isinstance(changes.notes, Unset):
        record.notes = changes.notes or ""
    record.version += 1
    record.updated_by_id = actor.person_id
    record.updated_at = utcnow()
    session.add(record)
    session.flush()
    return _view(actor, record)


def list_one_to_ones(session: Session, actor: Actor, *, person_id: int | None,
                     start: date | None, end: date | None, cursor: str | None,
                     limit: int) -> Page[OneToOneView]:
    """List one person's one-to-ones (the caller's by default), optionally from..to."""
    require_scope(actor, Scope.growth)
    subject = people.subject_for(session, actor, person_id, record=Record.one_to_one,
                                 action=Action.read)
    subject_id = subject.id
    if start is not None and end is not None and end < start:
        raise InvalidInput(detail="to: the range ends before it starts.",
                           problems=[FieldProblem("to", "Must be on or after `from`.")])
    stmt = select(OneToOne).where(OneToOne.person_id == subject_id)
    if start is not None:
        stmt = stmt.where(col(OneToOne.on) >= start)
    if end is not None:
        stmt = stmt.where(col(OneToOne.on) <= end)
    page = keyset_page(session, stmt, OneToOne.id, cursor=cursor, limit=limit)
    return Page(items=[_view(actor, r) for r in page.items], next_cursor=page.next_cursor)

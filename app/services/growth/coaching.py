"""Coaching: programmes, enrolments pairing a coachee with a coach, and their sessions.

The coachee is the person every enrolment and session is about: who may read or write them is
the access policy's `Record.coaching`, decided on the coachee. The coach relationship is taken
from the enrolment in hand (its coach, while it is active), so coaching someone on one
programme does not reach their enrolment on another.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from app.db.growth import CoachingEnrolment, CoachingProgramme, CoachingSession
from app.db.models import Person, id_of
from app.db.types import utcnow
from app.domain.errors import (Conflict, NotFound, PreconditionFailed, RuleViolation)
from app.domain.access import (Action, Actor, Record, Relation, authorize, coaching_participant,
                               coaching_session_actions,
                               may, no_such, require_scope, sees_every_enrolment)
from app.domain.scopes import Scope
from app.domain.coaching import SessionAction, actions_in_change
from app.domain.vocabulary import Band, SessionStatus
from app.services.kit import audit
from app.services.kit.pagination import Page, keyset_page
from app.services.kit.patches import UNSET, Unset, given, merge
from app.services.access.relationships import everyone_below, relations_to

# The first programme of the policy (section 5.2): senior developers, October to April,
# six one-hour sessions, with planned content alongside each developer's own issues.
FIRST_PROGRAMME_CONTENT = (
    "Self-confidence",
    "Self-knowledge",
    "Critical thinking skills",
    "Agile and lean concepts",
    "Roles and responsibilities within delivery teams (DM/PO/developer)",
)


@dataclass(frozen=True)
class Progress:
    """How far an enrolment has got against its programme's plan."""

    sessions_planned: int
    sessions_held: int
    sessions_scheduled: int
    sessions_cancelled: int
    hours_held: float


@dataclass(frozen=True)
class EnrolmentView:
    enrolment: CoachingEnrolment
    programme: CoachingProgramme
    progress: Progress


@dataclass(frozen=True)
class SessionView:
    """A session as one actor may see it: notes only for the coach and the coachee."""

    record: CoachingSession
    enrolment: CoachingEnrolment
    notes_visible: bool
    allowed_actions: list[str]


def _session_view(actor: Actor, record: CoachingSession, enrolment: CoachingEnrolment,
                  relations: frozenset[Relation]) -> SessionView:
    return SessionView(record, enrolment, coaching_participant(actor, relations),
                       coaching_session_actions(actor, relations,
                                                SessionStatus(record.status)).allowed)


# --- programmes -------------------------------------------------------------------------------


def get_programme_or_404(session: Session, programme_id: int) -> CoachingProgramme:
    programme = session.get(CoachingProgramme, programme_id)
    if programme is None:
        raise NotFound(detail=f"No coaching programme with id {programme_id}.")
    return programme


def _check_programme_dates(starts_on: date, ends_on: date) -> None:
    if ends_on <= starts_on:
        raise RuleViolation(detail="ends_on: a programme ends after it starts "
                                   "(rule COACHING-PROGRAMME-DATES).",
                            rule="COACHING-PROGRAMME-DATES", extra={"field": "ends_on"})


def _check_programme_name(session: Session, name: str, exclude_id: int | None) -> None:
    stmt = select(CoachingProgramme.id).where(CoachingProgramme.name == name)
    if exclude_id is not None:
        stmt = stmt.where(CoachingProgramme.id != exclude_id)
    if session.exec(stmt).first() is not None:
        raise Conflict(detail=f"A coaching programme called {name!r} already exists.",
                       extra={"field": "name"})


@dataclass(frozen=True)
class NewProgramme:
    name: str
    cohort_bands: list[str]  # band values, each once
    starts_on: date
    ends_on: date
    planned_sessions: int
    session_minutes: int
    planned_content: list[str]


@dataclass(frozen=True)
class ProgrammeChanges:
    """What PATCH may change; fields left UNSET keep their value."""

    name: str | Unset = UNSET
    cohort_bands: list[str] | Unset = UNSET
    starts_on: date | Unset = UNSET
    ends_on: date | Unset = UNSET
    planned_sessions: int | Unset = UNSET
    session_minutes: int | Unset = UNSET
    planned_content: list[str] | Unset = UNSET


def create_programme(session: Session, actor: Actor, *,
                     values: NewProgramme) -> CoachingProgramme:
    """Create a coaching programme (admin)."""
    require_scope(actor, Scope.coaching_manage)
    _check_programme_dates(values.starts_on, values.ends_on)
    _check_programme_name(session, values.name, None)
    programme = CoachingProgramme(
        name=values.name, cohort_bands=values.cohort_bands, starts_on=values.starts_on,
        ends_on=values.ends_on, planned_sessions=values.planned_sessions,
        session_minutes=values.session_minutes, planned_content=values.planned_content)
    session.add(programme)
    session.flush()
    audit.record(session, actor=actor, action="coaching.programme.create",
                 target_type="coaching_programme", target_id=programme.id)
    return programme


def view_programme(session: Session, actor: Actor, programme_id: int) -> CoachingProgramme:
    """Read a programme: any signed-in person may."""
    require_scope(actor, Scope.growth)
    return get_programme_or_404(session, programme_id)


def list_programmes(session: Session, actor: Actor, *, cursor: str | None,
                    limit: int) -> Page[CoachingProgramme]:
    require_scope(actor, Scope.growth)
    return keyset_page(session, select(CoachingProgramme), CoachingProgramme.id, cursor=cursor,
                       limit=limit)


def update_programme(session: Session, actor: Actor, programme_id: int, *,
                     changes: ProgrammeChanges,
                     expected_version: int | None) -> CoachingProgramme:
    """Change a programme (admin), refusing a stale version. Enrolments already made stand."""
    require_scope(actor, Scope.coaching_manage)
    programme = get_programme_or_404(session, programme_id)
    if expected_version is not None and programme.version != expected_version:
        raise PreconditionFailed(detail="This programme was changed since you read it; fetch "
                                        "it again and resend with the new ETag.")
    _check_programme_dates(merge(changes.starts_on, programme.starts_on),
                           merge(changes.ends_on, programme.ends_on))
    if not isinstance(changes.name, Unset):
        _check_programme_name(session, changes.name, programme.id)
    sent = given(changes)
    for name, value in sent.items():
        setattr(programme, name, value)
    programme.version += 1
    programme.updated_at = utcnow()
    session.add(programme)
    session.flush()
    audit.record(session, actor=actor, action="coaching.programme.update",
                 target_type="coaching_programme", target_id=programme.id,
                 detail={"fields": sorted(sent)})
    return programme


def first_programme_period(today: date) -> tuple[date, date]:
    """1 October to 30 April of the academic year `today` is in (before October: the one
    that began the previous October)."""
    year = today.year if today.month >= 10 else today.year - 1
    return date(year, 10, 1), date(year + 1, 4, 30)


def seed_first_programme(session: Session, *, today: date | None = None) -> CoachingProgramme:
    """Create the policy's first programme for this academic year, unless it exists (by name).

    No access check: for the demo seed and the CLI, which act as the system.
    """
    starts_on, ends_on = first_programme_period(today or utcnow().date())
    name = f"Senior developer coaching {starts_on.year}-{ends_on.year % 100:02d}"
    found = session.exec(select(CoachingProgramme).where(CoachingProgramme.name == name)).first()
    if found is not None:
        return found
    programme = CoachingProgramme(
        name=name, cohort_bands=[Band.b8a.value], starts_on=starts_on, ends_on=ends_on,
        planned_sessions=6, session_minutes=60, planned_content=list(FIRST_PROGRAMME_CONTENT))
    session.add(programme)
    session.flush()
    return programme


# --- enrolments -------------------------------------------------------------------------------


def _relations(session: Session, actor: Actor, enrolment: CoachingEnrolment,
               coachee: Person) -> frozenset[Relation]:
    """How the actor stands to the coachee, with `coach` meaning this enrolment's coach."""
    relations = set(relations_to(session, actor, coachee)) - {Relation.coach}
    if enrolment.active and actor.person_id is not None and enrolment.coach_id == actor.person_id:
        relations.add(Relation.coach)
    return frozenset(relations)


def _relations_in_list(actor: Actor, enrolment: CoachingEnrolment, coachee: Person,
                       below: set[int]) -> frozenset[Relation]:
    """The same relations, decided from the line tree below the actor read once per page."""
    relations: set[Relation] = set()
    if coachee.id == actor.person_id:
        relations.add(Relation.self)
    if coachee.line_manager_id == actor.person_id:
        relations.add(Relation.line_manager)
    elif coachee.id in below:
        relations.add(Relation.chain)
    if enrolment.active and enrolment.coach_id == actor.person_id:
        relations.add(Relation.coach)
    return frozenset(relations)


def _person_or_422(session: Session, person_id: int, field: str) -> Person:
    found = session.get(Person, person_id)
    if found is None:
        raise RuleViolation(detail=f"{field}: no person with id {person_id}.",
                            rule="COACHING-PERSON-EXISTS", extra={"field": field})
    return found


def _progress(session: Session, enrolments: list[CoachingEnrolment],
              programmes: dict[int, CoachingProgramme]) -> dict[int, Progress]:
    ids = [id_of(e) for e in enrolments]
    counts: dict[tuple[int, str], int] = {}
    if ids:
        rows = session.exec(select(CoachingSession.enrolment_id, CoachingSession.status,
                                   func.count())
                            .where(col(CoachingSession.enrolment_id).in_(ids))
                            .group_by(col(CoachingSession.enrolment_id),
                                      col(CoachingSession.status)))
        counts = {(enrolment_id, status): n for enrolment_id, status, n in rows}
    out: dict[int, Progress] = {}
    for e in enrolments:
        programme = programmes[e.programme_id]
        held = counts.get((id_of(e), SessionStatus.held.value), 0)
        out[id_of(e)] = Progress(
            sessions_planned=programme.planned_sessions, sessions_held=held,
            sessions_scheduled=counts.get((id_of(e), SessionStatus.scheduled.value), 0),
            sessions_cancelled=counts.get((id_of(e), SessionStatus.cancelled.value), 0),
            hours_held=round(held * programme.session_minutes / 60, 2))
    return out


def _enrolment_views(session: Session, enrolments: list[CoachingEnrolment]) -> list[EnrolmentView]:
    programme_ids = {e.programme_id for e in enrolments}
    programmes: dict[int, CoachingProgramme] = {}
    if programme_ids:
        programmes = {id_of(p): p for p in session.exec(select(CoachingProgramme).where(
            col(CoachingProgramme.id).in_(programme_ids)))}
    progress = _progress(session, enrolments, programmes)
    return [EnrolmentView(e, programmes[e.programme_id], progress[id_of(e)])
            for e in enrolments]


def create_enrolment(session: Session, actor: Actor, *, programme_id: int, coachee_id: int,
                     coach_id: int) -> EnrolmentView:
    """Enrol a coachee on a programme with a coach (admin)."""
    require_scope(actor, Scope.coaching_manage)
    programme = session.get(CoachingProgramme, programme_id)
    if programme is None:
        raise RuleViolation(detail=f"programme_id: no coaching programme with id "
                                   f"{programme_id}.", rule="COACHING-PROGRAMME-EXISTS",
                            extra={"field": "programme_id"})
    coachee = _person_or_422(session, coachee_id, "coachee_id")
    coach = _person_or_422(session, coach_id, "coach_id")
    if coach.id == coachee.id:
        raise RuleViolation(detail="coach_id: a person cannot coach themselves "
                                   "(rule COACHING-NOT-SELF).", rule="COACHING-NOT-SELF",
                            extra={"field": "coach_id"})
    for who, field in ((coachee, "coachee_id"), (coach, "coach_id")):
        if not who.active:
            raise RuleViolation(detail=f"{field}: coachees and coaches are active people "
                                       "(rule COACHING-ACTIVE).", rule="COACHING-ACTIVE",
                                extra={"field": field})
    if coachee.band not in programme.cohort_bands:
        cohort = ", ".join(programme.cohort_bands)
        raise RuleViolation(
            detail=f"coachee_id: {programme.name!r} is for band {cohort}, and this person is "
                   f"{'band ' + coachee.band if coachee.band else 'not banded'} "
                   "(rule COACHING-COHORT).",
            rule="COACHING-COHORT", extra={"field": "coachee_id", "cohort_bands": cohort})
    existing = session.exec(select(CoachingEnrolment).where(
        CoachingEnrolment.programme_id == programme.id,
        CoachingEnrolment.coachee_id == coachee.id)).first()
    if existing is not None:
        state = "active" if existing.active else "withdrawn"
        raise Conflict(detail=f"This person is already enrolled on {programme.name!r} "
                              f"(enrolment {existing.id}, {state}); a coachee is enrolled once "
                              "per programme.",
                       extra={"field": "coachee_id", "enrolment_id": existing.id})
    enrolment = CoachingEnrolment(programme_id=id_of(programme), coachee_id=id_of(coachee),
                                  coach_id=id_of(coach))
    session.add(enrolment)
    session.flush()
    audit.record(session, actor=actor, action="coaching.enrolment.create",
                 target_type="coaching_enrolment", target_id=enrolment.id,
                 detail={"programme_id": programme.id, "coachee_id": coachee.id,
                         "coach_id": coach.id})
    return _enrolment_views(session, [enrolment])[0]


def _readable_enrolment(
        session: Session, actor: Actor, enrolment_id: int, *,
        managers_see: bool) -> tuple[CoachingEnrolment, Person, frozenset[Relation]]:
    """Fetch an enrolment the actor may read, or raise NotFound as if there were none."""
    missing = NotFound(detail=no_such("coaching enrolment", enrolment_id))
    enrolment = session.get(CoachingEnrolment, enrolment_id)
    if enrolment is None:
        raise missing
    coachee = session.get(Person, enrolment.coachee_id)
    if coachee is None:
        raise missing
    relations = _relations(session, actor, enrolment, coachee)
    if not (managers_see and sees_every_enrolment(actor)):
        try:
            authorize(actor, Record.coaching, Action.read, relations, what="coaching enrolment")
        except NotFound:
            raise missing from None
    return enrolment, coachee, relations


def view_enrolment(session: Session, actor: Actor, enrolment_id: int) -> EnrolmentView:
    """Read an enrolment with its progress (the coachee's readers; coaching managers)."""
    require_scope(actor, Scope.growth)
    enrolment, _, _ = _readable_enrolment(session, actor, enrolment_id, managers_see=True)
    return _enrolment_views(session, [enrolment])[0]


def list_enrolments(session: Session, actor: Actor, *, programme_id: int | None,
                    coachee_id: int | None, coach_id: int | None, cursor: str | None,
                    limit: int) -> Page[EnrolmentView]:
    """List the enrolments the actor may read, filtered."""
    require_scope(actor, Scope.growth)
    stmt = select(CoachingEnrolment)
    if programme_id is not None:
        stmt = stmt.where(CoachingEnrolment.programme_id == programme_id)
    if coachee_id is not None:
        stmt = stmt.where(CoachingEnrolment.coachee_id == coachee_id)
    if coach_id is not None:
        stmt = stmt.where(CoachingEnrolment.coach_id == coach_id)
    manager = sees_every_enrolment(actor)
    below: set[int] = set()
    if not manager:
        if actor.person_id is None:
            return Page(items=[], next_cursor=None)
        # Narrow in SQL to enrolments the actor has some relationship to (the line tree is
        # read once); the policy then decides on each one.
        below = everyone_below(session, actor.person_id)
        stmt = stmt.where(or_(
            col(CoachingEnrolment.coachee_id) == actor.person_id,
            col(CoachingEnrolment.coachee_id).in_(below),
            (col(CoachingEnrolment.coach_id) == actor.person_id)
            & col(CoachingEnrolment.active).is_(True)))
    page = keyset_page(session, stmt, CoachingEnrolment.id, cursor=cursor, limit=limit)
    items: list[CoachingEnrolment] = page.items
    if not manager:
        coachee_ids = {e.coachee_id for e in items}
        coachees = {p.id: p for p in session.exec(select(Person).where(
            col(Person.id).in_(coachee_ids)))} if coachee_ids else {}
        items = [e for e in items if e.coachee_id in coachees and may(
            actor, Record.coaching, Action.read,
            _relations_in_list(actor, e, coachees[e.coachee_id], below))]
    return Page(items=_enrolment_views(session, items), next_cursor=page.next_cursor)


def withdraw_enrolment(session: Session, actor: Actor, enrolment_id: int) -> EnrolmentView:
    """End an enrolment (admin): the coach stops being the coachee's coach, and sessions
    still scheduled are cancelled. Withdrawing twice changes nothing."""
    require_scope(actor, Scope.coaching_manage)
    enrolment = session.get(CoachingEnrolment, enrolment_id)
    if enrolment is None:
        raise NotFound(detail=f"No coaching enrolment with id {enrolment_id}.")
    if enrolment.active:
        enrolment.active = False
        session.add(enrolment)
        now = utcnow()
        for pending in session.exec(select(CoachingSession).where(
                CoachingSession.enrolment_id == enrolment.id,
                CoachingSession.status == SessionStatus.scheduled.value)):
            pending.status = SessionStatus.cancelled.value
            pending.version += 1
            pending.updated_at = now
            session.add(pending)
        session.flush()
        audit.record(session, actor=actor, action="coaching.enrolment.withdraw",
                     target_type="coaching_enrolment", target_id=enrolment.id)
    return _enrolment_views(session, [enrolment])[0]


# --- sessions ---------------------------------------------------------------------------------


def schedule_session(session: Session, actor: Actor, *, enrolment_id: int,
                     scheduled_for: datetime, topics: list[str]) -> SessionView:
    """Schedule a session (the coach or the coachee)."""
    require_scope(actor, Scope.growth)
    enrolment, _, relations = _readable_enrolment(session, actor, enrolment_id,
                                                  managers_see=False)
    authorize(actor, Record.coaching, Action.write, relations, what="coaching enrolment")
    if not enrolment.active:
        raise Conflict(detail="This enrolment has been withdrawn, so no more sessions can be "
                              "scheduled on it.", code="enrolment-withdrawn",
                       extra={"enrolment_id": enrolment.id})
    record = CoachingSession(enrolment_id=id_of(enrolment), scheduled_for=scheduled_for,
                             status=SessionStatus.scheduled.value, topics=topics)
    session.add(record)
    session.flush()
    return _session_view(actor, record, enrolment, relations)


def _readable_session(session: Session, actor: Actor,
                      session_id: int) -> tuple[CoachingSession, CoachingEnrolment,
                                                frozenset[Relation]]:
    record = session.get(CoachingSession, session_id)
    if record is None:
        raise NotFound(detail=no_such("coaching session", session_id))
    try:
        enrolment, _, relations = _readable_enrolment(session, actor, record.enrolment_id,
                                                      managers_see=False)
    except NotFound:
        raise NotFound(detail=no_such("coaching session", session_id)) from None
    return record, enrolment, relations


def view_session(session: Session, actor: Actor, session_id: int) -> SessionView:
    """Read a session (the coachee's readers; notes for the coach and coachee only)."""
    require_scope(actor, Scope.growth)
    record, enrolment, relations = _readable_session(session, actor, session_id)
    return _session_view(actor, record, enrolment, relations)


def list_sessions(session: Session, actor: Actor, *, enrolment_id: int, cursor: str | None,
                  limit: int) -> Page[SessionView]:
    """List one enrolment's sessions (the coachee's readers)."""
    require_scope(actor, Scope.growth)
    enrolment, _, relations = _readable_enrolment(session, actor, enrolment_id,
                                                  managers_see=False)
    page = keyset_page(session, select(CoachingSession).where(
        CoachingSession.enrolment_id == enrolment.id), CoachingSession.id, cursor=cursor,
        limit=limit)
    return Page(items=[_session_view(actor, s, enrolment, relations) for s in page.items],
                next_cursor=page.next_cursor)


@dataclass(frozen=True)
class SessionChanges:
    """What PATCH may change; fields left UNSET keep their value."""

    status: SessionStatus | Unset = UNSET
    topics: list[str] | Unset = UNSET
    notes: str | Unset = UNSET
    scheduled_for: datetime | Unset = UNSET


def update_session(session: Session, actor: Actor, session_id: int, *, changes: SessionChanges,
                   expected_version: int | None) -> SessionView:
    """Record what happened (held or cancelled), topics and notes (the coach or the coachee).

    A held or cancelled session is settled: it does not go back to scheduled, change to the
    other outcome, or move to another time.
    """
    require_scope(actor, Scope.growth)
    record, enrolment, relations = _readable_session(session, actor, session_id)
    current = SessionStatus(record.status)
    wanted = SessionStatus(merge(changes.status, current))
    taken = actions_in_change(
        current, wanted, moved=merge(changes.scheduled_for, record.scheduled_for)
        != record.scheduled_for, edited=bool({"topics", "notes"} & given(changes).keys()))
    actions = coaching_session_actions(actor, relations, current)
    for action in taken:
        actions.require(action, noun="coaching session", session_status=current.value,
                        why_not=None if current is SessionStatus.scheduled else (
                            f"The session is {current.value}, so it cannot be "
                            + ("moved to another time" if action is SessionAction.reschedule
                               and wanted is current else f"made {wanted.value}")
                            + ": a held or cancelled session is settled."))
    if expected_version is not None and record.version != expected_version:
        raise PreconditionFailed(detail="This session was changed since you read it; fetch it "
                                        "again and resend with the new ETag.")
    for name, value in given(changes).items():
        setattr(record, name, value.value if isinstance(value, SessionStatus) else value)
    record.version += 1
    record.updated_at = utcnow()
    session.add(record)
    session.flush()
    return _session_view(actor, record, enrolment, relations)

"""The CPD record: a person's own export of their objectives (with every check-in and who wrote
it), evidence, training, coaching and recognitions for a date range, to help them prepare for promotion (the edge writes it as JSON, or as
Markdown to read and share: `app/api/render/cpd.py`).

It reads the growth tables directly and changes nothing. Every part is one query, so the
number of statements does not grow with the amount recorded.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from app.db.growth import (CheckIn, CoachingEnrolment, CoachingProgramme, CoachingSession,
                           Evidence, Objective)
from app.db.models import Person, id_of
from app.db.support import Intervention
from app.db.types import utcnow
from app.domain import bands
from app.domain.errors import NotFound, RuleViolation
from app.domain.access import Action, Actor, Record, authorize, no_such, require_scope
from app.domain.quarters import Quarter
from app.domain.scopes import Scope
from app.domain.vocabulary import (Band, EvidenceKind, InterventionKind, InterventionStatus,
                                   ObjectiveStatus, SessionStatus)
from app.services.org import people
from app.services.access.relationships import relations_to


@dataclass(frozen=True)
class CheckInEntry:
    id: int
    on: date
    note: str
    progress: int | None
    author_id: int
    author_name: str


@dataclass(frozen=True)
class RecognitionEntry:
    """A recognition recorded for the person (completed in the range, not withdrawn)."""

    id: int
    recognised_on: date
    summary: str


@dataclass(frozen=True)
class ObjectiveEntry:
    id: int
    quarter: str
    title: str
    description: str
    status: str
    twenty_percent_time: bool
    quality_dashboard_outcome: str | None
    completion_note: str | None
    completed_at: datetime | None
    check_ins: list[CheckInEntry]


@dataclass(frozen=True)
class EvidenceEntry:
    id: int
    occurred_on: date
    kind: str
    source: str
    title: str
    hours: Decimal | None
    topic: str | None


@dataclass(frozen=True)
class EnrolmentEntry:
    """A programme the person was coached on."""

    enrolment_id: int
    programme_id: int
    programme_name: str
    starts_on: date
    ends_on: date
    coach_id: int
    coach_name: str
    active: bool
    sessions_held: int
    sessions_planned: int


@dataclass(frozen=True)
class SessionEntry:
    """A coaching session held. As coachee it carries its topics; sessions given as coach
    carry neither the coachee nor the topics, which are the coachee's record."""

    id: int
    held_on: datetime
    programme_name: str
    minutes: int
    topics: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Totals:
    training_hours: Decimal
    accomplishments_logged: int
    weeks_with_accomplishments: int
    qualifications: int
    objectives_completed: int
    twenty_percent_objectives_completed: int
    coaching_sessions_held: int
    coaching_sessions_given: int
    coaching_hours_given: Decimal
    evidence_items: int
    recognitions: int


@dataclass(frozen=True)
class CpdRecord:
    person: Person
    band_title: str | None
    start: date
    end: date
    objectives: list[ObjectiveEntry]
    evidence: list[EvidenceEntry]
    enrolments: list[EnrolmentEntry]
    sessions_held: list[SessionEntry]
    sessions_given: list[SessionEntry]
    recognitions: list[RecognitionEntry]
    totals: Totals

    def evidence_of(self, kind: EvidenceKind) -> list[EvidenceEntry]:
        return [e for e in self.evidence if e.kind == kind.value]


def year_before(day: date) -> date:
    """The same day a year earlier (28 February for 29 February)."""
    if day.year == 1:
        return date.min
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def default_range(start: date | None, end: date | None, *, today: date) -> tuple[date, date]:
    """Fill in the range: `to` defaults to today, `from` to a year before `to`."""
    end = end or today
    start = start or year_before(end)
    if end < start:
        raise RuleViolation(detail="to: the range ends before it starts; `to` must be on or "
                                   "after `from` (rule CPD-RANGE).", rule="CPD-RANGE",
                            extra={"field": "to"})
    return start, end


def _quarter_key(day: date) -> str:
    # Quarters are stored as YYYY-Qn, which sorts as text when the year has four digits.
    q = Quarter.containing(day)
    return f"{q.year:04d}-Q{q.number}"


def _instant(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=UTC)


def cpd_record(session: Session, actor: Actor, person_id: int, *, start: date | None,
               end: date | None) -> CpdRecord:
    """Build a person's CPD record (the person and their management chain)."""
    require_scope(actor, Scope.growth)
    subject = people.get_or_404(session, person_id)
    try:
        authorize(actor, Record.cpd, Action.read, relations_to(session, actor, subject),
                  what="person")
    except NotFound:
        raise NotFound(detail=no_such("person", person_id)) from None
    start, end = default_range(start, end, today=utcnow().date())

    objectives = _objectives(session, person_id, start, end)
    evidence = [EvidenceEntry(id_of(e), e.occurred_on, e.kind, e.source, e.title, e.hours,
                              e.topic)
                for e in session.exec(select(Evidence).where(
                    col(Evidence.person_id) == person_id, col(Evidence.occurred_on) >= start,
                    col(Evidence.occurred_on) <= end, col(Evidence.retracted_at).is_(None))
                    .order_by(col(Evidence.occurred_on), col(Evidence.id)))]
    enrolments = _enrolments(session, person_id, start, end)
    held = _sessions(session, col(CoachingEnrolment.coachee_id) == person_id, start, end,
                     with_topics=True)
    given = _sessions(session, col(CoachingEnrolment.coach_id) == person_id, start, end,
                      with_topics=False)
    recognitions = _recognitions(session, person_id, start, end)

    by_kind: dict[str, list[EvidenceEntry]] = defaultdict(list)
    for e in evidence:
        by_kind[e.kind].append(e)
    accomplishments = by_kind[EvidenceKind.accomplishment.value]
    completed = [o for o in objectives if o.status == ObjectiveStatus.completed.value]
    totals = Totals(
        training_hours=sum((e.hours or Decimal(0) for e in by_kind[EvidenceKind.training.value]),
                           Decimal(0)),
        accomplishments_logged=len(accomplishments),
        weeks_with_accomplishments=len({iso_week(e.occurred_on) for e in accomplishments}),
        qualifications=len(by_kind[EvidenceKind.qualification.value]),
        objectives_completed=len(completed),
        twenty_percent_objectives_completed=sum(1 for o in completed if o.twenty_percent_time),
        coaching_sessions_held=len(held),
        coaching_sessions_given=len(given),
        coaching_hours_given=sum((Decimal(s.minutes) / 60 for s in given), Decimal(0)),
        evidence_items=len(evidence),
        recognitions=len(recognitions),
    )
    band_title = bands.profile(Band(subject.band)).title if subject.band else None
    return CpdRecord(subject, band_title, start, end, objectives, evidence, enrolments, held,
                     given, recognitions, totals)


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _objectives(session: Session, person_id: int, start: date, end: date) -> list[ObjectiveEntry]:
    in_range = (col(Objective.person_id) == person_id,
                col(Objective.quarter) >= _quarter_key(start),
                col(Objective.quarter) <= _quarter_key(end))
    check_ins: dict[int, list[CheckInEntry]] = defaultdict(list)
    for c, author in session.exec(
            select(CheckIn, Person.name)
            .join(Objective, col(CheckIn.objective_id) == col(Objective.id))
            .join(Person, col(Person.id) == col(CheckIn.author_id))
            .where(*in_range).order_by(col(CheckIn.on), col(CheckIn.id))):
        check_ins[c.objective_id].append(CheckInEntry(id_of(c), c.on, c.note, c.progress,
                                                      c.author_id, author))
    return [ObjectiveEntry(id_of(o), o.quarter, o.title, o.description, o.status,
                           o.twenty_percent_time, o.quality_dashboard_outcome, o.completion_note,
                           o.completed_at, check_ins[id_of(o)])
            for o in session.exec(select(Objective).where(*in_range)
                                  .order_by(col(Objective.quarter), col(Objective.id)))]


def _recognitions(session: Session, person_id: int, start: date,
                  end: date) -> list[RecognitionEntry]:
    """Recognitions completed in the range; a withdrawn one no longer stands."""
    rows = session.exec(select(Intervention).where(
        col(Intervention.person_id) == person_id,
        col(Intervention.kind) == InterventionKind.recognition.value,
        col(Intervention.status) == InterventionStatus.completed.value,
        col(Intervention.completed_at) >= _instant(start, time.min),
        col(Intervention.completed_at) <= _instant(end, time.max))
        .order_by(col(Intervention.completed_at), col(Intervention.id)))
    return [RecognitionEntry(id_of(i), i.completed_at.date(), i.summary)
            for i in rows if i.completed_at is not None]


def _enrolments(session: Session, person_id: int, start: date,
                end: date) -> list[EnrolmentEntry]:
    """Enrolments as coachee on programmes running during the range, withdrawn ones too."""
    held = (select(func.count()).select_from(CoachingSession)
            .where(col(CoachingSession.enrolment_id) == col(CoachingEnrolment.id),
                   col(CoachingSession.status) == SessionStatus.held.value)
            .scalar_subquery())
    rows = session.exec(
        select(CoachingEnrolment, CoachingProgramme, Person.name, held)
        .join(CoachingProgramme, col(CoachingProgramme.id) == col(CoachingEnrolment.programme_id))
        .join(Person, col(Person.id) == col(CoachingEnrolment.coach_id))
        .where(col(CoachingEnrolment.coachee_id) == person_id,
               col(CoachingProgramme.starts_on) <= end, col(CoachingProgramme.ends_on) >= start)
        .order_by(col(CoachingProgramme.starts_on), col(CoachingEnrolment.id)))
    return [EnrolmentEntry(id_of(e), id_of(p), p.name, p.starts_on, p.ends_on, e.coach_id, coach_name,
                           e.active, count, p.planned_sessions)
            for e, p, coach_name, count in rows]


def _sessions(session: Session, whose: ColumnElement[bool], start: date, end: date,
              *, with_topics: bool) -> list[SessionEntry]:
    rows = session.exec(
        select(CoachingSession, CoachingProgramme.name, CoachingProgramme.session_minutes)
        .join(CoachingEnrolment, col(CoachingEnrolment.id) == col(CoachingSession.enrolment_id))
        .join(CoachingProgramme, col(CoachingProgramme.id) == col(CoachingEnrolment.programme_id))
        .where(whose, col(CoachingSession.status) == SessionStatus.held.value,
               col(CoachingSession.scheduled_for) >= _instant(start, time.min),
               col(CoachingSession.scheduled_for) <= _instant(end, time.max))
        .order_by(col(CoachingSession.scheduled_for), col(CoachingSession.id)))
    return [SessionEntry(id_of(s), s.scheduled_for, name, minutes,
                         list(s.topics) if with_topics else [])
            for s, name, minutes in rows]

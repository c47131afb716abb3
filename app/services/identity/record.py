"""Everything about me: all that GPS holds about the caller, for the caller alone (what a UK
GDPR subject access request returns). The edge writes it as JSON, or as Markdown
(`app/api/render/record.py`).

Strictly the caller's own record: it takes no person id. It reads the tables directly and
changes nothing but the audit log (which records that the caller read their cases); each kind
of record is one query, so the number of statements does not grow with the amount recorded.

What it leaves out, and why: who raised a concern about the caller (the policy protects the
line manager's relationship; the concern's summary, date, status and outcome are shown), the
internal notes of case managers (counted, not shown), and refused attempts on the caller's
cases (the audit shows who read and worked on them).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, or_, select

from app.db.growth import (CheckIn, CoachingEnrolment, CoachingProgramme, CoachingSession,
                           Evidence, Objective, OneToOne)
from app.db.models import (Absence, AuditEntry, BandPeriod, LineManagementPeriod, Person, Team,
                           TeamMembership, id_of)
from app.db.support import (CaseAssignment, CaseNote, Concern, FormalCase, Intervention,
                            TargetResult, Trigger)
from app.db.types import utcnow
from app.domain.access import Actor, require_scope
from app.domain.errors import Forbidden
from app.domain.scopes import Scope
from app.domain.vocabulary import NoteVisibility
from app.services.access import case_access
from app.services.kit import audit
from app.services.org import people

ONLY_PEOPLE_HAVE_A_RECORD = "Only people have a record; a service account holds none."


@dataclass(frozen=True)
class Named:
    """Someone a record names: a name to recognise and an e-mail to write to."""

    id: int
    name: str
    email: str


@dataclass(frozen=True)
class CheckInRow:
    check_in: CheckIn
    author_name: str


@dataclass(frozen=True)
class Membership:
    membership: TeamMembership
    team_name: str


@dataclass(frozen=True)
class Enrolment:
    enrolment: CoachingEnrolment
    programme: CoachingProgramme


@dataclass(frozen=True)
class SessionRow:
    session: CoachingSession
    enrolment: CoachingEnrolment


@dataclass(frozen=True)
class CaseEntry:
    """A formal case about the caller, as its subject sees it, with its case managers to
    contact and how many internal notes its case managers keep."""

    case: FormalCase
    shared_notes: list[CaseNote]
    internal_notes: int
    case_managers: list[Named]


@dataclass(frozen=True)
class CaseRead:
    """One entry of a case's audit log: who read or worked on the case, when, and what."""

    case_id: int
    at: datetime
    who: Named | None
    actor: str
    action: str


@dataclass(frozen=True)
class MyRecord:
    person: Person
    line_manager: Named | None
    band_periods: list[BandPeriod]
    line_management: list[tuple[LineManagementPeriod, Named]]
    teams: list[Membership]
    absences: list[Absence]
    objectives: list[Objective]
    check_ins: dict[int, list[CheckInRow]]
    evidence: list[Evidence]
    one_to_ones: list[tuple[OneToOne, Named]]
    target_results: list[TargetResult]
    triggers: list[Trigger]
    interventions: list[Intervention]
    enrolments: list[tuple[Enrolment, Named]]
    sessions: list[tuple[SessionRow, Named]]
    concerns: list[Concern]
    cases: list[CaseEntry]
    case_audit: list[CaseRead]

    @property
    def support(self) -> list[Intervention]:
        return [i for i in self.interventions if i.kind != "recognition"]

    @property
    def recognitions(self) -> list[Intervention]:
        return [i for i in self.interventions if i.kind == "recognition"]


def _person_id(label: str) -> int | None:
    kind, _, value = label.partition(":")
    return int(value) if kind == "person" and value.isdigit() else None


def my_record(session: Session, actor: Actor) -> MyRecord:
    """Everything GPS holds about the caller (a person; nobody else's record, ever)."""
    require_scope(actor, Scope.growth)
    if actor.person_id is None:
        raise Forbidden(detail=ONLY_PEOPLE_HAVE_A_RECORD)
    me = actor.person_id
    person = people.get_or_404(session, me)
    now = utcnow()

    bands = list(session.exec(select(BandPeriod).where(col(BandPeriod.person_id) == me)
                              .order_by(col(BandPeriod.started_on), col(BandPeriod.id))))
    spells = list(session.exec(select(LineManagementPeriod).where(
        col(LineManagementPeriod.person_id) == me)
        .order_by(col(LineManagementPeriod.started_at), col(LineManagementPeriod.id))))
    teams = [Membership(m, name) for m, name in session.exec(
        select(TeamMembership, Team.name).join(Team, col(Team.id) == col(TeamMembership.team_id))
        .where(col(TeamMembership.person_id) == me)
        .order_by(col(TeamMembership.started_on), col(TeamMembership.id)))]
    absences = list(session.exec(select(Absence).where(col(Absence.person_id) == me)
                                 .order_by(col(Absence.start_date), col(Absence.id))))
    objectives = list(session.exec(select(Objective).where(col(Objective.person_id) == me)
                                   .order_by(col(Objective.quarter), col(Objective.id))))
    check_ins: dict[int, list[CheckInRow]] = defaultdict(list)
    for c, author in session.exec(
            select(CheckIn, Person.name)
            .join(Objective, col(Objective.id) == col(CheckIn.objective_id))
            .join(Person, col(Person.id) == col(CheckIn.author_id))
            .where(col(Objective.person_id) == me).order_by(col(CheckIn.on), col(CheckIn.id))):
        check_ins[c.objective_id].append(CheckInRow(c, author))
    evidence = list(session.exec(select(Evidence).where(col(Evidence.person_id) == me)
                                 .order_by(col(Evidence.occurred_on), col(Evidence.id))))
    one_to_ones = list(session.exec(select(OneToOne).where(
        or_(col(OneToOne.person_id) == me, col(OneToOne.manager_id) == me))
        .order_by(col(OneToOne.on), col(OneToOne.id))))
    results = list(session.exec(select(TargetResult).where(col(TargetResult.person_id) == me)
                                .order_by(col(TargetResult.period_start),
                                          col(TargetResult.id))))
    triggers = list(session.exec(select(Trigger).where(col(Trigger.person_id) == me)
                                 .order_by(col(Trigger.fired_at), col(Trigger.id))))
    interventions = list(session.exec(select(Intervention).where(
        col(Intervention.person_id) == me).order_by(col(Intervention.created_at),
                                                    col(Intervention.id))))
    enrolments = [Enrolment(e, p) for e, p in session.exec(
        select(CoachingEnrolment, CoachingProgramme)
        .join(CoachingProgramme, col(CoachingProgramme.id) == col(CoachingEnrolment.programme_id))
        .where(or_(col(CoachingEnrolment.coachee_id) == me, col(CoachingEnrolment.coach_id) == me))
        .order_by(col(CoachingProgramme.starts_on), col(CoachingEnrolment.id)))]
    sessions = [SessionRow(s, e) for s, e in session.exec(
        select(CoachingSession, CoachingEnrolment)
        .join(CoachingEnrolment, col(CoachingEnrolment.id) == col(CoachingSession.enrolment_id))
        .where(or_(col(CoachingEnrolment.coachee_id) == me, col(CoachingEnrolment.coach_id) == me))
        .order_by(col(CoachingSession.scheduled_for), col(CoachingSession.id)))]
    # Concerns about me: what they said and what became of them; never who raised them.
    concerns = list(session.exec(select(Concern).where(col(Concern.subject_id) == me)
                                 .order_by(col(Concern.raised_at), col(Concern.id))))

    mine = (col(FormalCase.subject_id) == me, case_access.visible_cases(me, now=now))
    cases = list(session.exec(select(FormalCase).where(*mine).order_by(col(FormalCase.id))))
    case_ids = [id_of(c) for c in cases]
    notes: dict[int, list[CaseNote]] = defaultdict(list)
    internal: dict[int, int] = defaultdict(int)
    assignments: dict[int, list[int]] = defaultdict(list)
    entries: list[AuditEntry] = []
    if case_ids:
        for note in session.exec(select(CaseNote).where(col(CaseNote.case_id).in_(case_ids))
                                 .order_by(col(CaseNote.id))):
            if note.visibility == NoteVisibility.shared.value:
                notes[note.case_id].append(note)
            else:
                internal[note.case_id] += 1
        for a in session.exec(select(CaseAssignment).where(
                col(CaseAssignment.case_id).in_(case_ids),
                col(CaseAssignment.removed_at).is_(None)).order_by(col(CaseAssignment.id))):
            assignments[a.case_id].append(a.case_manager_id)
        # Who read or worked on my cases; refused attempts are the case managers' to follow.
        entries = list(session.exec(select(AuditEntry).where(
            col(AuditEntry.target_type) == "case",
            col(AuditEntry.target_id).in_([str(i) for i in case_ids]),
            col(AuditEntry.outcome) == "ok").order_by(col(AuditEntry.id))))

    # Everyone the record names, in one statement.
    wanted = {person.line_manager_id, *(s.manager_id for s in spells),
              *(o.manager_id for o in one_to_ones), *(o.person_id for o in one_to_ones),
              *(e.enrolment.coach_id for e in enrolments),
              *(e.enrolment.coachee_id for e in enrolments),
              *(m for ids in assignments.values() for m in ids),
              *(_person_id(e.actor) for e in entries)}
    wanted.discard(None)
    named: dict[int, Named] = {}
    if wanted:
        named = {id_of(p): Named(id_of(p), p.name, p.email) for p in session.exec(
            select(Person).where(col(Person.id).in_(wanted)))}
    unknown = Named(0, "(no longer recorded)", "")

    def who(person_id: int | None) -> Named:
        return named.get(person_id, unknown) if person_id is not None else unknown

    audit.record(session, actor=actor, action="me.record.read", target_type="person",
                 target_id=me, detail={"case_ids": case_ids})
    return MyRecord(
        person=person,
        line_manager=who(person.line_manager_id) if person.line_manager_id else None,
        band_periods=bands,
        line_management=[(s, who(s.manager_id)) for s in spells],
        teams=teams, absences=absences, objectives=objectives, check_ins=check_ins,
        evidence=evidence,
        one_to_ones=[(o, who(o.manager_id if o.person_id == me else o.person_id))
                     for o in one_to_ones],
        target_results=results, triggers=triggers, interventions=interventions,
        enrolments=[(e, who(e.enrolment.coach_id if e.enrolment.coachee_id == me
                            else e.enrolment.coachee_id)) for e in enrolments],
        sessions=[(s, who(s.enrolment.coach_id if s.enrolment.coachee_id == me
                          else s.enrolment.coachee_id)) for s in sessions],
        concerns=concerns,
        cases=[CaseEntry(c, notes[id_of(c)], internal[id_of(c)],
                         [who(m) for m in assignments[id_of(c)]]) for c in cases],
        case_audit=[CaseRead(int(e.target_id or 0), e.at, named.get(
            _person_id(e.actor) or 0), e.actor, e.action) for e in entries],
    )

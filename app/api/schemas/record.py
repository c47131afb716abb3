"""Everything about me as JSON: all GPS holds about the caller (a subject access request)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from app.api.schemas.cases import CaseContact, CaseNoteRead
from app.api.schemas.common import Output
from app.api.schemas.evidence import EvidenceRead
from app.api.schemas.interventions import InterventionRead
from app.api.schemas.targets import TargetResultRead, TriggerRead
from app.db.support import Intervention, Trigger
from app.domain.interventions import allowed_actions
from app.domain.vocabulary import (CaseKind, CaseStatus, ConcernStatus, InterventionKind,
                                   InterventionStatus, TriggerStatus)
from app.services.identity import record
from app.services.support.interventions import InterventionView


class RecordPerson(Output):
    """Your profile as GPS holds it."""

    id: int
    name: str
    email: str
    kind: str
    band: str | None
    line_manager: CaseContact | None = Field(description="Your line manager now")
    buddy_id: int | None
    employee_number: str | None
    jira_account_id: str | None
    github_login: str | None
    active: bool
    started_on: date
    left_on: date | None
    roles: list[str]
    praise_opt_out: bool
    created_at: datetime
    updated_at: datetime


class RecordBandPeriod(Output):
    band: str | None
    kind: str
    started_on: date
    ended_on: date | None


class RecordLineManagement(Output):
    manager: CaseContact
    started_at: datetime
    ended_at: datetime | None
    override_reason: str | None = Field(description="Why a line-management rule was "
                                                    "overridden, if one was")


class RecordTeam(Output):
    team_id: int
    team_name: str
    started_on: date
    ended_on: date | None


class RecordAbsence(Output):
    id: int
    kind: str
    start_date: date
    end_date: date
    note: str | None
    confirmed_at: datetime | None


class RecordCheckIn(Output):
    id: int
    on: date
    note: str
    progress: int | None
    author_id: int
    author_name: str


class RecordObjective(Output):
    id: int
    quarter: str
    title: str
    description: str
    status: str
    twenty_percent_time: bool
    quality_dashboard_outcome: str | None
    agreed_at: datetime | None
    completion_note: str | None
    completed_at: datetime | None
    drop_reason: str | None
    reopen_reason: str | None
    check_ins: list[RecordCheckIn]


class RecordOneToOne(Output):
    """A one-to-one you took part in (as the person or as their line manager), with its
    notes: they are the two participants'."""

    id: int
    on: date
    status: str
    role: str = Field(description="`person` or `line_manager`: which of the two you were")
    with_person: CaseContact = Field(description="The other participant")
    notes: str


class RecordEnrolment(Output):
    enrolment_id: int
    programme_name: str
    starts_on: date
    ends_on: date
    role: str = Field(description="`coachee` or `coach`")
    with_person: CaseContact = Field(description="Your coach, or your coachee")
    active: bool


class RecordSession(Output):
    id: int
    enrolment_id: int
    scheduled_for: datetime
    status: str
    role: str = Field(description="`coachee` or `coach`")
    with_person: CaseContact
    topics: list[str]
    notes: str = Field(description="The coachee's and coach's notes")


class RecordConcern(Output):
    """A concern raised about you: what it said, when, and what became of it. Who raised it
    is not shown."""

    id: int
    summary: str
    raised_at: datetime
    status: ConcernStatus = Field(description="open, dismissed, or case_opened")
    case_id: int | None = Field(description="The formal case it led to, if any (in `cases`)")


class RecordCase(Output):
    """A formal case about you, as you see it."""

    id: int
    kind: CaseKind
    status: CaseStatus
    opened_at: datetime
    closed_at: datetime | None
    outcome: str | None
    consent_at: datetime | None
    case_managers: list[CaseContact] = Field(description="Who to contact about the case")
    notes: list[CaseNoteRead] = Field(description="Shared notes")
    internal_notes: int = Field(description="How many internal notes its case managers keep "
                                            "(not shown)")


class RecordCaseAudit(Output):
    """Someone read or worked on one of your cases."""

    case_id: int
    at: datetime
    who: CaseContact | None = Field(description="The person; null for a service account")
    actor: str = Field(description="`person:<id>` or `client:<client id>`")
    action: str = Field(examples=["case.read", "case.note.create"])


class MyRecord(Output):
    """Everything GPS holds about you: what a UK GDPR subject access request returns."""

    person: RecordPerson
    band_periods: list[RecordBandPeriod]
    line_management: list[RecordLineManagement]
    teams: list[RecordTeam]
    absences: list[RecordAbsence]
    objectives: list[RecordObjective] = Field(description="With their check-ins and who "
                                                          "wrote each")
    evidence: list[EvidenceRead] = Field(description="Retracted evidence included")
    one_to_ones: list[RecordOneToOne]
    target_results: list[TargetResultRead]
    triggers: list[TriggerRead] = Field(description="Live and withdrawn")
    interventions: list[InterventionRead] = Field(description="Support offered to you or "
                                                              "asked for by you")
    recognitions: list[InterventionRead]
    coaching_enrolments: list[RecordEnrolment]
    coaching_sessions: list[RecordSession]
    concerns: list[RecordConcern] = Field(description="Concerns raised about you")
    cases: list[RecordCase] = Field(description="Formal cases about you")
    case_audit: list[RecordCaseAudit] = Field(description="Who read or worked on your cases, "
                                                          "when, and what")

    @classmethod
    def of(cls, r: record.MyRecord) -> MyRecord:
        p = r.person
        me = p.id

        def contact(n: record.Named) -> CaseContact:
            return CaseContact(id=n.id, name=n.name, email=n.email)

        def intervention(i: Intervention) -> InterventionRead:
            return InterventionRead.of(InterventionView(i, allowed_actions(
                InterventionStatus(i.status), InterventionKind(i.kind))))

        def trigger(t: Trigger) -> TriggerRead:
            status = TriggerStatus.withdrawn if t.withdrawn_at else TriggerStatus.live
            return TriggerRead.model_validate(
                {name: getattr(t, name) for name in TriggerRead.model_fields if name != "status"}
                | {"status": status})

        return cls(
            person=RecordPerson.model_validate(
                {name: getattr(p, name) for name in RecordPerson.model_fields
                 if name != "line_manager"}
                | {"line_manager": contact(r.line_manager) if r.line_manager else None}),
            band_periods=[RecordBandPeriod.model_validate(b) for b in r.band_periods],
            line_management=[RecordLineManagement(
                manager=contact(n), started_at=s.started_at, ended_at=s.ended_at,
                override_reason=s.override_reason) for s, n in r.line_management],
            teams=[RecordTeam(team_id=m.membership.team_id, team_name=m.team_name,
                              started_on=m.membership.started_on,
                              ended_on=m.membership.ended_on) for m in r.teams],
            absences=[RecordAbsence.model_validate(a) for a in r.absences],
            objectives=[RecordObjective.model_validate(
                {name: getattr(o, name) for name in RecordObjective.model_fields
                 if name != "check_ins"}
                | {"check_ins": [RecordCheckIn(
                    id=c.check_in.id, on=c.check_in.on, note=c.check_in.note,
                    progress=c.check_in.progress, author_id=c.check_in.author_id,
                    author_name=c.author_name) for c in r.check_ins.get(o.id or 0, [])]})
                for o in r.objectives],
            evidence=[EvidenceRead.of(e) for e in r.evidence],
            one_to_ones=[RecordOneToOne(
                id=o.id, on=o.on, status=o.status,
                role="person" if o.person_id == me else "line_manager",
                with_person=contact(n), notes=o.notes) for o, n in r.one_to_ones],
            target_results=[TargetResultRead.model_validate(t) for t in r.target_results],
            triggers=[trigger(t) for t in r.triggers],
            interventions=[intervention(i) for i in r.support],
            recognitions=[intervention(i) for i in r.recognitions],
            coaching_enrolments=[RecordEnrolment(
                enrolment_id=e.enrolment.id, programme_name=e.programme.name,
                starts_on=e.programme.starts_on, ends_on=e.programme.ends_on,
                role="coachee" if e.enrolment.coachee_id == me else "coach",
                with_person=contact(n), active=e.enrolment.active) for e, n in r.enrolments],
            coaching_sessions=[RecordSession(
                id=s.session.id, enrolment_id=s.enrolment.id,
                scheduled_for=s.session.scheduled_for, status=s.session.status,
                role="coachee" if s.enrolment.coachee_id == me else "coach",
                with_person=contact(n), topics=list(s.session.topics),
                notes=s.session.notes) for s, n in r.sessions],
            concerns=[RecordConcern.model_validate(c) for c in r.concerns],
            cases=[RecordCase(
                id=c.case.id, kind=c.case.kind, status=c.case.status,
                opened_at=c.case.opened_at, closed_at=c.case.closed_at,
                outcome=c.case.outcome, consent_at=c.case.consent_at,
                case_managers=[contact(n) for n in c.case_managers],
                notes=[CaseNoteRead.of(n) for n in c.shared_notes],
                internal_notes=c.internal_notes) for c in r.cases],
            case_audit=[RecordCaseAudit(
                case_id=a.case_id, at=a.at, who=contact(a.who) if a.who else None,
                actor=a.actor, action=a.action) for a in r.case_audit],
        )

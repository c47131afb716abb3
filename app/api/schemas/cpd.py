"""The CPD record as JSON."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import Field

from app.api.schemas.common import Output
from app.domain.vocabulary import Band, EvidenceKind, EvidenceSource, ObjectiveStatus
from app.services.growth import cpd


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(round(value, 2))


class CpdPerson(Output):
    id: int
    name: str
    band: Band | None
    band_title: str | None = Field(description="The band's title in the responsibility matrix")


class CpdRange(Output):
    start: date = Field(alias="from", description="First day, inclusive")
    end: date = Field(alias="to", description="Last day, inclusive")


class CpdCheckIn(Output):
    id: int
    on: date
    note: str
    progress: int | None
    author_id: int = Field(description="Who wrote the check-in")
    author_name: str


class CpdRecognition(Output):
    """A recognition recorded for the person in the range (withdrawn ones left out)."""

    id: int
    recognised_on: date
    summary: str


class CpdObjective(Output):
    id: int
    quarter: str
    title: str
    description: str
    status: ObjectiveStatus
    twenty_percent_time: bool
    quality_dashboard_outcome: str | None
    completion_note: str | None
    completed_at: datetime | None
    check_ins: list[CpdCheckIn]


class CpdEvidence(Output):
    id: int
    occurred_on: date
    kind: EvidenceKind
    source: EvidenceSource
    title: str
    hours: float | None
    topic: str | None


class CpdTotals(Output):
    training_hours: float
    accomplishments_logged: int
    weeks_with_accomplishments: int = Field(description="ISO weeks with at least one "
                                                        "accomplishment logged")
    qualifications: int
    objectives_completed: int
    twenty_percent_objectives_completed: int
    coaching_sessions_held: int = Field(description="Held in the range, as coachee")
    coaching_sessions_given: int = Field(description="Held in the range, as coach")
    coaching_hours_given: float
    evidence_items: int
    recognitions: int


class CpdEnrolment(Output):
    enrolment_id: int
    programme_id: int
    programme_name: str
    starts_on: date
    ends_on: date
    coach_id: int
    coach_name: str
    active: bool
    sessions_held: int = Field(description="All sessions held on this enrolment")
    sessions_planned: int


class CpdSessionHeld(Output):
    id: int
    held_on: datetime
    programme_name: str
    minutes: int
    topics: list[str]


class CpdSessionGiven(Output):
    """A session given as coach: the coachee and the topics belong to the coachee's record."""

    id: int
    held_on: datetime
    programme_name: str
    minutes: int


class CpdCoaching(Output):
    enrolments: list[CpdEnrolment] = Field(description="As coachee, on programmes running "
                                                       "during the range")
    sessions_held: list[CpdSessionHeld] = Field(description="As coachee, held in the range")
    sessions_given: list[CpdSessionGiven] = Field(description="As coach, held in the range")


class CpdRecord(Output):
    """A person's continuing-professional-development record for a date range."""

    person: CpdPerson
    range: CpdRange
    totals: CpdTotals
    objectives: list[CpdObjective] = Field(description="Objectives of the quarters the range "
                                                       "overlaps, with their check-ins")
    evidence: list[CpdEvidence] = Field(description="Evidence dated in the range (retracted "
                                                    "evidence left out)")
    qualifications: list[CpdEvidence]
    coaching: CpdCoaching
    recognitions: list[CpdRecognition] = Field(description="Recognitions recorded in the range")

    @classmethod
    def of(cls, r: cpd.CpdRecord) -> CpdRecord:
        p, t = r.person, r.totals

        def evidence(items: list[cpd.EvidenceEntry]) -> list[CpdEvidence]:
            return [CpdEvidence(id=e.id, occurred_on=e.occurred_on, kind=EvidenceKind(e.kind),
                                source=EvidenceSource(e.source), title=e.title,
                                hours=_number(e.hours), topic=e.topic) for e in items]

        return cls(
            person=CpdPerson(id=p.id, name=p.name, band=p.band, band_title=r.band_title),
            range=CpdRange.model_validate({"from": r.start, "to": r.end}),
            totals=CpdTotals(
                training_hours=_number(t.training_hours),
                accomplishments_logged=t.accomplishments_logged,
                weeks_with_accomplishments=t.weeks_with_accomplishments,
                qualifications=t.qualifications,
                objectives_completed=t.objectives_completed,
                twenty_percent_objectives_completed=t.twenty_percent_objectives_completed,
                coaching_sessions_held=t.coaching_sessions_held,
                coaching_sessions_given=t.coaching_sessions_given,
                coaching_hours_given=_number(t.coaching_hours_given),
                evidence_items=t.evidence_items, recognitions=t.recognitions),
            objectives=[CpdObjective.model_validate(o) for o in r.objectives],
            evidence=evidence(r.evidence),
            qualifications=evidence(r.evidence_of(EvidenceKind.qualification)),
            coaching=CpdCoaching(
                enrolments=[CpdEnrolment.model_validate(e) for e in r.enrolments],
                sessions_held=[CpdSessionHeld.model_validate(s) for s in r.sessions_held],
                sessions_given=[CpdSessionGiven.model_validate(s) for s in r.sessions_given]),
            recognitions=[CpdRecognition.model_validate(x) for x in r.recognitions],
        )

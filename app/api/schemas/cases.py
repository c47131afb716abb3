"""Formal cases, concerns and the case audit log: what is sent and what comes back."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from app.api.schemas.common import Input, Output, RecordId
from app.db.models import AuditEntry, id_of
from app.db.support import CaseAssignment, CaseNote, Concern
from app.domain.access import CaseAccess
from app.domain.vocabulary import CaseKind, CaseStatus, ConcernStatus, NoteVisibility
from app.services.cases.cases import CaseView
from app.services.kit.fields import Reason

Summary = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                           max_length=4000)]
NoteBody = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                            max_length=8000)]


# --- concerns --------------------------------------------------------------------------------


class ConcernCreate(Input):
    subject_id: RecordId = Field(description="The report the concern is about")
    summary: Summary = Field(description="What worries you, and what support has been tried")


class ConcernReceipt(Output):
    """That the concern was received: nothing about what follows."""

    id: int
    received_at: datetime


class ConcernRead(Output):
    id: int
    subject_id: int
    raised_by_id: int
    summary: str
    status: ConcernStatus
    raised_at: datetime
    allowed_actions: list[str] = Field(description=(
        "What you may do to this concern now: dismiss it, or open_case (POST /v1/cases with "
        "its concern_id), while it is open"))

    @classmethod
    def of(cls, concern: Concern, allowed_actions: list[str]) -> ConcernRead:
        return cls(id=concern.id, subject_id=concern.subject_id,
                   raised_by_id=concern.raised_by_id, summary=concern.summary,
                   status=ConcernStatus(concern.status), raised_at=concern.raised_at,
                   allowed_actions=allowed_actions)


class ConcernDismiss(Input):
    reason: Reason = Field(description="Why no case follows (kept in the audit log)")


# --- cases -----------------------------------------------------------------------------------


class CaseCreate(Input):
    subject_id: RecordId = Field(description="The person the case is about")
    kind: CaseKind
    summary: Summary
    concern_id: RecordId | None = Field(default=None, description="The open concern this case "
                                                                  "takes up, if any")


class CaseTransition(Input):
    to: CaseStatus = Field(description="The next status: open → under_review → "
                                       "outcome_recorded (via /outcome) → closed")


class CaseOutcome(Input):
    outcome: Summary


class CaseNoteCreate(Input):
    visibility: NoteVisibility = Field(description="`shared`: the subject reads it too; "
                                                   "`internal`: case managers only")
    body: NoteBody


class CaseNoteRead(Output):
    id: int
    case_id: int
    author_id: int
    visibility: NoteVisibility
    body: str
    created_at: datetime

    @classmethod
    def of(cls, note: CaseNote) -> CaseNoteRead:
        return cls.model_validate(note)


class AssignmentCreate(Input):
    case_manager_id: RecordId = Field(description="A case manager who is not, and has not "
                                                  "been while the case is open, the subject's "
                                                  "line manager")


class AssignmentRead(Output):
    case_id: int
    case_manager_id: int
    assigned_at: datetime

    @classmethod
    def of(cls, assignment: CaseAssignment) -> AssignmentRead:
        return cls.model_validate(assignment)


class CaseSummary(Output):
    """A case in a list: its subject sees the status of cases about them; its case managers
    see the cases assigned to them."""

    id: int
    view: Literal["manager", "subject"] = Field(description="How you stand to the case")
    subject_id: int
    kind: CaseKind
    status: CaseStatus
    opened_at: datetime
    closed_at: datetime | None
    allowed_actions: list[str] = Field(description=(
        "What you may do to this case now, from its status: its case managers review, "
        "record_outcome, close and add_note; its subject may consent (a voluntary band "
        "change); empty if nothing"))

    @classmethod
    def of(cls, v: CaseView) -> CaseSummary:
        c = v.case
        return cls(id=c.id, view=v.access.value, subject_id=c.subject_id,
                   kind=c.kind, status=c.status, opened_at=c.opened_at,
                   closed_at=c.closed_at, allowed_actions=v.allowed_actions)


class CaseContact(Output):
    """A case manager the person a case is about can contact."""

    id: int
    name: str
    email: str


class CaseSubjectRead(Output):
    """A case as the person it is about sees it: its status, outcome, the time they
    consented, the case managers to contact and the shared notes."""

    view: Literal["subject"] = "subject"
    id: int
    kind: CaseKind
    status: CaseStatus
    opened_at: datetime
    closed_at: datetime | None
    outcome: str | None = Field(description="The outcome, once recorded")
    consent_at: datetime | None = Field(description="When you consented (voluntary band "
                                                    "change)")
    case_managers: list[CaseContact] = Field(description="Who to contact about the case")
    notes: list[CaseNoteRead] = Field(description="Shared notes")
    allowed_actions: list[str] = Field(description=(
        "What you may do to this case now, from its status: its case managers review, "
        "record_outcome, close and add_note; its subject may consent (a voluntary band "
        "change); empty if nothing"))



class CaseManagerRead(Output):
    """A case as its assigned case managers see it: everything."""

    view: Literal["manager"] = "manager"
    id: int
    subject_id: int
    kind: CaseKind
    status: CaseStatus
    summary: str
    concern_id: int | None
    opened_by_id: int
    opened_at: datetime
    closed_at: datetime | None
    evidence_snapshot: dict[str, Any] = Field(description="What the fairness gate saw when "
                                                          "the case opened")
    consent_at: datetime | None = Field(description="When the subject consented (voluntary "
                                                    "band change)")
    outcome: str | None
    assignments: list[AssignmentRead]
    notes: list[CaseNoteRead] = Field(description="All notes, shared and internal")
    allowed_actions: list[str] = Field(description=(
        "What you may do to this case now, from its status: its case managers review, "
        "record_outcome, close and add_note; its subject may consent (a voluntary band "
        "change); empty if nothing"))
    updated_at: datetime


CaseRead = Annotated[CaseManagerRead | CaseSubjectRead, Field(discriminator="view")]


def case_read(v: CaseView) -> CaseManagerRead | CaseSubjectRead:
    c = v.case
    notes = [CaseNoteRead.of(n) for n in v.notes]
    if v.access is CaseAccess.manager:
        return CaseManagerRead(
            id=c.id, subject_id=c.subject_id, kind=c.kind, status=c.status,
            summary=c.summary, concern_id=c.concern_id, opened_by_id=c.opened_by_id,
            opened_at=c.opened_at, closed_at=c.closed_at,
            evidence_snapshot=c.evidence_snapshot, consent_at=c.consent_at, outcome=c.outcome,
            assignments=[AssignmentRead.of(a) for a in v.assignments], notes=notes,
            allowed_actions=v.allowed_actions, updated_at=c.updated_at)
    return CaseSubjectRead(id=c.id, kind=c.kind, status=c.status,
                           opened_at=c.opened_at, closed_at=c.closed_at, outcome=c.outcome,
                           consent_at=c.consent_at,
                           case_managers=[CaseContact(id=id_of(p), name=p.name, email=p.email)
                                          for p in v.contacts],
                           notes=notes, allowed_actions=v.allowed_actions)


# --- audit -----------------------------------------------------------------------------------


class AuditEntryRead(Output):
    id: int
    at: datetime
    actor: str = Field(description="`person:<id>` or `client:<client id>`")
    action: str = Field(examples=["case.read", "case.read.refused"])
    target_type: str
    target_id: str | None
    outcome: str = Field(examples=["ok", "refused"])
    request_id: str | None
    detail: dict[str, Any]

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryRead:
        return cls.model_validate(entry)


class CaseRefusalRead(Output):
    """Refused attempts on a case by one caller, of one kind, counted."""

    actor: str = Field(description="`person:<id>` or `client:<client id>`")
    action: str = Field(examples=["case.read.refused"])
    count: int
    first_at: datetime
    last_at: datetime

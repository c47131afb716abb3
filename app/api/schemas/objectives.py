"""Objectives and check-ins: what is sent and what comes back."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StrictInt, model_validator

from app.api.schemas.common import (CREATED_BY, UPDATED_BY, Flag, Input, IsoDate, Output,
                                    RecordId)
from app.domain.quarters import QUARTER_PATTERN
from app.domain.vocabulary import ObjectiveStatus
from app.services.kit.fields import Note, Reason
from app.services.growth.objectives import NewObjective, ObjectiveChanges, ObjectiveView

Title = Annotated[str, Field(min_length=1, max_length=200)]
QuarterText = Annotated[str, Field(min_length=7, max_length=7, pattern=QUARTER_PATTERN,
                                   examples=["2026-Q4"],
                                   description="A calendar quarter: YYYY-Qn")]
Outcome = Annotated[str, Field(min_length=1, max_length=200, description=(
    "Which outcome of the software quality dashboard / framework this improves"))]
Description = Annotated[str, Field(max_length=4000)]


class ObjectiveCreate(Input):
    person_id: RecordId | None = Field(default=None, description="Whose objective; you by "
                                                                 "default")
    title: Title
    description: Description = ""
    quarter: QuarterText
    twenty_percent_time: Flag = True
    quality_dashboard_outcome: Outcome | None = None

    def values(self) -> NewObjective:
        return NewObjective(title=self.title, description=self.description,
                            quarter=self.quarter, twenty_percent_time=self.twenty_percent_time,
                            quality_dashboard_outcome=self.quality_dashboard_outcome)


class ObjectiveUpdate(Input):
    """A JSON merge patch of a draft or agreed objective's wording."""

    title: Title | None = None
    description: Description | None = None
    quarter: QuarterText | None = None
    twenty_percent_time: Flag | None = None
    quality_dashboard_outcome: Outcome | None = None

    @model_validator(mode="after")
    def _required_fields_not_null(self) -> ObjectiveUpdate:
        for name in ("title", "description", "quarter", "twenty_percent_time"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def changes(self) -> ObjectiveChanges:
        return ObjectiveChanges(**{k: getattr(self, k) for k in self.model_fields_set})


class CompleteRequest(Input):
    note: Note | None = Field(default=None, description="What was achieved")
    evidence_ids: list[RecordId] = Field(default_factory=list, max_length=50)


class ReasonRequest(Input):
    reason: Reason


class DropRequest(Input):
    reason: Reason
    override_reason: Reason | None = Field(
        default=None, description="Required of anyone but the owner: an admin dropping "
                                  "someone's objective (a leaver's, or one made in error) says "
                                  "why; it is recorded in the history and the audit log")


class RequestChangesRequest(Input):
    note: Reason = Field(description="What the owner is asked to change (kept and shown on the "
                                     "objective and in its history)")


class ObjectiveRead(Output):
    id: int
    person_id: int
    title: str
    description: str
    quarter: str = Field(pattern=QUARTER_PATTERN)
    twenty_percent_time: bool
    quality_dashboard_outcome: str | None
    status: ObjectiveStatus
    allowed_actions: list[str] = Field(description="The lifecycle actions you may take now: "
                                                   "those possible from this status that are "
                                                   "yours to take")
    change_request: str | None = Field(description="The line manager's words when they last "
                                                   "asked for changes")
    agreed_by_id: int | None
    agreed_at: datetime | None
    completion_note: str | None
    completed_at: datetime | None
    drop_reason: str | None
    reopen_reason: str | None
    evidence_ids: list[int] = Field(description="Evidence linked to this objective")
    warnings: list[str] = Field(description="Soft warnings, e.g. the policy expects three "
                                            "20%-time objectives a quarter")
    created_by: int | None = CREATED_BY
    updated_by: int | None = UPDATED_BY
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, v: ObjectiveView) -> ObjectiveRead:
        o = v.objective
        return cls(**{k: getattr(o, k) for k in (
            "id", "person_id", "title", "description", "quarter", "twenty_percent_time",
            "quality_dashboard_outcome", "status", "agreed_by_id", "agreed_at",
            "completion_note", "completed_at", "drop_reason", "reopen_reason",
            "change_request", "created_at", "updated_at")}, evidence_ids=v.evidence_ids,
            warnings=v.warnings, allowed_actions=v.allowed_actions,
            created_by=o.created_by_id, updated_by=o.updated_by_id)


class CheckInCreate(Input):
    on: IsoDate = Field(description="The day of the check-in")
    note: Annotated[str, Field(min_length=1, max_length=4000)]
    progress: Annotated[StrictInt, Field(ge=0, le=100)] | None = Field(
        default=None, description="Per cent done, if you want to say")


class CheckInRead(Output):
    id: int
    objective_id: int
    author_id: int = Field(description="Who wrote the check-in: the owner or their line "
                                       "manager")
    on: date
    note: str
    progress: int | None
    created_by: int | None = Field(validation_alias="created_by_id",
                                   description=CREATED_BY.description)
    updated_by: int | None = Field(validation_alias="updated_by_id",
                                   description=UPDATED_BY.description)
    created_at: datetime

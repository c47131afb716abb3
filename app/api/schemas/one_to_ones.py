"""One-to-ones: what is sent and what comes back."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field, field_validator

from app.api.schemas.common import CREATED_BY, UPDATED_BY, Input, Output, RecordId
from app.api.schemas.evidence import Day
from app.domain.vocabulary import OneToOneStatus
from app.services.kit.fields import Note
from app.services.growth.one_to_ones import OneToOneChanges, OneToOneView


class OneToOneCreate(Input):
    person_id: RecordId = Field(description="The person who met their line manager")
    on: Day = Field(description="The date of the meeting: one record per person per date")
    status: OneToOneStatus
    notes: Note | None = Field(default=None, description="Private to the two participants")


class OneToOneUpdate(Input):
    """A JSON merge patch: only the fields sent are changed; null clears the notes."""

    on: Day | None = None
    status: OneToOneStatus | None = None
    notes: Note | None = None

    @field_validator("on", "status")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Runs only on fields that were sent, so the error names the field sent as null.
        if value is None:
            raise ValueError("cannot be null; leave the field out to keep it")
        return value

    def changes(self) -> OneToOneChanges:
        return OneToOneChanges(**{k: getattr(self, k) for k in self.model_fields_set})


class OneToOneRead(Output):
    """A one-to-one. Everyone who may read it sees that it happened; only the two
    participants see the notes."""

    id: int
    person_id: int
    manager_id: int = Field(description="The person's line manager when it was recorded")
    on: date
    status: OneToOneStatus
    notes: str | None = Field(description="Null unless `notes_visible`")
    notes_visible: bool = Field(description="Whether you are one of the two participants")
    created_by: int | None = CREATED_BY
    updated_by: int | None = UPDATED_BY
    allowed_actions: list[str] = Field(description=(
        "What you may do to this one-to-one now: `edit` for its two participants, nothing "
        "for anyone else"))
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, v: OneToOneView) -> OneToOneRead:
        r = v.one_to_one
        return cls(id=r.id, person_id=r.person_id, manager_id=r.manager_id, on=r.on,
                   status=r.status, notes=r.notes if v.notes_visible else None,
                   notes_visible=v.notes_visible, created_by=r.created_by_id,
                   updated_by=r.updated_by_id, allowed_actions=v.allowed_actions,
                   created_at=r.created_at,
                   updated_at=r.updated_at)

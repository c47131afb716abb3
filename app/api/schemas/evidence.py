"""Evidence: what is sent and what comes back."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, StringConstraints, field_validator

from app.api.schemas.common import (CREATED_BY, UPDATED_BY, Input, IsoDate, Output, RecordId,
                                    json_decimal)
from app.db.models import Evidence
from app.domain.evidence import INTEGRATION_KINDS, KINDS, SOURCE_NAMES
from app.domain.vocabulary import EvidenceKind, EvidenceSource
from app.services.growth.evidence import EvidenceChanges

Day = IsoDate  # YYYY-MM-DD text only (see app/api/schemas/common.py)

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Description = Annotated[str, StringConstraints(max_length=4000)]
Topic = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


Hours = Annotated[Decimal, *json_decimal(
    gt=0, le=24, description="Training only: more than 0, at most 24 per record, at most two "
                             "decimal places (1.5 is an hour and a half)")]


def _listing(words: list[str], last: str) -> str:
    return f" {last} ".join(filter(None, [", ".join(words[:-1]), words[-1]]))


def _kinds() -> str:
    """The kinds, from the domain's table: what each must carry, and what comes only from an
    integration."""
    by_hand = [f"`{kind}`" + (f" (with {_listing([f'`{f}`' for f in rules.required], 'and')})"
                              if rules.required else "")
               for kind, rules in KINDS.items() if kind not in INTEGRATION_KINDS]
    integrated = [kind for kind in KINDS if kind in INTEGRATION_KINDS]
    sources = list(dict.fromkeys(SOURCE_NAMES[KINDS[kind].source] for kind in integrated))
    return (f"{_listing(by_hand, 'or')}. {_listing([f'`{k}`' for k in integrated], 'and')} "
            f"arrive only from {_listing(sources, 'and')}.")


_KINDS = _kinds()


class EvidenceCreate(Input):
    person_id: RecordId | None = Field(
        default=None, description="Whose evidence: your own only (the default)")
    kind: EvidenceKind = Field(description=_KINDS)
    occurred_on: Day
    title: Title
    description: Description | None = None
    hours: Hours | None = None
    topic: Topic | None = Field(default=None, description="What the training was about")
    objective_id: RecordId | None = Field(
        default=None, description="One of the same person's objectives this is evidence for")

    def values(self) -> dict[str, Any]:
        data = self.model_dump()
        data["description"] = self.description or ""
        return data


_NOT_NULL = ("kind", "occurred_on", "title")


class EvidenceUpdate(Input):
    """A JSON merge patch: only the fields sent are changed; null clears an optional field."""

    kind: EvidenceKind | None = Field(default=None, description=_KINDS)
    occurred_on: Day | None = None
    title: Title | None = None
    description: Description | None = None
    hours: Hours | None = None
    topic: Topic | None = None
    objective_id: RecordId | None = None

    @field_validator(*_NOT_NULL)
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Runs only on fields that were sent, so the error names the field sent as null.
        if value is None:
            raise ValueError("cannot be null; leave the field out to keep it")
        return value

    def changes(self) -> EvidenceChanges:
        data = {k: getattr(self, k) for k in self.model_fields_set}
        if "description" in data:
            data["description"] = data["description"] or ""
        return EvidenceChanges(**data)


class EvidenceRead(Output):
    id: int
    person_id: int
    kind: EvidenceKind
    source: EvidenceSource = Field(description="`manual`, or the integration it came from")
    occurred_on: date
    title: str
    description: str
    hours: float | None = Field(description="Training hours; null for other kinds")
    topic: str | None
    objective_id: int | None
    external_id: str | None = Field(description="The integration's own id (issue key, commit)")
    details: dict[str, Any] = Field(description="What the integration reported")
    retracted: bool = Field(description="Withdrawn by its integration (e.g. a ticket moved out "
                                        "of Done)")
    created_by: int | None = CREATED_BY
    updated_by: int | None = UPDATED_BY
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, e: Evidence) -> EvidenceRead:
        return cls(id=e.id, person_id=e.person_id, kind=e.kind, source=e.source,
                   occurred_on=e.occurred_on, title=e.title, description=e.description,
                   hours=float(e.hours) if e.hours is not None else None, topic=e.topic,
                   objective_id=e.objective_id, external_id=e.external_id,
                   details=e.details or {}, retracted=e.retracted_at is not None,
                   created_by=e.created_by_id, updated_by=e.updated_by_id,
                   created_at=e.created_at, updated_at=e.updated_at)

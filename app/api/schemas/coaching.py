"""Coaching programmes, enrolments and sessions: what is sent and what comes back."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import (AfterValidator, AwareDatetime, BeforeValidator, Field, StrictInt,
                      StringConstraints, model_validator)

from app.api.schemas.common import Input, IsoDate, Output, RecordId
from app.domain.vocabulary import Band, SessionStatus
from app.services.growth.coaching import (EnrolmentView, NewProgramme, ProgrammeChanges,
                                          SessionChanges, SessionView)
from app.services.kit.fields import Name, Note

ContentItem = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                               max_length=200)]
Topic = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
MIN_YEAR, MAX_YEAR = 2000, 2100
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _calendar_date(value: object) -> object:
    # IsoDate still reads "0" as a Unix time; a programme's dates are written YYYY-MM-DD.
    if isinstance(value, str) and not _ISO_DATE.match(value):
        raise ValueError("a date is written YYYY-MM-DD")
    return value


CalendarDate = Annotated[IsoDate, BeforeValidator(_calendar_date)]


def _datetime_as_text(value: object) -> object:
    # A number would be read as a Unix time; a time is RFC 3339 text with its offset.
    if isinstance(value, str | datetime):
        return value
    raise ValueError("a time is RFC 3339 text with an offset, e.g. 2026-10-07T10:00:00+01:00")


def _in_range_utc(value: datetime) -> datetime:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"the year must be between {MIN_YEAR} and {MAX_YEAR}")
    return value.astimezone(UTC)


SessionTime = Annotated[AwareDatetime, BeforeValidator(_datetime_as_text),
                        AfterValidator(_in_range_utc),
                        Field(description="RFC 3339, with an offset (stored in UTC)",
                              examples=["2026-10-07T10:00:00+01:00"])]


def _unique(items: list[Any]) -> list[Any]:
    return list(dict.fromkeys(items))


class ProgrammeCreate(Input):
    name: Name
    cohort_bands: list[Band] = Field(min_length=1, max_length=5,
                                     description="The bands whose people may be enrolled")
    starts_on: CalendarDate
    ends_on: CalendarDate = Field(description="After starts_on")
    planned_sessions: StrictInt = Field(ge=1, le=100)
    session_minutes: StrictInt = Field(ge=15, le=480)
    planned_content: list[ContentItem] = Field(default_factory=list, max_length=50)

    def values(self) -> NewProgramme:
        return NewProgramme(
            name=self.name, cohort_bands=_unique([b.value for b in self.cohort_bands]),
            starts_on=self.starts_on, ends_on=self.ends_on,
            planned_sessions=self.planned_sessions, session_minutes=self.session_minutes,
            planned_content=self.planned_content)


_PROGRAMME_NOT_NULL = ("name", "cohort_bands", "starts_on", "ends_on", "planned_sessions",
                       "session_minutes", "planned_content")


class ProgrammeUpdate(Input):
    """A JSON merge patch: only the fields sent are changed."""

    name: Name | None = None
    cohort_bands: list[Band] | None = Field(default=None, min_length=1, max_length=5)
    starts_on: CalendarDate | None = None
    ends_on: CalendarDate | None = None
    planned_sessions: StrictInt | None = Field(default=None, ge=1, le=100)
    session_minutes: StrictInt | None = Field(default=None, ge=15, le=480)
    planned_content: list[ContentItem] | None = Field(default=None, max_length=50)

    @model_validator(mode="after")
    def _fields_not_null(self) -> ProgrammeUpdate:
        for name in _PROGRAMME_NOT_NULL:
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def changes(self) -> ProgrammeChanges:
        data = {k: getattr(self, k) for k in self.model_fields_set}
        if "cohort_bands" in data:
            data["cohort_bands"] = _unique([b.value for b in data["cohort_bands"]])
        return ProgrammeChanges(**data)


class ProgrammeRead(Output):
    id: int
    name: str
    cohort_bands: list[Band]
    starts_on: date
    ends_on: date
    planned_sessions: int
    session_minutes: int
    planned_content: list[str]
    created_at: datetime
    updated_at: datetime


class EnrolmentCreate(Input):
    programme_id: RecordId
    coachee_id: RecordId = Field(description="Their band must be in the programme's cohort")
    coach_id: RecordId


class Progress(Output):
    sessions_planned: int = Field(description="The programme's planned sessions")
    sessions_held: int
    sessions_scheduled: int
    sessions_cancelled: int
    hours_held: float = Field(description="Sessions held × the programme's session length")


class EnrolmentRead(Output):
    id: int
    programme_id: int
    programme_name: str
    coachee_id: int
    coach_id: int
    active: bool = Field(description="False once withdrawn")
    created_at: datetime
    progress: Progress

    @classmethod
    def of(cls, v: EnrolmentView) -> EnrolmentRead:
        e = v.enrolment
        return cls(id=e.id, programme_id=e.programme_id, programme_name=v.programme.name,
                   coachee_id=e.coachee_id, coach_id=e.coach_id, active=e.active,
                   created_at=e.created_at,
                   progress=Progress.model_validate(v.progress))


class SessionCreate(Input):
    enrolment_id: RecordId
    scheduled_for: SessionTime
    topics: list[Topic] = Field(default_factory=list, max_length=20)


_SESSION_NOT_NULL = ("status", "topics", "notes", "scheduled_for")


class SessionUpdate(Input):
    """A JSON merge patch. `status` moves a scheduled session to held or cancelled, once."""

    status: SessionStatus | None = None
    topics: list[Topic] | None = Field(default=None, max_length=20)
    notes: Note | None = Field(default=None, description="For the coach and the coachee only")
    scheduled_for: SessionTime | None = Field(default=None,
                                              description="Only while still scheduled")

    @model_validator(mode="after")
    def _fields_not_null(self) -> SessionUpdate:
        for name in _SESSION_NOT_NULL:
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def changes(self) -> SessionChanges:
        return SessionChanges(**{k: getattr(self, k) for k in self.model_fields_set})


class SessionRead(Output):
    id: int
    enrolment_id: int
    coachee_id: int
    coach_id: int
    scheduled_for: datetime
    status: SessionStatus
    topics: list[str]
    notes_visible: bool = Field(description="Notes are for the coach and the coachee only")
    notes: str | None = Field(description="Null unless notes_visible")
    allowed_actions: list[str] = Field(description=(
        "What you may do to this session now (hold, cancel, reschedule, edit): its "
        "lifecycle's actions from its status that your relation permits; empty if none"))
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, v: SessionView) -> SessionRead:
        s = v.record
        return cls(id=s.id, enrolment_id=s.enrolment_id, coachee_id=v.enrolment.coachee_id,
                   coach_id=v.enrolment.coach_id, scheduled_for=s.scheduled_for,
                   status=SessionStatus(s.status), topics=s.topics,
                   notes_visible=v.notes_visible, notes=s.notes if v.notes_visible else None,
                   allowed_actions=v.allowed_actions, created_at=s.created_at, updated_at=s.updated_at)

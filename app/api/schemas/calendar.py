"""The calendar: key dates and a person's meetings, and the secret link to the feed."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import ConfigDict, Field

from app.api.schemas.common import Output
from app.services.oversight.calendar import EventKind


class CalendarEvent(Output):
    uid: str = Field(description="Stable across requests (the iCalendar UID)")
    title: str
    kind: EventKind
    all_day: bool = Field(description="True: start and end are dates; false: UTC times")
    start: datetime | date
    end: datetime | date = Field(description="Exclusive: for all-day events the day after the "
                                             "last day (as in iCalendar)")
    description: str


class CalendarRead(Output):
    model_config = ConfigDict(populate_by_name=True)

    start: date = Field(alias="from", description="The first day covered")
    end: date = Field(alias="to", description="The last day covered")
    events: list[CalendarEvent]


class CalendarLinkRead(Output):
    url: str = Field(description="The feed's address, secret included: subscribe to it from "
                                 "Outlook or Google Calendar. Shown only now.")
    token: str = Field(description="The secret (only its hash is stored); shown only now")

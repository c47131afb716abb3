"""Routes: calendar (JSON for the signed-in person; iCalendar behind a secret link)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Response, Security, status
from fastapi.security import APIKeyQuery

from app.api.auth import GrowthActor
from app.api.deps import API_PREFIX, SessionDep
from app.api.problems import problem_responses
from app.api.render.ical import to_ical
from app.api.schemas.calendar import CalendarEvent, CalendarLinkRead, CalendarRead
from app.api.schemas.common import IsoDate
from app.domain.errors import Unauthenticated
from app.services.oversight import calendar

router = APIRouter(prefix=API_PREFIX)

ICALENDAR = "text/calendar; charset=utf-8"
# Calendar apps cannot send a bearer token: the feed's key is the secret in its link.
calendar_link = APIKeyQuery(name="token", scheme_name="CalendarLink", auto_error=False,
                            description="The secret from POST /v1/calendar/link (calendar "
                                        "feeds only)")


@router.get("/calendar", operation_id="get_calendar", response_model=CalendarRead,
            tags=["calendar"], responses=problem_responses(401, 403, 422))
def get_calendar(session: SessionDep, actor: GrowthActor,
                 start: Annotated[IsoDate | None, Query(
                     alias="from", description="First day (default today)")] = None,
                 end: Annotated[IsoDate | None, Query(
                     alias="to", description="Last day (default 90 days after `from`; at most "
                                             f"{calendar.MAX_DAYS} days after it)")] = None
                 ) -> CalendarRead:
    """Your calendar: the programme's key dates (objective setting, check-in deadlines, the
    deadline to record completed objectives in the corporate system, evaluations, the annual
    policy review, open consultations) and your own coaching sessions and one-to-ones (never
    their notes)."""
    first, last, events = calendar.my_calendar(session, actor, start=start, end=end)
    return CalendarRead(start=first, end=last, events=[CalendarEvent(
        uid=e.uid, title=e.title, kind=e.kind, all_day=e.all_day, start=e.start, end=e.end,
        description=e.description) for e in events])


@router.get("/calendar.ics", operation_id="get_calendar_feed", response_class=Response,
            tags=["calendar"],
            responses={200: {"description": "An RFC 5545 iCalendar feed",
                             "content": {"text/calendar": {"schema": {"type": "string"}}}},
                       **problem_responses(401, 404)})
def get_calendar_feed(session: SessionDep,
                      token: Annotated[str | None, Security(calendar_link)] = None) -> Response:
    """Your calendar as an iCalendar feed for Outlook or Google Calendar, from 60 days ago to
    a year ahead. Calendar apps cannot sign in, so the secret link is the key (`?token=`), not
    a bearer token: no token is 401; a replaced or revoked link is 404."""
    if not token:
        raise Unauthenticated(detail="This feed is opened with the secret link made at POST "
                                     "/v1/calendar/link (`/v1/calendar.ics?token=...`).",
                              error=None)
    found = calendar.feed(session, token)
    body = to_ical(found.events, name=f"GPS: {found.owner_name}", stamp=datetime.now(UTC))
    return Response(content=body.encode("utf-8"), media_type=ICALENDAR,
                    headers={"Content-Disposition": 'inline; filename="gps.ics"'})


@router.post("/calendar/link", operation_id="rotate_calendar_link",
             status_code=status.HTTP_201_CREATED, response_model=CalendarLinkRead,
             tags=["calendar"], responses=problem_responses(401, 403, 409))
def rotate_calendar_link(session: SessionDep, actor: GrowthActor) -> CalendarLinkRead:
    """Make your secret calendar link, or replace it: the old link stops working at once.
    The link is shown only in this answer."""
    token = calendar.rotate_link(session, actor)
    return CalendarLinkRead(url=f"{calendar.FEED_PATH}?token={quote(token)}", token=token)


@router.delete("/calendar/link", operation_id="revoke_calendar_link",
               status_code=status.HTTP_204_NO_CONTENT, response_class=Response,
               tags=["calendar"], responses=problem_responses(401, 403))
def revoke_calendar_link(session: SessionDep, actor: GrowthActor) -> Response:
    """Revoke your secret calendar link: it stops working at once."""
    calendar.revoke_link(session, actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

"""Routes: the HR system's objective-completions feed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from app.api.auth import Cursor, HrFeedReadActor
from app.api.deps import API_PREFIX, ReadSessionFactory, SessionDep
from app.api.negotiation import prefers
from app.api.problems import problem_responses
from app.api.schemas.common import IsoDateTime
from app.api.schemas.integrations import HrFeedItem, HrFeedPage
from app.db.growth import HrEvent
from app.services.growth import hr_feed

router = APIRouter(prefix=f"{API_PREFIX}/hr", tags=["hr"])

CSV = "text/csv"


@router.get(
    "/objective-completions", operation_id="hr_objective_completions",
    response_model=HrFeedPage,
    responses={200: {"content": {CSV: {"schema": {"type": "string"}}},
                     "headers": {
                         "Next-Cursor": {"description": "CSV only: the cursor to resume after "
                                                        "this page", "schema": {"type": "string"}},
                         "Has-More": {"description": "CSV only: `true` when more events are "
                                                     "waiting now", "schema": {"type": "string"}}}},
               **problem_responses(401, 403, 422)},
)
def objective_completions(
    request: Request, session: SessionDep, read_sessions: ReadSessionFactory,
    actor: HrFeedReadActor, cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=hr_feed.MAX_CSV_PAGE, description=(
        f"Events a page: at most {hr_feed.MAX_JSON_PAGE} as JSON, "
        f"{hr_feed.MAX_CSV_PAGE} as CSV"))] = 500,
    since: Annotated[IsoDateTime | None, Query(description=(
        "Only events at or after this time (RFC 3339); a cursor is the better way to "
        "resume"))] = None,
) -> HrFeedPage | StreamingResponse:
    """The objective completions (and reopenings) feed for the HR system, oldest first.

    An append-only stream. Every answer has a `next_cursor`: store it, and pass it as
    `cursor` next time to get only what came after. While `has_more` is true, fetch again at
    once; when it is false you are up to date, so poll later. No event is ever skipped or
    repeated. `Accept: text/csv` answers the same page as CSV, streamed, with `Next-Cursor`
    and `Has-More` headers. Needs the `hr.feed:read` scope.
    """
    if prefers(request.headers.get("accept"), CSV):
        found = hr_feed.csv_page(read_sessions, actor, cursor=cursor,
                                 since=since, limit=limit)
        headers = {"Next-Cursor": found.next_cursor,
                   "Has-More": "true" if found.has_more else "false"}
        return StreamingResponse(found.rows, media_type=f"{CSV}; charset=utf-8",
                                 headers=headers)
    page = hr_feed.page(session, actor, cursor=cursor, since=since, limit=limit)
    return HrFeedPage(items=[_item(e) for e in page.events], next_cursor=page.next_cursor,
                      has_more=page.has_more)


def _item(event: HrEvent) -> HrFeedItem:
    return HrFeedItem(event_id=event.id, type=event.event_type, occurred_at=event.occurred_at,
                      objective_id=event.objective_id, title=event.title, quarter=event.quarter,
                      twenty_percent_time=event.twenty_percent_time,
                      quality_dashboard_outcome=event.quality_dashboard_outcome,
                      person_id=event.person_id, employee_number=event.employee_number)

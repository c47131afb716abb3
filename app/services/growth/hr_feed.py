"""The HR objective-completions feed: an append-only event stream read with a cursor.

It never skips and never repeats an event: the writers (`objectives`) serialise themselves so
that event ids become visible in order.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.db.growth import HrEvent
from app.domain.errors import RuleViolation
from app.domain.access import Actor, require_scope
from app.domain.scopes import Scope
from app.domain.spreadsheet import row
from app.services.kit.pagination import decode_cursor, encode_cursor, keyset_page

MAX_JSON_PAGE = 1000
MAX_CSV_PAGE = 1_000_000
CSV_COLUMNS = ["event_id", "type", "occurred_at", "objective_id", "title", "quarter",
               "twenty_percent_time", "quality_dashboard_outcome", "person_id",
               "employee_number"]


def _base(since: datetime | None) -> SelectOfScalar[HrEvent]:
    stmt = select(HrEvent)
    if since is not None:
        stmt = stmt.where(HrEvent.occurred_at >= since)
    return stmt


@dataclass(frozen=True)
class FeedPage:
    events: list[HrEvent]
    # Unlike other lists, a feed's cursor is never null: it points after the last event
    # delivered, so the next poll resumes exactly there.
    next_cursor: str
    has_more: bool


def page(session: Session, actor: Actor, *, cursor: str | None, since: datetime | None,
         limit: int) -> FeedPage:
    """One page of the feed, oldest first."""
    require_scope(actor, Scope.hr_feed_read)
    if limit > MAX_JSON_PAGE:
        raise RuleViolation(detail=f"limit: at most {MAX_JSON_PAGE} events a page as JSON "
                                   f"(up to {MAX_CSV_PAGE} as CSV).", rule="FEED-PAGE-SIZE",
                            extra={"field": "limit"})
    found = keyset_page(session, _base(since), HrEvent.id, cursor=cursor, limit=limit)
    after = found.items[-1].id if found.items else (decode_cursor(cursor) or 0)
    return FeedPage(found.items, encode_cursor(after), found.next_cursor is not None)


@dataclass(frozen=True)
class CsvPage:
    next_cursor: str
    has_more: bool
    rows: Iterator[str]


def csv_page(factory: sessionmaker[Session], actor: Actor, *, cursor: str | None,
             since: datetime | None, limit: int) -> CsvPage:
    """The same page as CSV, streamed in constant memory.

    The page's last id is found first (an index scan), so `next_cursor` can go in a header
    before the body streams.
    """
    require_scope(actor, Scope.hr_feed_read)
    after = decode_cursor(cursor) or 0
    with factory() as session:
        ids = _base(since).where(col(HrEvent.id) > after).order_by(col(HrEvent.id))
        only_ids = ids.with_only_columns(col(HrEvent.id))
        last = session.scalars(only_ids.offset(limit - 1).limit(1)).first()
        more = last is not None and session.scalars(
            only_ids.where(col(HrEvent.id) > last).limit(1)).first()
        if last is None:  # a short (last) page: it ends at the newest event
            last = session.scalars(only_ids.order_by(None).order_by(
                col(HrEvent.id).desc()).limit(1)).first()
    end = last or after
    return CsvPage(next_cursor=encode_cursor(end), has_more=bool(more),
                   rows=_stream(factory, since=since, after=after, end=end))


def _stream(factory: sessionmaker[Session], *, since: datetime | None, after: int,
            end: int) -> Iterator[str]:
    buffer = io.StringIO()
    # RFC 4180's CRLF: the csv module then quotes a cell holding either character, so a
    # title with a carriage return stays one cell (with "\n" alone, a bare CR split the row).
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> str:
        chunk = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return chunk

    writer.writerow(CSV_COLUMNS)
    yield flush()
    with factory() as session:
        stmt = (_base(since).where(col(HrEvent.id) > after, col(HrEvent.id) <= end)
                .order_by(col(HrEvent.id)).execution_options(yield_per=1000))
        for n, event in enumerate(session.exec(stmt), start=1):
            writer.writerow(csv_row(event))
            if n % 500 == 0:
                yield flush()
    yield flush()


def csv_row(event: HrEvent) -> list[str]:
    # Titles are people's own words: a spreadsheet must never run one as a formula.
    return row([event.id, event.event_type,
                event.occurred_at.isoformat().replace("+00:00", "Z"), event.objective_id,
                event.title, event.quarter, "true" if event.twenty_percent_time else "false",
                event.quality_dashboard_outcome, event.person_id, event.employee_number])

"""What a Jira Cloud webhook delivery means for GPS: pure functions over the parsed JSON.

Unknown or missing fields never raise: a delivery GPS cannot use is simply ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

_JIRA_TIME = re.compile(
    r"^(?P<base>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?P<frac>\.\d+)?(?P<tz>Z|[+-]\d{2}:?\d{2})?$")


def parse_time(value: Any) -> datetime | None:
    """Parse Jira's timestamps: `2025-10-09T11:40:00.117+0100` (no colon in the offset),
    RFC 3339 variants, or epoch milliseconds. Returns an aware datetime, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    match = _JIRA_TIME.match(value.strip())
    if match is None:
        return None
    try:
        base = datetime.fromisoformat(match["base"])
    except ValueError:
        return None
    if match["frac"]:
        base = base.replace(microsecond=int((match["frac"][1:] + "000000")[:6]))
    tz = match["tz"]
    if tz is None or tz == "Z":
        return base.replace(tzinfo=UTC)
    sign = 1 if tz[0] == "+" else -1
    digits = tz[1:].replace(":", "")
    try:
        moment = base.replace(tzinfo=timezone(sign * timedelta(
            hours=int(digits[:2]), minutes=int(digits[2:]))))
        moment.astimezone(UTC)  # the first and last days of the calendar, offset past its end
    except (OverflowError, ValueError):
        return None
    return moment


@dataclass(frozen=True)
class SprintInfo:
    id: int
    name: str
    state: str
    board_id: int | None
    start: datetime | None
    end: datetime | None
    complete: datetime | None


def _sprint(raw: Any) -> SprintInfo | None:
    if not isinstance(raw, dict):
        return None
    sprint_id = raw.get("id")
    if not isinstance(sprint_id, int) or isinstance(sprint_id, bool):
        return None
    board = raw.get("boardId", raw.get("originBoardId"))
    return SprintInfo(
        id=sprint_id, name=_text(raw.get("name"), 200) or f"Sprint {sprint_id}",
        state=(_text(raw.get("state"), 20) or "unknown").lower(),
        board_id=board if isinstance(board, int) and not isinstance(board, bool) else None,
        start=parse_time(raw.get("startDate")), end=parse_time(raw.get("endDate")),
        complete=parse_time(raw.get("completeDate")))


def sprints(fields: dict[str, Any], sprint_field: str) -> list[SprintInfo]:
    raw = fields.get(sprint_field)
    if not isinstance(raw, list):
        return []
    return [s for s in (_sprint(item) for item in raw) if s is not None]


def counting_sprint(all_sprints: list[SprintInfo]) -> SprintInfo | None:
    """The sprint a ticket counts in: the active one, else the latest."""
    active = [s for s in all_sprints if s.state == "active"]
    if active:
        return active[-1]
    if not all_sprints:
        return None
    epoch = datetime.min.replace(tzinfo=UTC)
    return max(all_sprints, key=lambda s: (s.start or epoch, s.id))


class TicketChange(StrEnum):
    done = "done"  # moved into the Done status category
    undone = "undone"  # moved from Done to another category
    deleted = "deleted"
    none = "none"  # nothing GPS counts


@dataclass(frozen=True)
class TicketEvent:
    change: TicketChange
    issue_key: str | None
    summary: str
    project: str | None
    assignee_account_id: str | None
    at: datetime | None
    sprint: SprintInfo | None
    sprints: list[SprintInfo]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any, limit: int) -> str:
    # NUL characters cannot be stored; they are dropped rather than failing the delivery.
    return str(value or "").replace("\x00", "")[:limit]


def interpret(payload: Any, *, sprint_field: str) -> TicketEvent:
    """Read what a delivery says about a ticket."""
    body = _dict(payload)
    event = body.get("webhookEvent")
    issue = _dict(body.get("issue"))
    fields = _dict(issue.get("fields"))
    key = _text(issue.get("key"), 100) or None if isinstance(issue.get("key"), str) else None
    assignee = _dict(fields.get("assignee")).get("accountId")
    found = sprints(fields, sprint_field)
    project = _dict(fields.get("project")).get("key")
    base: dict[str, Any] = dict(
        issue_key=key, summary=_text(fields.get("summary"), 300),
        project=_text(project, 100) or None if isinstance(project, str) else None,
        assignee_account_id=_text(assignee, 128) or None if isinstance(assignee, str) else None,
        at=parse_time(body.get("timestamp")) or parse_time(fields.get("updated")),
        sprint=counting_sprint(found), sprints=found)
    if event == "jira:issue_deleted" and key:
        return TicketEvent(change=TicketChange.deleted, **base)
    if event != "jira:issue_updated" or not key:
        return TicketEvent(change=TicketChange.none, **base)
    items = _dict(body.get("changelog")).get("items")
    status_changed = isinstance(items, list) and any(
        isinstance(i, dict) and (i.get("fieldId") == "status" or i.get("field") == "status")
        for i in items)
    if not status_changed:
        return TicketEvent(change=TicketChange.none, **base)
    category = _dict(_dict(fields.get("status")).get("statusCategory")).get("key")
    change = TicketChange.done if category == "done" else TicketChange.undone
    return TicketEvent(change=change, **base)


# --- order ----------------------------------------------------------------------------------
#
# Jira retries a delivery for up to about 30 minutes, each retry under the same
# `X-Atlassian-Webhook-Identifier`, but the same event can also arrive under another id (a
# second registered webhook, a body re-sent by hand or by someone holding the secret). So an
# issue's state is set by the newest event applied to it, never by the last to arrive.
#
# Every delivery carries `timestamp` (epoch milliseconds, when Jira made the event). A status
# change also carries `changelog.id`: Jira's changelog ids come from one increasing sequence,
# and Jira writes an issue's changes one after another, so for one issue they order its
# changes exactly, even two in the same millisecond. Changelog ids decide when both events
# have one; otherwise (a deletion makes no changelog entry) the timestamps decide.

_BIG = 2**63  # the database keeps both as signed 64-bit integers


@dataclass(frozen=True)
class EventOrder:
    """Where an event stands in its issue's history."""

    at_ms: int  # Jira's `timestamp`, epoch milliseconds
    changelog_id: int | None  # `changelog.id` of a change; None for a deletion


def is_older(event: EventOrder, than: EventOrder) -> bool:
    """True when `event` happened before `than`: applying it would overwrite newer state.

    The same event again (equal ids) is not older: applying it again changes nothing.
    """
    if event.changelog_id is not None and than.changelog_id is not None:
        return event.changelog_id < than.changelog_id
    return event.at_ms < than.at_ms


def _epoch_ms(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)


def _changelog_id(value: Any) -> int | None:
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < _BIG:
        return value
    return None


def event_order(payload: Any, *, received_at: datetime) -> EventOrder:
    """The event's place in its issue's history: Jira's timestamp (else the issue's `updated`
    time, else when GPS received it) and, for an update, its changelog id."""
    body = _dict(payload)
    raw = body.get("timestamp")
    at_ms: int | None = None
    if isinstance(raw, int) and not isinstance(raw, bool) and parse_time(raw) is not None:
        at_ms = raw  # exact: no round trip through a float
    else:
        moment = parse_time(raw) or parse_time(_dict(_dict(body.get("issue")).get("fields"))
                                                .get("updated"))
        at_ms = _epoch_ms(moment) if moment is not None else None
    if at_ms is None or not -_BIG < at_ms < _BIG:
        at_ms = _epoch_ms(received_at)
    changelog = None
    if body.get("webhookEvent") == "jira:issue_updated":
        changelog = _changelog_id(_dict(body.get("changelog")).get("id"))
    return EventOrder(at_ms=at_ms, changelog_id=changelog)


def replay_key(order: EventOrder) -> tuple[int, int]:
    """Sorts stored events of one issue oldest first, for replay (timestamps, then changelog
    ids). Replay still checks each one with `is_older`, so a tie sorted either way is safe."""
    return order.at_ms, -1 if order.changelog_id is None else order.changelog_id


def event_type(payload: Any) -> str:
    event = _dict(payload).get("webhookEvent")
    return event[:100] if isinstance(event, str) and event else "unknown"

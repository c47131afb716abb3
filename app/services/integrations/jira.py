"""Jira Cloud deliveries: tickets moved to Done become `ticket_done` evidence, in their sprint.

Deliveries about an issue apply in the order of its events, not of their arrival: each issue
keeps the newest event applied to it (`JiraIssueState`), and an older one is stored and
marked `superseded`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy import and_, not_, or_
from sqlmodel import Session, select

from app.db.integrations import JiraIssueState, Sprint, WebhookDelivery
from app.db.models import Person, TeamBoard, id_of, table_of
from app.db.types import utcnow
from app.domain import jira
from app.domain.vocabulary import EvidenceKind, EvidenceSource
from app.services.integrations import integration_evidence
from app.services.integrations.webhooks import Applier, Outcome
from app.settings import Settings

SOURCE = "jira"


def applier(settings: Settings) -> Applier:
    def apply(session: Session, delivery: WebhookDelivery, payload: Any) -> Outcome:
        return apply_delivery(session, payload, sprint_field=settings.jira_sprint_field,
                              received_at=delivery.received_at,
                              delivery_id=delivery.delivery_id)
    return apply


def apply_delivery(session: Session, payload: Any, *, sprint_field: str,
                   received_at: datetime, delivery_id: str = "") -> Outcome:
    event = jira.interpret(payload, sprint_field=sprint_field)
    boards: dict[int, int | None] = {}
    if event.change is jira.TicketChange.none:
        _record_sprints(session, event, boards)
        return Outcome("ignored", "Not a move into or out of Done; stored, nothing counted.")
    key = event.issue_key
    assert key is not None  # every change names its issue
    order = jira.event_order(payload, received_at=received_at)
    if event.change in (jira.TicketChange.undone, jira.TicketChange.deleted):
        if not _claim(session, key, order, event.change, delivery_id):
            return _superseded(key, order)
        _record_sprints(session, event, boards)
        count = integration_evidence.retract(session, source=EvidenceSource.jira,
                                             external_id=key)
        what = "moved out of Done" if event.change is jira.TicketChange.undone else "deleted"
        return Outcome("applied", f"{key} {what}: {count} evidence retracted.")
    # A move into Done is the issue's newest event whoever it credits, even nobody yet: an
    # older done for someone else must not count over it. One waiting for its person is
    # applied when replayed, as the same event again (not older than itself).
    if not _claim(session, key, order, event.change, delivery_id):
        return _superseded(key, order)
    _record_sprints(session, event, boards)
    if event.assignee_account_id is None:
        return Outcome("ignored", f"{key} is done but has no assignee.")
    person = session.exec(select(Person).where(
        Person.jira_account_id == event.assignee_account_id)).first()
    if person is None:
        return Outcome("unmatched", "No person has this Jira account id yet; applied once "
                                    "someone does.",
                       subjects=[f"jira:{event.assignee_account_id}"])
    at = event.at or received_at
    sprint = event.sprint
    details = {"issue_key": key, "project": event.project,
               "done_at": at.isoformat(),
               "sprint": None if sprint is None else {
                   "id": sprint.id, "name": sprint.name, "state": sprint.state,
                   "board_id": sprint.board_id}}
    integration_evidence.upsert(
        session, person_id=id_of(person), kind=EvidenceKind.ticket_done,
        source=EvidenceSource.jira, external_id=key, occurred_on=at.astimezone(UTC).date(),
        title=f"{key} {event.summary}".strip()[:300], details=details,
        serialized=True)  # under the issue's row, claimed above
    return Outcome("applied", f"{key} done by person {person.id}.",
                   subjects=[f"jira:{event.assignee_account_id}"])


def replay_key(delivery: WebhookDelivery, payload: Any) -> tuple[int, ...]:
    return jira.replay_key(jira.event_order(payload, received_at=delivery.received_at))


def _superseded(key: str, order: jira.EventOrder) -> Outcome:
    try:
        at = datetime.fromtimestamp(order.at_ms / 1000, UTC).isoformat(timespec="milliseconds")
    except (OverflowError, OSError, ValueError):  # a timestamp no calendar can show
        at = f"{order.at_ms} ms"
    which = f"changelog {order.changelog_id}, " if order.changelog_id is not None else ""
    return Outcome("superseded", f"{key}: a newer event was applied already (this one: "
                                 f"{which}{at}); stored, nothing changed.")


def _claim(session: Session, key: str, order: jira.EventOrder, change: jira.TicketChange,
           delivery_id: str) -> bool:
    """Record this event as the issue's newest, unless a newer one is recorded; return
    whether it is to be applied.

    One statement: an insert that, when the issue has a row already, updates it only if this
    event is not older (the same rule as `jira.is_older`, in SQL). On PostgreSQL the row stays
    locked to the end of the transaction, so deliveries about one issue are applied one after
    another, each compared with the one committed before it, whatever order they arrive in.
    """
    table = table_of(JiraIssueState)
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(table).values(issue_key=key, event_ms=order.at_ms,
                                changelog_id=order.changelog_id, change=change.value,
                                delivery_id=delivery_id[:200], updated_at=utcnow())
    new, last = stmt.excluded, table.c
    both_changes = and_(new.changelog_id.is_not(None), last.changelog_id.is_not(None))
    not_older = or_(and_(both_changes, new.changelog_id >= last.changelog_id),
                    and_(not_(both_changes), new.event_ms >= last.event_ms))
    upsert = stmt.on_conflict_do_update(
        index_elements=["issue_key"], where=not_older,
        set_={name: getattr(new, name) for name in (
            "event_ms", "changelog_id", "change", "delivery_id", "updated_at")},
    ).returning(last.issue_key)
    return session.execute(upsert).first() is not None


def _record_sprints(session: Session, event: jira.TicketEvent,
                    boards: dict[int, int | None]) -> None:
    # Sprints in id order: deliveries that share sprints lock them in the same order (and
    # after the issue's row: every delivery takes an issue's row before any sprint's).
    for sprint in sorted(event.sprints, key=lambda s: s.id):
        _record_sprint(session, sprint, boards)


def _record_sprint(session: Session, info: jira.SprintInfo,
                   boards: dict[int, int | None]) -> None:
    """Record what a delivery says of a sprint. Most deliveries repeat what is already
    recorded (every ticket in a sprint names it): those read the row and leave it alone,
    without taking its lock, so deliveries about one sprint do not queue on it."""
    current = session.get(Sprint, info.id)
    if current is not None and _as_recorded(session, current, info, boards) == _fields(current):
        return
    sprint = _claim_sprint(session, info)
    for name, value in _as_recorded(session, sprint, info, boards).items():
        setattr(sprint, name, value)
    sprint.updated_at = utcnow()
    session.add(sprint)
    session.flush()


def _as_recorded(session: Session, sprint: Sprint, info: jira.SprintInfo,
                 boards: dict[int, int | None]) -> dict[str, Any]:
    """The sprint's fields once this delivery's view is applied (fields it omits are kept).

    `boards` keeps the team of each board looked up for this delivery: a ticket's sprints
    are mostly on one board, which is then read once."""
    board_id = info.board_id if info.board_id is not None else sprint.board_id
    team_id = sprint.team_id
    if board_id is not None:
        if board_id not in boards:
            board = session.get(TeamBoard, board_id)
            boards[board_id] = board.team_id if board else None
        team_id = boards[board_id] if boards[board_id] is not None else team_id
    return {"name": info.name, "state": info.state, "board_id": board_id, "team_id": team_id,
            "start_date": info.start.date() if info.start else sprint.start_date,
            "end_date": info.end.date() if info.end else sprint.end_date,
            "complete_date": info.complete.date() if info.complete else sprint.complete_date}


def _fields(sprint: Sprint) -> dict[str, Any]:
    return {name: getattr(sprint, name) for name in (
        "name", "state", "board_id", "team_id", "start_date", "end_date", "complete_date")}


def _claim_sprint(session: Session, info: jira.SprintInfo) -> Sprint:
    """Get the sprint's row, creating it once, and hold it for this transaction.

    Deliveries about tickets in one sprint arrive together (at any replica): the first to see
    a sprint inserts it, and the others wait for it and update it after, instead of failing on
    the primary key.
    """
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(Sprint).values(id=info.id, name=info.name, state=info.state,
                                          updated_at=utcnow())
                    .on_conflict_do_nothing(index_elements=["id"]))
    stmt = select(Sprint).where(Sprint.id == info.id)
    if dialect == "postgresql":
        stmt = stmt.with_for_update()
    return session.exec(stmt.execution_options(populate_existing=True)).one()

"""Jira Cloud deliveries: tickets moved to Done become `ticket_done` evidence, in their sprint."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from app.db.growth import Evidence
from app.db.integrations import Sprint, WebhookDelivery
from app.db.models import Person, TeamBoard
from app.db.types import utcnow
from app.domain import jira
from app.domain.vocabulary import EvidenceKind, EvidenceSource
from app.services import integration_evidence
from app.services.webhooks import Outcome
from app.settings import Settings

SOURCE = "jira"


def applier(settings: Settings):  # type: ignore[no-untyped-def]
    def apply(session: Session, delivery: WebhookDelivery, payload: Any) -> Outcome:
        return apply_delivery(session, payload, sprint_field=settings.jira_sprint_field,
                              received_at=delivery.received_at)
    return apply


def apply_delivery(session: Session, payload: Any, *, sprint_field: str,
                   received_at: datetime) -> Outcome:
    event = jira.interpret(payload, sprint_field=sprint_field)
    # Sprints in id order: deliveries that share sprints lock them in the same order.
    for sprint in sorted(event.sprints, key=lambda s: s.id):
        _record_sprint(session, sprint)
    if event.change is jira.TicketChange.none:
        return Outcome("ignored", "Not a move into or out of Done; stored, nothing counted.")
    if event.change in (jira.TicketChange.undone, jira.TicketChange.deleted):
        count = integration_evidence.retract(session, source=EvidenceSource.jira,
                                             external_id=event.issue_key)  # type: ignore[arg-type]
        what = "moved out of Done" if event.change is jira.TicketChange.undone else "deleted"
        return Outcome("applied", f"{event.issue_key} {what}: {count} evidence retracted.")
    if event.assignee_account_id is None:
        return Outcome("ignored", f"{event.issue_key} is done but has no assignee.")
    person = session.exec(select(Person).where(
        Person.jira_account_id == event.assignee_account_id)).first()
    if person is None:
        return Outcome("unmatched", "No person has this Jira account id yet; applied once "
                                    "someone does.",
                       subjects=[f"jira:{event.assignee_account_id}"])
    at = event.at or received_at
    sprint = event.sprint
    details = {"issue_key": event.issue_key, "project": event.project,
               "done_at": at.isoformat(),
               "sprint": None if sprint is None else {
                   "id": sprint.id, "name": sprint.name, "state": sprint.state,
                   "board_id": sprint.board_id}}
    integration_evidence.upsert(
        session, person_id=person.id, kind=EvidenceKind.ticket_done,  # type: ignore[arg-type]
        source=EvidenceSource.jira, external_id=event.issue_key,  # type: ignore[arg-type]
        occurred_on=at.astimezone(UTC).date(),
        title=f"{event.issue_key} {event.summary}".strip()[:300], details=details)
    return Outcome("applied", f"{event.issue_key} done by person {person.id}.",
                   subjects=[f"jira:{event.assignee_account_id}"])


def _record_sprint(session: Session, info: jira.SprintInfo) -> None:
    """Record what a delivery says of a sprint. Most deliveries repeat what is already
    recorded (every ticket in a sprint names it): those read the row and leave it alone,
    without taking its lock, so deliveries about one sprint do not queue on it."""
    current = session.get(Sprint, info.id)
    if current is not None and _as_recorded(session, current, info) == _fields(current):
        return
    sprint = _claim_sprint(session, info)
    for name, value in _as_recorded(session, sprint, info).items():
        setattr(sprint, name, value)
    sprint.updated_at = utcnow()
    session.add(sprint)
    session.flush()


def _as_recorded(session: Session, sprint: Sprint, info: jira.SprintInfo) -> dict[str, Any]:
    """The sprint's fields once this delivery's view is applied (fields it omits are kept)."""
    board_id = info.board_id if info.board_id is not None else sprint.board_id
    team_id = sprint.team_id
    if board_id is not None:
        board = session.get(TeamBoard, board_id)
        team_id = board.team_id if board else team_id
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


def evidence_for_issue(session: Session, issue_key: str) -> list[Evidence]:
    return list(session.exec(select(Evidence).where(Evidence.source == SOURCE,
                                                    Evidence.external_id == issue_key)))

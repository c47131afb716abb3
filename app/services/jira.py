"""Jira Cloud deliveries: tickets moved to Done become `ticket_done` evidence, in their sprint."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
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
    for sprint in event.sprints:
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
    sprint = session.get(Sprint, info.id)
    if sprint is None:
        try:
            with session.begin_nested():
                session.add(Sprint(id=info.id, name=info.name, state=info.state))
        except IntegrityError:
            pass  # a concurrent delivery recorded the sprint first: update that one
        sprint = session.get(Sprint, info.id, populate_existing=True)
        assert sprint is not None
    sprint.name, sprint.state = info.name, info.state
    sprint.board_id = info.board_id if info.board_id is not None else sprint.board_id
    sprint.start_date = info.start.date() if info.start else sprint.start_date
    sprint.end_date = info.end.date() if info.end else sprint.end_date
    sprint.complete_date = info.complete.date() if info.complete else sprint.complete_date
    if sprint.board_id is not None:
        board = session.get(TeamBoard, sprint.board_id)
        sprint.team_id = board.team_id if board else sprint.team_id
    sprint.updated_at = utcnow()
    session.add(sprint)
    session.flush()


def evidence_for_issue(session: Session, issue_key: str) -> list[Evidence]:
    return list(session.exec(select(Evidence).where(Evidence.source == SOURCE,
                                                    Evidence.external_id == issue_key)))

"""Replaying stored deliveries once the people they are about are known."""

from __future__ import annotations

from sqlmodel import Session, select

from app.db.integrations import WebhookDelivery
from app.db.models import Person
from app.domain.policy import Actor, require_scope
from app.domain.scopes import Scope
from app.services import github, jira, webhooks
from app.settings import Settings


def _appliers(settings: Settings) -> dict[str, webhooks.Applier]:
    return {jira.SOURCE: jira.applier(settings), github.SOURCE: github.applier(settings)}


def subjects_of(person: Person) -> list[str]:
    keys = [f"email:{person.email}"]
    if person.jira_account_id:
        keys.append(f"jira:{person.jira_account_id}")
    if person.github_login:
        keys.append(f"github:{person.github_login}")
    return keys


def replay_for_person(session: Session, settings: Settings, person: Person) -> int:
    """Apply the deliveries that were waiting for this person; return how many applied."""
    waiting = webhooks.waiting_for(session, subjects_of(person))
    return webhooks.replay(session, deliveries=waiting, appliers=_appliers(settings))


def replay_waiting(session: Session, actor: Actor, settings: Settings, *,
                   source: str | None) -> tuple[int, int]:
    """Apply every unmatched or failed delivery again (admin)."""
    require_scope(actor, Scope.integrations)
    stmt = select(WebhookDelivery).where(
        WebhookDelivery.status.in_(("unmatched", "failed")))  # type: ignore[attr-defined]
    if source is not None:
        stmt = stmt.where(WebhookDelivery.source == source)
    waiting = list(session.exec(stmt))
    return len(waiting), webhooks.replay(session, deliveries=waiting,
                                         appliers=_appliers(settings))

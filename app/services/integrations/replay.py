"""Replaying stored deliveries once the people they are about are known."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from app.db.integrations import WebhookDelivery
from app.db.models import Person
from app.db.types import utcnow
from app.domain.access import Actor, require_scope
from app.domain.scopes import Scope
from app.services.integrations import github, jira, webhooks
from app.settings import Settings

# A delivery is stored, then applied in a second transaction a moment later. One still only
# `received` after this long was cut off in between (the database went away, the process
# died): the sender was answered 503, and GitHub does not retry by itself.
STRANDED_AFTER = timedelta(minutes=1)


def _appliers(settings: Settings) -> dict[str, webhooks.Applier]:
    return {jira.SOURCE: jira.applier(settings), github.SOURCE: github.applier(settings)}


def _keys() -> dict[str, webhooks.ReplayKey]:
    return {jira.SOURCE: jira.replay_key}


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
    return webhooks.replay(session, deliveries=waiting, appliers=_appliers(settings),
                           keys=_keys())


def on_identity_change(session: Session, settings: Settings) -> Callable[[Person], None]:
    """What people calls when someone's identity changes: apply what was waiting for them."""
    def replay_waiting_for(person: Person) -> None:
        replay_for_person(session, settings, person)
    return replay_waiting_for


def replay_waiting(session: Session, actor: Actor, settings: Settings, *,
                   source: str | None) -> tuple[int, int]:
    """Apply every unmatched, failed or stranded delivery again (admin).

    On PostgreSQL the deliveries are locked, skipping any being applied right now (by a
    sender's retry on another replica), so nothing is applied twice at once.
    """
    require_scope(actor, Scope.integrations)
    stmt = select(WebhookDelivery).where(or_(
        col(WebhookDelivery.status).in_(("unmatched", "failed")),
        and_(col(WebhookDelivery.status) == "received",
             col(WebhookDelivery.received_at) < utcnow() - STRANDED_AFTER)))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    if source is not None:
        stmt = stmt.where(WebhookDelivery.source == source)
    waiting = list(session.exec(stmt))
    return len(waiting), webhooks.replay(session, deliveries=waiting,
                                         appliers=_appliers(settings), keys=_keys())

"""Webhook deliveries: verify, store raw, then apply — each delivery exactly once.

A delivery is stored in its own transaction before it is applied, so nothing accepted is lost
even if applying fails. The (source, delivery id) unique constraint makes a retry or a
concurrent duplicate a no-op; applying takes the stored row under a lock and applies only a
delivery not yet applied, so two processes receiving the same delivery apply it once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, cast, or_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from app.db.integrations import WebhookDelivery
from app.db.types import utcnow
from app.domain import json_nesting
from app.domain.errors import BadRequest, Unauthenticated, Unavailable
from app.domain.access import Actor, require_scope
from app.domain.scopes import Scope
from app.domain.signatures import sha256_signature_matches
from app.services.kit.pagination import Page, keyset_page

log = logging.getLogger("gps.webhooks")

FINAL = frozenset({"applied", "ignored", "unmatched", "awaiting_deploy", "superseded"})


@dataclass(frozen=True)
class Outcome:
    """What applying a delivery did."""

    status: str  # applied | ignored | unmatched | awaiting_deploy | superseded
    detail: str
    subjects: list[str] | None = None
    ref_key: str | None = None


@dataclass(frozen=True)
class Receipt:
    delivery_id: str
    duplicate: bool
    status: str
    detail: str


Applier = Callable[[Session, WebhookDelivery, Any], Outcome]
# Where a stored delivery stands among its source's events, for replaying them in order.
ReplayKey = Callable[[WebhookDelivery, Any], tuple[int, ...]]


def verify(secret: str | None, body: bytes, header: str | None, *, source: str,
           header_name: str) -> None:
    """Refuse a delivery whose signature is missing or wrong, before reading it."""
    if not secret:
        log.warning("%s delivery refused: no webhook secret is configured", source)
    if not sha256_signature_matches(secret, body, header):
        raise Unauthenticated(detail=f"The {header_name} signature is missing or does not "
                                     "match this delivery; nothing was stored.",
                              error=None)


def parse_json(body: bytes) -> Any:
    """The delivery's JSON (called once its signature has been checked)."""
    if json_nesting.too_deep(body):
        raise BadRequest(detail=json_nesting.TOO_DEEP, code="too-deeply-nested")
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise BadRequest(detail="The delivery body is not JSON; nothing was stored.") from None


def receive(factory: sessionmaker[Session], *, source: str, delivery_id: str, event_type: str,
            body: bytes, payload: Any, apply: Applier) -> Receipt:
    """Store a delivery (once), then apply it (once)."""
    _store(factory, source=source, delivery_id=delivery_id, event_type=event_type, body=body)
    return _apply_stored(factory, source=source, delivery_id=delivery_id, payload=payload,
                         apply=apply)


def _store(factory: sessionmaker[Session], *, source: str, delivery_id: str, event_type: str,
           body: bytes) -> None:
    values = dict(source=source, delivery_id=delivery_id, event_type=event_type,
                  body=body.decode("utf-8", errors="replace"), status="received",
                  received_at=utcnow(), subjects=[], attempts=0)
    with factory() as session:
        dialect = session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        session.execute(insert(WebhookDelivery).values(**values)
                        .on_conflict_do_nothing(index_elements=["source", "delivery_id"]))
        session.commit()


def _locked(session: Session, source: str, delivery_id: str) -> WebhookDelivery:
    stmt = select(WebhookDelivery).where(WebhookDelivery.source == source,
                                         WebhookDelivery.delivery_id == delivery_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return session.exec(stmt).one()


def _apply_stored(factory: sessionmaker[Session], *, source: str, delivery_id: str,
                  payload: Any, apply: Applier) -> Receipt:
    with factory() as session:
        delivery = _locked(session, source, delivery_id)
        if delivery.status in FINAL:
            return Receipt(delivery_id, True, delivery.status,
                           "Already received; nothing was changed.")
        try:
            outcome = _run(session, delivery, payload, apply)
        except Exception as exc:
            log.exception("applying %s delivery %s failed", source, delivery_id)
            try:
                session.commit()  # keeps the delivery, marked failed, for the sender's retry
            except SQLAlchemyError:
                # The database went away mid-apply: not even the failure can be kept. The
                # attempt is lost whole; the delivery stays stored as received, for the
                # sender's retry (the answer is 503).
                session.rollback()
                raise exc from None
            raise Unavailable(detail="The delivery was stored but could not be applied just "
                                     "now; it will be applied when the sender retries.") from None
        session.commit()
        return Receipt(delivery_id, False, outcome.status, outcome.detail)


def _run(session: Session, delivery: WebhookDelivery, payload: Any, apply: Applier) -> Outcome:
    """Apply one delivery inside a savepoint: it applies wholly or not at all.

    The delivery's own row is changed only after the savepoint, success or failure, so its
    attempt count and outcome are written in one UPDATE at commit.
    """
    savepoint = session.begin_nested()
    try:
        outcome = apply(session, delivery, payload)
        savepoint.commit()
    except Exception:
        savepoint.rollback()
        delivery.attempts += 1
        delivery.status, delivery.detail = "failed", "Applying failed; it is applied again " \
                                                      "when the sender retries or on replay."
        session.add(delivery)
        raise
    delivery.attempts += 1
    delivery.status, delivery.detail = outcome.status, outcome.detail
    if outcome.subjects is not None:
        delivery.subjects = outcome.subjects
    if outcome.ref_key is not None:
        delivery.ref_key = outcome.ref_key
    delivery.applied_at = utcnow() if outcome.status == "applied" else delivery.applied_at
    session.add(delivery)
    return outcome


def replay(session: Session, *, deliveries: list[WebhookDelivery],
           appliers: dict[str, Applier], keys: dict[str, ReplayKey] | None = None) -> int:
    """Apply stored deliveries again (for people who have since become known), in the order
    of their events (`keys`, by source; else the order they were received).

    Appliers are idempotent and check the order themselves, so what was applied before is not
    applied twice, and an older event never overwrites what a newer one set.
    """
    keys = keys or {}
    loaded = [(delivery, json.loads(delivery.body)) for delivery in deliveries]

    def position(item: tuple[WebhookDelivery, Any]) -> tuple[Any, ...]:
        delivery, payload = item
        key = keys.get(delivery.source)
        return (delivery.source, key(delivery, payload) if key else (), delivery.id or 0)

    applied = 0
    for delivery, payload in sorted(loaded, key=position):
        outcome = _run(session, delivery, payload, appliers[delivery.source])
        applied += outcome.status == "applied"
    return applied


def waiting_for(session: Session, subjects: list[str]) -> list[WebhookDelivery]:
    """Unmatched (or failed) deliveries that name any of these subjects."""
    if not subjects:
        return []
    text = cast(WebhookDelivery.subjects, String)
    return list(session.exec(select(WebhookDelivery).where(
        col(WebhookDelivery.status).in_(("unmatched", "failed")),
        or_(*[text.like(f'%"{subject}"%') for subject in subjects]))))


def list_deliveries(session: Session, actor: Actor, *, source: str | None, status: str | None,
                    cursor: str | None, limit: int) -> Page[WebhookDelivery]:
    require_scope(actor, Scope.integrations)
    stmt = select(WebhookDelivery)
    if source is not None:
        stmt = stmt.where(WebhookDelivery.source == source)
    if status is not None:
        stmt = stmt.where(WebhookDelivery.status == status)
    return keyset_page(session, stmt, WebhookDelivery.id, cursor=cursor, limit=limit)

"""Jira issues keep the newest event applied to them, so an older one cannot overwrite it.

Backfilled from the Jira deliveries already taken (applied, waiting for their person, or a
done with no assignee): each issue starts from the newest status change or deletion among
them. Failed and stranded deliveries are left to their replay.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_BIG = 2**63


def upgrade() -> None:
    table = op.create_table(
        "jira_issue_state",
        sa.Column("issue_key", sa.String(length=100), nullable=False),
        sa.Column("event_ms", sa.BigInteger(), nullable=False),
        sa.Column("changelog_id", sa.BigInteger(), nullable=True),
        sa.Column("change", sa.String(length=10), nullable=False),
        sa.Column("delivery_id", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("issue_key", name=op.f("pk_jira_issue_state")),
    )
    rows = _backfill(op.get_bind())
    if rows:
        op.bulk_insert(table, rows)


def downgrade() -> None:
    op.drop_table("jira_issue_state")


# The backfill reads stored bodies with its own small copy of the rules in app/domain/jira.py
# (a migration must not change when the application's code does): a status change or a
# deletion, its timestamp (epoch milliseconds) and, for an update, its changelog id.


def _event(body: str, received_at: datetime | str) -> tuple[str, str, int, int | None] | None:
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    kind = payload.get("webhookEvent")
    issue = raw if isinstance(raw := payload.get("issue"), dict) else {}
    key = issue.get("key")
    if not isinstance(key, str) or not key or kind not in ("jira:issue_updated",
                                                           "jira:issue_deleted"):
        return None
    fields = raw if isinstance(raw := issue.get("fields"), dict) else {}
    changelog = raw if isinstance(raw := payload.get("changelog"), dict) else {}
    changelog_id = None
    if kind == "jira:issue_updated":
        items = changelog.get("items")
        if not isinstance(items, list) or not any(
                isinstance(i, dict) and "status" in (i.get("fieldId"), i.get("field"))
                for i in items):
            return None
        status = raw if isinstance(raw := fields.get("status"), dict) else {}
        category = status.get("statusCategory")
        done = isinstance(category, dict) and category.get("key") == "done"
        change = "done" if done else "undone"
        raw_id = changelog.get("id")
        if isinstance(raw_id, str) and raw_id.isascii() and raw_id.isdigit():
            raw_id = int(raw_id)
        if isinstance(raw_id, int) and not isinstance(raw_id, bool) and 0 <= raw_id < _BIG:
            changelog_id = raw_id
    else:
        change = "deleted"
    stamp = payload.get("timestamp")
    if isinstance(stamp, int) and not isinstance(stamp, bool) and 0 < stamp < _BIG:
        at_ms = stamp
    else:
        if isinstance(received_at, str):
            received_at = datetime.fromisoformat(received_at)
        if received_at.tzinfo is None:
            received_at = received_at.replace(tzinfo=UTC)
        at_ms = (received_at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)
    return key[:100], change, at_ms, changelog_id


def _older(event: tuple[int, int | None], than: tuple[int, int | None]) -> bool:
    if event[1] is not None and than[1] is not None:
        return event[1] < than[1]
    return event[0] < than[0]


def _backfill(connection: sa.engine.Connection) -> list[dict]:
    delivery = sa.table("webhook_delivery", sa.column("id"), sa.column("source"),
                        sa.column("delivery_id"), sa.column("event_type"),
                        sa.column("received_at"), sa.column("body"), sa.column("status"))
    found = connection.execute(
        sa.select(delivery.c.delivery_id, delivery.c.received_at, delivery.c.body)
        .where(delivery.c.source == "jira",
               delivery.c.status.in_(("applied", "unmatched", "ignored")),
               delivery.c.event_type.in_(("jira:issue_updated", "jira:issue_deleted")))
        .order_by(delivery.c.id)).yield_per(500)
    newest: dict[str, dict] = {}
    now = datetime.now(UTC)
    for delivery_id, received_at, body in found:
        event = _event(body, received_at)
        if event is None:
            continue
        key, change, at_ms, changelog_id = event
        last = newest.get(key)
        if last is not None and _older((at_ms, changelog_id),
                                       (last["event_ms"], last["changelog_id"])):
            continue
        newest[key] = {"issue_key": key, "event_ms": at_ms, "changelog_id": changelog_id,
                       "change": change, "delivery_id": delivery_id, "updated_at": now}
    return list(newest.values())

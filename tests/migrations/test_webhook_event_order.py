"""Migration 0012 starts each Jira issue from the newest status change already taken."""

from __future__ import annotations

import json

from alembic import command
from sqlalchemy import create_engine, text

from app.db import migrate
from app.settings import sqlalchemy_url
from tests.api.test_jira import done, issue_updated, moved_out


def test_the_newest_applied_event_of_each_issue_is_backfilled(database_url, app):
    app.state.engine.dispose()
    config = migrate.alembic_config(database_url)
    engine = create_engine(sqlalchemy_url(database_url))
    deleted = issue_updated(key="APPT-2", event="jira:issue_deleted", items=[],
                            timestamp=1760006400117 + 9 * 60_000, changelog=None)
    stored = [  # delivery id, status, body: received in this order
        ("d-1", "applied", done(1)),
        ("d-3", "applied", moved_out(3)),
        ("d-2", "applied", done(2)),  # arrived late, and (before 0012) applied over d-3
        ("d-4", "failed", done(4)),  # never applied: not the issue's state
        ("d-5", "applied", done(5, key="APPT-2")),
        ("d-9", "applied", deleted),
        ("d-6", "ignored", issue_updated(key="APPT-3", items=[])),  # no status change
        ("d-7", "unmatched", done(7, key="APPT-4", assignee="acct-unknown")),
    ]
    try:
        command.downgrade(config, "0011")  # to just before 0012, whatever came after it
        with engine.begin() as connection:
            for delivery_id, status, body in stored:
                connection.execute(text(
                    "INSERT INTO webhook_delivery (source, delivery_id, event_type, received_at, "
                    "body, status, subjects, attempts) VALUES ('jira', :d, :e, "
                    "CURRENT_TIMESTAMP, :b, :s, '[]', 1)"),
                    {"d": delivery_id, "e": body["webhookEvent"], "b": json.dumps(body),
                     "s": status})
        command.upgrade(config, "head")
        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT issue_key, event_ms, changelog_id, change, delivery_id "
                "FROM jira_issue_state ORDER BY issue_key")).all()
    finally:
        command.upgrade(config, "head")
        engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("APPT-101", 1760006400117 + 3 * 60_000, 10203, "undone", "d-3"),
        ("APPT-2", 1760006400117 + 9 * 60_000, None, "deleted", "d-9"),
        ("APPT-4", 1760006400117 + 7 * 60_000, 10207, "done", "d-7"),
    ]

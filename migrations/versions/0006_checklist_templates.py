"""checklist templates: the first version of each situation's checklist

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 10:00:00.000000

Self-contained data (no application imports): later versions are added through the API.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

EFFECTIVE_FROM = date(2021, 10, 1)


def _item(key: str, text: str, auto: str | None = None) -> dict[str, str | None]:
    return {"key": key, "text": text, "auto": auto}


TEMPLATES: list[tuple[str, str, str, list[dict[str, str | None]]]] = [
    ("weekly-developer", "Your week", "week", [
        _item("accomplishments", "Note down what you got done this week. Big or small, it all "
                                 "counts.", "accomplishment_logged"),
        _item("training", "Record two hours of learning or training this week.",
              "training_hours"),
        _item("one_to_one", "Have your one-to-one with your line manager.", "one_to_one_held"),
        _item("objective_check_in", "Add a short check-in on one of your 20%-time objectives.",
              "objective_check_in"),
    ]),
    ("weekly-line-manager", "Your week as a line manager", "week", [
        _item("report_one_to_ones", "Hold a one-to-one with each of your reports.",
              "reports_one_to_ones"),
        _item("report_accomplishments", "Check that each of your reports has noted what they "
                                        "got done this week, and help anyone who is stuck.",
              "reports_accomplishments"),
        _item("support_responses", "Respond to any support proposed for your reports within a "
                                   "week, so nobody is left waiting.", "support_responded"),
    ]),
    ("quarter-start-senior", "Start of the quarter: senior developer", "quarter", [
        _item("reports_drafted", "Help each of your reports draft three 20%-time objectives "
                                 "for the quarter.", "reports_objectives_drafted"),
        _item("reports_agreed", "Agree your reports' objectives with them.",
              "reports_objectives_agreed"),
        _item("own_agreed", "Agree your own objectives with your line manager.",
              "own_objectives_agreed"),
    ]),
    ("monthly-principal", "Your month: principal developer", "month", [
        _item("seniors_objectives", "Check that your senior developers' reports have agreed "
                                    "objectives this quarter.",
              "seniors_reports_objectives_agreed"),
        _item("seniors_one_to_ones", "Check that each of your senior developers is holding "
                                     "one-to-ones every week.", "seniors_one_to_ones_weekly"),
        _item("participation", "Look over the participation report, and offer a hand to anyone "
                               "who might need one."),
    ]),
    ("monthly-head-of-department", "Your month: head of department", "month", [
        _item("digest", "Read this month's recognition digest.", "digest_viewed"),
        _item("recognitions", "Mention the people recognised in your update. A thank-you goes "
                              "a long way."),
        _item("participation", "Review participation across the department."),
    ]),
    ("new-starter", "Welcome: your first weeks", "once", [
        _item("profile", "Add your Jira account id and GitHub login to your profile, so your "
                         "work is recorded for you.", "profile_complete"),
        _item("first_objectives", "Draft your first objectives with your line manager.",
              "first_objectives_drafted"),
        _item("first_one_to_one", "Have your first one-to-one with your line manager.",
              "first_one_to_one_held"),
    ]),
    ("apprentice-buddy", "Buddying an apprentice", "week", [
        _item("meet", "Meet your apprentice this week, even if only for a quick chat."),
        _item("apprentice_accomplishments", "Check that your apprentice has noted what they got "
                                            "done this week.", "apprentice_accomplishments"),
    ]),
]

_template = sa.table(
    "checklist_template", sa.column("situation", sa.String), sa.column("title", sa.String),
    sa.column("period_type", sa.String), sa.column("version", sa.Integer),
    sa.column("effective_from", sa.Date), sa.column("items", sa.JSON),
    sa.column("created_at", sa.DateTime(timezone=True)))


def upgrade() -> None:
    created = datetime(2021, 10, 1, tzinfo=UTC)
    if op.get_bind().dialect.name == "sqlite":
        created = created.replace(tzinfo=None)  # stored as UTC without an offset
    op.bulk_insert(_template, [
        {"situation": situation, "title": title, "period_type": period_type, "version": 1,
         "effective_from": EFFECTIVE_FROM, "items": items, "created_at": created}
        for situation, title, period_type, items in TEMPLATES])


def downgrade() -> None:
    op.execute(_template.delete().where(
        sa.and_(_template.c.version == 1,
                _template.c.situation.in_([t[0] for t in TEMPLATES]))))

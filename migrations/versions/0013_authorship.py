"""Who wrote each record and who last changed it, and the history of objectives and
interventions.

Objectives, check-ins, evidence, one-to-ones and interventions gain `updated_by_id` (and
check-ins `created_by_id`, backfilled from their author): person ids, null where an integration
or a trigger wrote the row and on rows written before this migration. Objectives keep the line
manager's words when they ask for changes (`change_request`). `record_change` holds each change
to an objective or an intervention: who, when, the action and the fields before and after.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_UPDATED_BY = ("objective", "evidence", "one_to_one", "intervention", "check_in")


def _person_fk(batch_op: BatchOperations, table: str, column: str) -> None:
    batch_op.add_column(sa.Column(column, sa.Integer(), nullable=True))
    batch_op.create_foreign_key(op.f(f"fk_{table}_{column}_person"), "person", [column], ["id"])


def upgrade() -> None:
    for table in _UPDATED_BY:
        with op.batch_alter_table(table, schema=None) as batch_op:
            if table == "check_in":
                _person_fk(batch_op, table, "created_by_id")
            if table == "objective":
                batch_op.add_column(sa.Column("change_request", sa.Text(), nullable=True))
            _person_fk(batch_op, table, "updated_by_id")
    check_in = sa.table("check_in", sa.column("created_by_id"), sa.column("author_id"))
    op.execute(check_in.update().values(created_by_id=check_in.c.author_id))
    op.create_table(
        "record_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_type", sa.String(length=30), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["person.id"],
                                name=op.f("fk_record_change_actor_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_change")),
    )
    op.create_index("ix_record_change_record", "record_change",
                    ["record_type", "record_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_record_change_record", table_name="record_change")
    op.drop_table("record_change")
    for table in reversed(_UPDATED_BY):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"fk_{table}_updated_by_id_person"),
                                     type_="foreignkey")
            batch_op.drop_column("updated_by_id")
            if table == "objective":
                batch_op.drop_column("change_request")
            if table == "check_in":
                batch_op.drop_constraint(op.f(f"fk_{table}_created_by_id_person"),
                                         type_="foreignkey")
                batch_op.drop_column("created_by_id")

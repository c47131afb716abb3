"""A person may ask for support themselves: the intervention records who asked, and whether
they share it beyond their line manager (unshared, it is for the two of them only).

Intervention kinds are stored as strings, so the request needs no new kind.

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("intervention", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requested_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("shared", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.create_foreign_key(batch_op.f("fk_intervention_requested_by_id_person"),
                                    "person", ["requested_by_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("intervention", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_intervention_requested_by_id_person"),
                                 type_="foreignkey")
        batch_op.drop_column("shared")
        batch_op.drop_column("requested_by_id")

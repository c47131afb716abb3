"""integrations; one one-to-one per person per day

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 22:50:44.454740
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('webhook_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('delivery_id', sa.String(length=200), nullable=False),
    sa.Column('event_type', sa.String(length=100), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('subjects', sa.JSON(), nullable=False),
    sa.Column('ref_key', sa.String(length=64), nullable=True),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_delivery')),
    sa.UniqueConstraint('source', 'delivery_id', name='uq_webhook_delivery_source_delivery')
    )
    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_delivery_ref_key'), ['ref_key'], unique=False)
        batch_op.create_index('ix_webhook_delivery_status', ['source', 'status'], unique=False)

    op.create_table('sprint',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('board_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('complete_date', sa.Date(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_sprint_team_id_team'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sprint'))
    )
    with op.batch_alter_table('sprint', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sprint_board_id'), ['board_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sprint_team_id'), ['team_id'], unique=False)

    with op.batch_alter_table('one_to_one', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_one_to_one_person_on'))
        batch_op.create_unique_constraint('uq_one_to_one_person_on', ['person_id', 'on'])



def downgrade() -> None:
    with op.batch_alter_table('one_to_one', schema=None) as batch_op:
        batch_op.drop_constraint('uq_one_to_one_person_on', type_='unique')
        batch_op.create_index(batch_op.f('ix_one_to_one_person_on'), ['person_id', 'on'], unique=False)

    with op.batch_alter_table('sprint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sprint_team_id'))
        batch_op.drop_index(batch_op.f('ix_sprint_board_id'))

    op.drop_table('sprint')
    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_delivery_status')
        batch_op.drop_index(batch_op.f('ix_webhook_delivery_ref_key'))

    op.drop_table('webhook_delivery')

"""oversight

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 23:24:12.419507
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('calendar_link',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_calendar_link_person_id_person')),
    sa.PrimaryKeyConstraint('person_id', name=op.f('pk_calendar_link')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_link_token_hash'))
    )
    op.create_table('checklist_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('situation', sa.String(length=50), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('period_type', sa.String(length=10), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['person.id'], name=op.f('fk_checklist_template_created_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_template')),
    sa.UniqueConstraint('situation', 'version', name='uq_checklist_template_situation_version')
    )
    op.create_table('checklist_tick',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('situation', sa.String(length=50), nullable=False),
    sa.Column('period_key', sa.String(length=40), nullable=False),
    sa.Column('item_key', sa.String(length=80), nullable=False),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.Column('ticked_by_id', sa.Integer(), nullable=True),
    sa.Column('ticked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_checklist_tick_person_id_person')),
    sa.ForeignKeyConstraint(['ticked_by_id'], ['person.id'], name=op.f('fk_checklist_tick_ticked_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_tick')),
    sa.UniqueConstraint('person_id', 'situation', 'period_key', 'item_key', name='uq_checklist_tick_item')
    )
    with op.batch_alter_table('checklist_tick', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checklist_tick_person_id'), ['person_id'], unique=False)

    op.create_table('digest_view',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('viewed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_digest_view_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digest_view'))
    )
    with op.batch_alter_table('digest_view', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_digest_view_person_id'), ['person_id'], unique=False)

    op.create_table('policy_consultation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('policy_version_id', sa.Integer(), nullable=False),
    sa.Column('opens_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['opened_by_id'], ['person.id'], name=op.f('fk_policy_consultation_opened_by_id_person')),
    sa.ForeignKeyConstraint(['policy_version_id'], ['policy_version.id'], name=op.f('fk_policy_consultation_policy_version_id_policy_version'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_consultation')),
    sa.UniqueConstraint('policy_version_id', name=op.f('uq_policy_consultation_policy_version_id'))
    )
    with op.batch_alter_table('policy_consultation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_consultation_policy_version_id'), ['policy_version_id'], unique=False)

    op.create_table('policy_comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('reply', sa.Text(), nullable=True),
    sa.Column('replied_by_id', sa.Integer(), nullable=True),
    sa.Column('replied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['person.id'], name=op.f('fk_policy_comment_author_id_person')),
    sa.ForeignKeyConstraint(['consultation_id'], ['policy_consultation.id'], name=op.f('fk_policy_comment_consultation_id_policy_consultation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['replied_by_id'], ['person.id'], name=op.f('fk_policy_comment_replied_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_comment'))
    )
    with op.batch_alter_table('policy_comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_comment_consultation_id'), ['consultation_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('policy_comment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_comment_consultation_id'))

    op.drop_table('policy_comment')
    with op.batch_alter_table('policy_consultation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_consultation_policy_version_id'))

    op.drop_table('policy_consultation')
    with op.batch_alter_table('digest_view', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_digest_view_person_id'))

    op.drop_table('digest_view')
    with op.batch_alter_table('checklist_tick', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checklist_tick_person_id'))

    op.drop_table('checklist_tick')
    op.drop_table('checklist_template')
    op.drop_table('calendar_link')

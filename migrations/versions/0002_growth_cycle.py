"""growth cycle

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 22:34:54.325259
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('coaching_programme',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('cohort_bands', sa.JSON(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('planned_sessions', sa.Integer(), nullable=False),
    sa.Column('session_minutes', sa.Integer(), nullable=False),
    sa.Column('planned_content', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coaching_programme')),
    sa.UniqueConstraint('name', name=op.f('uq_coaching_programme_name'))
    )
    op.create_table('coaching_enrolment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('coachee_id', sa.Integer(), nullable=False),
    sa.Column('coach_id', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['coach_id'], ['person.id'], name=op.f('fk_coaching_enrolment_coach_id_person')),
    sa.ForeignKeyConstraint(['coachee_id'], ['person.id'], name=op.f('fk_coaching_enrolment_coachee_id_person')),
    sa.ForeignKeyConstraint(['programme_id'], ['coaching_programme.id'], name=op.f('fk_coaching_enrolment_programme_id_coaching_programme')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coaching_enrolment')),
    sa.UniqueConstraint('programme_id', 'coachee_id', name='uq_coaching_enrolment_programme_coachee')
    )
    with op.batch_alter_table('coaching_enrolment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coaching_enrolment_coach_id'), ['coach_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_coaching_enrolment_coachee_id'), ['coachee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_coaching_enrolment_programme_id'), ['programme_id'], unique=False)

    op.create_table('objective',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('quarter', sa.String(length=7), nullable=False),
    sa.Column('twenty_percent_time', sa.Boolean(), nullable=False),
    sa.Column('quality_dashboard_outcome', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('agreed_by_id', sa.Integer(), nullable=True),
    sa.Column('agreed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completion_note', sa.Text(), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('drop_reason', sa.Text(), nullable=True),
    sa.Column('reopen_reason', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agreed_by_id'], ['person.id'], name=op.f('fk_objective_agreed_by_id_person')),
    sa.ForeignKeyConstraint(['created_by_id'], ['person.id'], name=op.f('fk_objective_created_by_id_person')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_objective_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_objective'))
    )
    with op.batch_alter_table('objective', schema=None) as batch_op:
        batch_op.create_index('ix_objective_person_quarter', ['person_id', 'quarter'], unique=False)
        batch_op.create_index(batch_op.f('ix_objective_status'), ['status'], unique=False)

    op.create_table('one_to_one',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('manager_id', sa.Integer(), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['person.id'], name=op.f('fk_one_to_one_created_by_id_person')),
    sa.ForeignKeyConstraint(['manager_id'], ['person.id'], name=op.f('fk_one_to_one_manager_id_person')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_one_to_one_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_one_to_one'))
    )
    with op.batch_alter_table('one_to_one', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_one_to_one_manager_id'), ['manager_id'], unique=False)
        batch_op.create_index('ix_one_to_one_person_on', ['person_id', 'on'], unique=False)

    op.create_table('check_in',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('objective_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['person.id'], name=op.f('fk_check_in_author_id_person')),
    sa.ForeignKeyConstraint(['objective_id'], ['objective.id'], name=op.f('fk_check_in_objective_id_objective'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_in'))
    )
    with op.batch_alter_table('check_in', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_check_in_objective_id'), ['objective_id'], unique=False)

    op.create_table('coaching_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.Column('scheduled_for', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('topics', sa.JSON(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['enrolment_id'], ['coaching_enrolment.id'], name=op.f('fk_coaching_session_enrolment_id_coaching_enrolment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coaching_session'))
    )
    with op.batch_alter_table('coaching_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coaching_session_enrolment_id'), ['enrolment_id'], unique=False)

    op.create_table('evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('hours', sa.Numeric(precision=6, scale=2), nullable=True),
    sa.Column('topic', sa.String(length=200), nullable=True),
    sa.Column('objective_id', sa.Integer(), nullable=True),
    sa.Column('external_id', sa.String(length=200), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('retracted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['person.id'], name=op.f('fk_evidence_created_by_id_person')),
    sa.ForeignKeyConstraint(['objective_id'], ['objective.id'], name=op.f('fk_evidence_objective_id_objective')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_evidence_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence')),
    sa.UniqueConstraint('source', 'external_id', 'person_id', name='uq_evidence_source_external')
    )
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_objective_id'), ['objective_id'], unique=False)
        batch_op.create_index('ix_evidence_person_on', ['person_id', 'occurred_on'], unique=False)

    op.create_table('hr_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_type', sa.String(length=40), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('objective_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('employee_number', sa.String(length=64), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('quarter', sa.String(length=7), nullable=False),
    sa.Column('twenty_percent_time', sa.Boolean(), nullable=False),
    sa.Column('quality_dashboard_outcome', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['objective_id'], ['objective.id'], name=op.f('fk_hr_event_objective_id_objective')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_hr_event_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hr_event'))
    )
    with op.batch_alter_table('hr_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hr_event_objective_id'), ['objective_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('hr_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hr_event_objective_id'))

    op.drop_table('hr_event')
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_index('ix_evidence_person_on')
        batch_op.drop_index(batch_op.f('ix_evidence_objective_id'))
        batch_op.drop_index(batch_op.f('ix_evidence_kind'))

    op.drop_table('evidence')
    with op.batch_alter_table('coaching_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coaching_session_enrolment_id'))

    op.drop_table('coaching_session')
    with op.batch_alter_table('check_in', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_check_in_objective_id'))

    op.drop_table('check_in')
    with op.batch_alter_table('one_to_one', schema=None) as batch_op:
        batch_op.drop_index('ix_one_to_one_person_on')
        batch_op.drop_index(batch_op.f('ix_one_to_one_manager_id'))

    op.drop_table('one_to_one')
    with op.batch_alter_table('objective', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_objective_status'))
        batch_op.drop_index('ix_objective_person_quarter')

    op.drop_table('objective')
    with op.batch_alter_table('coaching_enrolment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coaching_enrolment_programme_id'))
        batch_op.drop_index(batch_op.f('ix_coaching_enrolment_coachee_id'))
        batch_op.drop_index(batch_op.f('ix_coaching_enrolment_coach_id'))

    op.drop_table('coaching_enrolment')
    op.drop_table('coaching_programme')

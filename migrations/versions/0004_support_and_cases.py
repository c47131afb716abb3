"""targets triggers interventions cases

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 22:59:19.125026
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('policy_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('effective_to', sa.Date(), nullable=True),
    sa.Column('production_streak_sprints', sa.Integer(), nullable=False),
    sa.Column('missed_streak_periods', sa.Integer(), nullable=False),
    sa.Column('case_window_days', sa.Integer(), nullable=False),
    sa.Column('case_min_interventions', sa.Integer(), nullable=False),
    sa.Column('excused_share', sa.Numeric(precision=3, scale=2), nullable=False),
    sa.Column('locked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_version')),
    sa.UniqueConstraint('name', name=op.f('uq_policy_version_name'))
    )
    op.create_table('evaluation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period_type', sa.String(length=10), nullable=False),
    sa.Column('period_key', sa.String(length=40), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('policy_version_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('runs', sa.Integer(), nullable=False),
    sa.Column('evaluated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['policy_version_id'], ['policy_version.id'], name=op.f('fk_evaluation_policy_version_id_policy_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation')),
    sa.UniqueConstraint('period_type', 'period_key', name='uq_evaluation_period')
    )
    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_policy_version_id'), ['policy_version_id'], unique=False)

    op.create_table('formal_case',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('concern_id', sa.Integer(), nullable=True),
    sa.Column('opened_by_id', sa.Integer(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('evidence_snapshot', sa.JSON(), nullable=False),
    sa.Column('consent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['opened_by_id'], ['person.id'], name=op.f('fk_formal_case_opened_by_id_person')),
    sa.ForeignKeyConstraint(['subject_id'], ['person.id'], name=op.f('fk_formal_case_subject_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_formal_case'))
    )
    with op.batch_alter_table('formal_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_formal_case_subject_id'), ['subject_id'], unique=False)

    op.create_table('policy_target',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('policy_version_id', sa.Integer(), nullable=False),
    sa.Column('metric', sa.String(length=40), nullable=False),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('threshold', sa.Numeric(precision=8, scale=2), nullable=False),
    sa.Column('bands', sa.JSON(), nullable=False),
    sa.Column('kinds', sa.JSON(), nullable=False),
    sa.Column('stretch', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['policy_version_id'], ['policy_version.id'], name=op.f('fk_policy_target_policy_version_id_policy_version'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_target'))
    )
    with op.batch_alter_table('policy_target', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_target_policy_version_id'), ['policy_version_id'], unique=False)

    op.create_table('trigger',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=10), nullable=False),
    sa.Column('rule', sa.String(length=40), nullable=False),
    sa.Column('policy_version_id', sa.Integer(), nullable=True),
    sa.Column('evidence_ids', sa.JSON(), nullable=False),
    sa.Column('facts_key', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('fired_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_trigger_person_id_person')),
    sa.ForeignKeyConstraint(['policy_version_id'], ['policy_version.id'], name=op.f('fk_trigger_policy_version_id_policy_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trigger')),
    sa.UniqueConstraint('facts_key', name=op.f('uq_trigger_facts_key'))
    )
    with op.batch_alter_table('trigger', schema=None) as batch_op:
        batch_op.create_index('ix_trigger_person_fired', ['person_id', 'fired_at'], unique=False)

    op.create_table('case_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('case_manager_id', sa.Integer(), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['formal_case.id'], name=op.f('fk_case_assignment_case_id_formal_case')),
    sa.ForeignKeyConstraint(['case_manager_id'], ['person.id'], name=op.f('fk_case_assignment_case_manager_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_assignment'))
    )
    with op.batch_alter_table('case_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_assignment_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_case_assignment_manager', ['case_manager_id', 'case_id'], unique=False)

    op.create_table('case_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('visibility', sa.String(length=10), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['person.id'], name=op.f('fk_case_note_author_id_person')),
    sa.ForeignKeyConstraint(['case_id'], ['formal_case.id'], name=op.f('fk_case_note_case_id_formal_case')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_note'))
    )
    with op.batch_alter_table('case_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_note_case_id'), ['case_id'], unique=False)

    op.create_table('concern',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('raised_by_id', sa.Integer(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['formal_case.id'], name=op.f('fk_concern_case_id_formal_case')),
    sa.ForeignKeyConstraint(['handled_by_id'], ['person.id'], name=op.f('fk_concern_handled_by_id_person')),
    sa.ForeignKeyConstraint(['raised_by_id'], ['person.id'], name=op.f('fk_concern_raised_by_id_person')),
    sa.ForeignKeyConstraint(['subject_id'], ['person.id'], name=op.f('fk_concern_subject_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_concern'))
    )
    with op.batch_alter_table('concern', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_concern_subject_id'), ['subject_id'], unique=False)

    op.create_table('intervention',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('trigger_id', sa.Integer(), nullable=True),
    sa.Column('proposed_to_id', sa.Integer(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['person.id'], name=op.f('fk_intervention_created_by_id_person')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_intervention_person_id_person')),
    sa.ForeignKeyConstraint(['proposed_to_id'], ['person.id'], name=op.f('fk_intervention_proposed_to_id_person')),
    sa.ForeignKeyConstraint(['trigger_id'], ['trigger.id'], name=op.f('fk_intervention_trigger_id_trigger')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intervention')),
    sa.UniqueConstraint('trigger_id', name=op.f('uq_intervention_trigger_id'))
    )
    with op.batch_alter_table('intervention', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intervention_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_intervention_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_intervention_trigger_id'), ['trigger_id'], unique=False)

    op.create_table('target_result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('policy_version_id', sa.Integer(), nullable=False),
    sa.Column('metric', sa.String(length=40), nullable=False),
    sa.Column('stretch', sa.Boolean(), nullable=False),
    sa.Column('period_type', sa.String(length=10), nullable=False),
    sa.Column('period_key', sa.String(length=40), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('measured', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('threshold', sa.Numeric(precision=8, scale=2), nullable=False),
    sa.Column('evidence_ids', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluation.id'], name=op.f('fk_target_result_evaluation_id_evaluation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_target_result_person_id_person')),
    sa.ForeignKeyConstraint(['policy_version_id'], ['policy_version.id'], name=op.f('fk_target_result_policy_version_id_policy_version')),
    sa.ForeignKeyConstraint(['target_id'], ['policy_target.id'], name=op.f('fk_target_result_target_id_policy_target')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_target_result')),
    sa.UniqueConstraint('evaluation_id', 'person_id', 'target_id', name='uq_target_result_evaluation_person_target')
    )
    with op.batch_alter_table('target_result', schema=None) as batch_op:
        batch_op.create_index('ix_target_result_person_period', ['person_id', 'period_start'], unique=False)
        batch_op.create_index(batch_op.f('ix_target_result_target_id'), ['target_id'], unique=False)

    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('praise_opt_out', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


    _seed_first_policy()


# The first version of the targets, from the policy: "deliberately starting off light and
# breezy so that it is almost impossible to fail". Every installation has it.
FIRST_POLICY = {"name": "Light start", "effective_from": "2021-10-01",
                "production_streak_sprints": 3, "missed_streak_periods": 3,
                "case_window_days": 183, "case_min_interventions": 2, "excused_share": 0.5}
FIRST_TARGETS = [
    # metric, period, threshold, stretch
    ("tickets_done", "sprint", 1, False),
    ("production_changes", "sprint", 1, False),
    ("training_hours", "week", 2, False),
    ("accomplishments_logged", "week", 1, False),
    ("objectives_completed", "quarter", 3, False),
    ("user_feedback_items", "sprint", 1, True),
    ("retro_actions_completed", "sprint", 1, True),
]
DEVELOPER_BANDS = ["6", "7", "8a", "8b"]
STAFF_KINDS = ["employee", "apprentice"]  # contractors are outside the targets for now


def _seed_first_policy() -> None:
    from datetime import UTC, date, datetime

    now = datetime.now(UTC)
    versions = sa.table("policy_version", sa.column("id", sa.Integer), sa.column("name"),
                        sa.column("effective_from", sa.Date),
                        sa.column("production_streak_sprints"),
                        sa.column("missed_streak_periods"), sa.column("case_window_days"),
                        sa.column("case_min_interventions"), sa.column("excused_share"),
                        sa.column("version"), sa.column("created_at", sa.DateTime),
                        sa.column("updated_at", sa.DateTime))
    targets = sa.table("policy_target", sa.column("policy_version_id"), sa.column("metric"),
                       sa.column("period"), sa.column("threshold"),
                       sa.column("bands", sa.JSON), sa.column("kinds", sa.JSON),
                       sa.column("stretch"))
    connection = op.get_bind()
    stamp = now if connection.dialect.name == "postgresql" else now.replace(tzinfo=None)
    version_id = connection.execute(versions.insert().values(
        **{**FIRST_POLICY,
           "effective_from": date.fromisoformat(str(FIRST_POLICY["effective_from"]))},
        version=1, created_at=stamp, updated_at=stamp).returning(versions.c.id)).scalar_one()
    op.bulk_insert(targets, [
        {"policy_version_id": version_id, "metric": metric, "period": period,
         "threshold": threshold, "bands": DEVELOPER_BANDS, "kinds": STAFF_KINDS,
         "stretch": stretch}
        for metric, period, threshold, stretch in FIRST_TARGETS])


def downgrade() -> None:
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_column('praise_opt_out')

    with op.batch_alter_table('target_result', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_target_result_target_id'))
        batch_op.drop_index('ix_target_result_person_period')

    op.drop_table('target_result')
    with op.batch_alter_table('intervention', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intervention_trigger_id'))
        batch_op.drop_index(batch_op.f('ix_intervention_status'))
        batch_op.drop_index(batch_op.f('ix_intervention_person_id'))

    op.drop_table('intervention')
    with op.batch_alter_table('concern', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_concern_subject_id'))

    op.drop_table('concern')
    with op.batch_alter_table('case_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_note_case_id'))

    op.drop_table('case_note')
    with op.batch_alter_table('case_assignment', schema=None) as batch_op:
        batch_op.drop_index('ix_case_assignment_manager')
        batch_op.drop_index(batch_op.f('ix_case_assignment_case_id'))

    op.drop_table('case_assignment')
    with op.batch_alter_table('trigger', schema=None) as batch_op:
        batch_op.drop_index('ix_trigger_person_fired')

    op.drop_table('trigger')
    with op.batch_alter_table('policy_target', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_target_policy_version_id'))

    op.drop_table('policy_target')
    with op.batch_alter_table('formal_case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_formal_case_subject_id'))

    op.drop_table('formal_case')
    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_policy_version_id'))

    op.drop_table('evaluation')
    op.drop_table('policy_version')

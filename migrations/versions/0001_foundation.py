"""foundation: people, teams, absences, identity, audit

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 22:07:25.038353
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op


revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=100), nullable=False),
    sa.Column('target_type', sa.String(length=50), nullable=False),
    sa.Column('target_id', sa.String(length=64), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entry'))
    )
    op.create_table('person',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('band', sa.String(length=3), nullable=True),
    sa.Column('line_manager_id', sa.Integer(), nullable=True),
    sa.Column('buddy_id', sa.Integer(), nullable=True),
    sa.Column('employee_number', sa.String(length=64), nullable=True),
    sa.Column('jira_account_id', sa.String(length=128), nullable=True),
    sa.Column('github_login', sa.String(length=64), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['buddy_id'], ['person.id'], name=op.f('fk_person_buddy_id_person')),
    sa.ForeignKeyConstraint(['line_manager_id'], ['person.id'], name=op.f('fk_person_line_manager_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person')),
    sa.UniqueConstraint('email', name=op.f('uq_person_email')),
    sa.UniqueConstraint('employee_number', name=op.f('uq_person_employee_number')),
    sa.UniqueConstraint('github_login', name=op.f('uq_person_github_login')),
    sa.UniqueConstraint('jira_account_id', name=op.f('uq_person_jira_account_id'))
    )
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_active'), ['active'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_band'), ['band'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_buddy_id'), ['buddy_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_line_manager_id'), ['line_manager_id'], unique=False)

    op.create_table('revoked_token',
    sa.Column('jti', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('jti', name=op.f('pk_revoked_token'))
    )
    with op.batch_alter_table('revoked_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_revoked_token_expires_at'), ['expires_at'], unique=False)

    op.create_table('absence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_absence_person_id_person')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['person.id'], name=op.f('fk_absence_recorded_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_absence'))
    )
    with op.batch_alter_table('absence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_absence_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_absence_start_date'), ['start_date'], unique=False)

    op.create_table('line_management_period',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('manager_id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('override_reason', sa.Text(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['manager_id'], ['person.id'], name=op.f('fk_line_management_period_manager_id_person')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_line_management_period_person_id_person')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['person.id'], name=op.f('fk_line_management_period_recorded_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_line_management_period'))
    )
    with op.batch_alter_table('line_management_period', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_line_management_period_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_lmp_manager_person', ['manager_id', 'person_id'], unique=False)

    op.create_table('service_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('secret_hash', sa.String(length=255), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['person.id'], name=op.f('fk_service_account_created_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_account')),
    sa.UniqueConstraint('client_id', name=op.f('uq_service_account_client_id'))
    )
    op.create_table('team',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('delivery_manager_id', sa.Integer(), nullable=True),
    sa.Column('product_owner_id', sa.Integer(), nullable=True),
    sa.Column('sprint_length_days', sa.Integer(), nullable=False),
    sa.Column('sprint_anchor_date', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['delivery_manager_id'], ['person.id'], name=op.f('fk_team_delivery_manager_id_person')),
    sa.ForeignKeyConstraint(['product_owner_id'], ['person.id'], name=op.f('fk_team_product_owner_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team')),
    sa.UniqueConstraint('name', name=op.f('uq_team_name'))
    )
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_delivery_manager_id'), ['delivery_manager_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_team_product_owner_id'), ['product_owner_id'], unique=False)

    op.create_table('team_board',
    sa.Column('board_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_team_board_team_id_team'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('board_id', name=op.f('pk_team_board'))
    )
    with op.batch_alter_table('team_board', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_board_team_id'), ['team_id'], unique=False)

    op.create_table('team_member',
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_team_member_person_id_person')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_team_member_team_id_team'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('team_id', 'person_id', name=op.f('pk_team_member'))
    )
    with op.batch_alter_table('team_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_member_person_id'), ['person_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('team_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_team_member_person_id'))

    op.drop_table('team_member')
    with op.batch_alter_table('team_board', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_team_board_team_id'))

    op.drop_table('team_board')
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_team_product_owner_id'))
        batch_op.drop_index(batch_op.f('ix_team_delivery_manager_id'))

    op.drop_table('team')
    op.drop_table('service_account')
    with op.batch_alter_table('line_management_period', schema=None) as batch_op:
        batch_op.drop_index('ix_lmp_manager_person')
        batch_op.drop_index(batch_op.f('ix_line_management_period_person_id'))

    op.drop_table('line_management_period')
    with op.batch_alter_table('absence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_absence_start_date'))
        batch_op.drop_index(batch_op.f('ix_absence_person_id'))

    op.drop_table('absence')
    with op.batch_alter_table('revoked_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_revoked_token_expires_at'))

    op.drop_table('revoked_token')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_line_manager_id'))
        batch_op.drop_index(batch_op.f('ix_person_buddy_id'))
        batch_op.drop_index(batch_op.f('ix_person_band'))
        batch_op.drop_index(batch_op.f('ix_person_active'))

    op.drop_table('person')
    op.drop_table('audit_entry')

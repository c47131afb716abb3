"""Separation of duties: set-password links, two-admin role changes, and tokens that stop
working when their holder's password changes; refused case attempts counted per caller;
sign-in back-off (login_throttle, known_sign_in_address) in place of login_attempt.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credentials_changed_at", sa.DateTime(timezone=True),
                                      nullable=True))

    op.create_table(
        "password_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("issued_by", sa.String(length=100), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("spent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"],
                                name=op.f("fk_password_link_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_link_token_hash")),
    )
    with op.batch_alter_table("password_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_password_link_person_id"), ["person_id"],
                              unique=False)

    op.create_table(
        "role_change_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("change", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("proposed_by_id", sa.Integer(), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"],
                                name=op.f("fk_role_change_request_person_id_person")),
        sa.ForeignKeyConstraint(["proposed_by_id"], ["person.id"],
                                name=op.f("fk_role_change_request_proposed_by_id_person")),
        sa.ForeignKeyConstraint(["decided_by_id"], ["person.id"],
                                name=op.f("fk_role_change_request_decided_by_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_change_request")),
    )
    with op.batch_alter_table("role_change_request", schema=None) as batch_op:
        batch_op.create_index("ix_role_change_request_person_status", ["person_id", "status"],
                              unique=False)

    op.create_table(
        "case_refusal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("case_ref", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_refusal")),
        sa.UniqueConstraint("actor", "case_ref", "action",
                            name="uq_case_refusal_actor_case_ref_action"),
    )
    with op.batch_alter_table("case_refusal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_refusal_case_ref"), ["case_ref"], unique=False)

    # Sign-in throttling: exponential back-off claimed in one statement replaces the count
    # of failures in a window (which was checked and recorded apart, and locked accounts).
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_attempt_attempted_at"))
        batch_op.drop_index("ix_login_attempt_address_at")
        batch_op.drop_index("ix_login_attempt_account_at")
    op.drop_table("login_attempt")
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=520), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_ms", sa.BigInteger(), nullable=False),
        sa.Column("next_allowed_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttle")),
    )
    with op.batch_alter_table("login_throttle", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_throttle_last_ms"), ["last_ms"],
                              unique=False)
    op.create_table(
        "known_sign_in_address",
        sa.Column("account", sa.String(length=400), nullable=False),
        sa.Column("address", sa.String(length=100), nullable=False),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account", "address", name=op.f("pk_known_sign_in_address")),
    )


def downgrade() -> None:
    op.drop_table("known_sign_in_address")
    with op.batch_alter_table("login_throttle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_throttle_last_ms"))
    op.drop_table("login_throttle")
    op.create_table(
        "login_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=400), nullable=False),
        sa.Column("address", sa.String(length=100), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempt")),
    )
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.create_index("ix_login_attempt_account_at", ["account", "attempted_at"],
                              unique=False)
        batch_op.create_index("ix_login_attempt_address_at", ["address", "attempted_at"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_login_attempt_attempted_at"), ["attempted_at"],
                              unique=False)
    with op.batch_alter_table("case_refusal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_refusal_case_ref"))
    op.drop_table("case_refusal")
    with op.batch_alter_table("role_change_request", schema=None) as batch_op:
        batch_op.drop_index("ix_role_change_request_person_status")
    op.drop_table("role_change_request")
    with op.batch_alter_table("password_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_password_link_person_id"))
    op.drop_table("password_link")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("credentials_changed_at")

"""Separation of duties: one-time set-password links and two-admin role changes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db.types import UTCDateTime, utcnow


class PasswordLink(SQLModel, table=True):
    """A one-time link an admin issues so a person sets their own password. Only the
    SHA-256 of the token is kept; the token itself is shown once, to the admin."""

    __tablename__ = "password_link"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(sa_column=Column(Integer, ForeignKey("person.id"), nullable=False,
                                            index=True))
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    issued_by: str = Field(sa_column=Column(String(100), nullable=False))
    issued_at: datetime = Field(default_factory=utcnow,
                                sa_column=Column(UTCDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    # Set when used, or when a newer link for the same person replaces it.
    spent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class RoleChangeRequest(SQLModel, table=True):
    """A proposal to grant or remove `admin` or `case_manager`: one admin proposes, another
    approves or rejects."""

    __tablename__ = "role_change_request"
    __table_args__ = (Index("ix_role_change_request_person_status", "person_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(sa_column=Column(Integer, ForeignKey("person.id"), nullable=False))
    role: str = Field(sa_column=Column(String(40), nullable=False))
    change: str = Field(sa_column=Column(String(10), nullable=False))  # grant | remove
    reason: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(sa_column=Column(String(10), nullable=False))  # pending|approved|rejected
    proposed_by_id: int = Field(sa_column=Column(Integer, ForeignKey("person.id"),
                                                 nullable=False))
    proposed_at: datetime = Field(default_factory=utcnow,
                                  sa_column=Column(UTCDateTime, nullable=False))
    decided_by_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("person.id"), nullable=True))
    decided_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime,
                                                                       nullable=True))
    decision_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class CaseRefusal(SQLModel, table=True):
    """Refused attempts on one formal case by one caller, counted rather than each written
    to the audit log: the first is an audit entry, the rest raise the count, so probing
    cannot bury the case's real entries. Rows are only ever added or counted up."""

    __tablename__ = "case_refusal"
    __table_args__ = (UniqueConstraint("actor", "case_ref", "action",
                                       name="uq_case_refusal_actor_case_ref_action"),)

    id: int | None = Field(default=None, primary_key=True)
    actor: str = Field(sa_column=Column(String(100), nullable=False))
    # The case id as asked for (a probe may name a case that does not exist).
    case_ref: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    action: str = Field(sa_column=Column(String(100), nullable=False))
    count: int = Field(sa_column=Column(Integer, nullable=False))
    first_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    last_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))

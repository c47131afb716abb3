"""Tables of oversight: checklists, calendar links, digest views, policy consultations."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (JSON, Boolean, Column, Date, ForeignKey, Integer, String, Text,
                        UniqueConstraint)
from sqlmodel import Field, SQLModel

from app.db.types import UTCDateTime, utcnow


def _fk(target: str, *, nullable: bool = True, index: bool = True,
        ondelete: str | None = None) -> Column[int]:
    return Column(Integer, ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index)


def _when(nullable: bool = False) -> Column[datetime]:
    return Column(UTCDateTime, nullable=nullable)


class ChecklistTemplate(SQLModel, table=True):
    """A checklist for a role and situation; versioned like policies (data an admin edits)."""

    __tablename__ = "checklist_template"
    __table_args__ = (UniqueConstraint("situation", "version",
                                       name="uq_checklist_template_situation_version"),)

    id: int | None = Field(default=None, primary_key=True)
    # e.g. weekly-developer, weekly-line-manager, quarter-start-senior, monthly-principal,
    # monthly-head-of-department, new-starter, apprentice-buddy
    situation: str = Field(sa_column=Column(String(50), nullable=False))
    title: str = Field(sa_column=Column(String(200), nullable=False))
    period_type: str = Field(sa_column=Column(String(10), nullable=False))  # week|month|quarter|once
    version: int = Field(sa_column=Column(Integer, nullable=False))
    effective_from: date = Field(sa_column=Column(Date, nullable=False))
    # [{"key", "text", "auto": rule name or null}]
    items: list[dict] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_by_id: int | None = Field(default=None, sa_column=_fk("person.id", index=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class ChecklistTick(SQLModel, table=True):
    """A checklist item ticked (or unticked) by hand for a person and period."""

    __tablename__ = "checklist_tick"
    __table_args__ = (UniqueConstraint("person_id", "situation", "period_key", "item_key",
                                       name="uq_checklist_tick_item"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(sa_column=_fk("person.id", nullable=False))
    situation: str = Field(sa_column=Column(String(50), nullable=False))
    period_key: str = Field(sa_column=Column(String(40), nullable=False))
    item_key: str = Field(sa_column=Column(String(80), nullable=False))
    done: bool = Field(sa_column=Column(Boolean, nullable=False))
    ticked_by_id: int | None = Field(default=None, sa_column=_fk("person.id", index=False))
    ticked_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class DigestView(SQLModel, table=True):
    """Someone read the recognition digest (a checklist item ticks itself from this)."""

    __tablename__ = "digest_view"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(sa_column=_fk("person.id", nullable=False))
    viewed_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class CalendarLink(SQLModel, table=True):
    """A person's secret calendar link: calendar apps cannot send bearer tokens."""

    __tablename__ = "calendar_link"

    person_id: int = Field(sa_column=Column(Integer, ForeignKey("person.id"), primary_key=True))
    # SHA-256 of the secret; the secret itself is shown once, when made or rotated.
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class PolicyConsultation(SQLModel, table=True):
    """A draft policy version opened for comment for a window (the policy was, for a month)."""

    __tablename__ = "policy_consultation"
    # One consultation per policy version.
    __table_args__ = (UniqueConstraint("policy_version_id",
                                       name="uq_policy_consultation_policy_version_id"),)

    id: int | None = Field(default=None, primary_key=True)
    policy_version_id: int = Field(sa_column=_fk("policy_version.id", nullable=False,
                                                 ondelete="CASCADE"))
    opens_at: datetime = Field(sa_column=_when())
    closes_at: datetime = Field(sa_column=_when())
    opened_by_id: int | None = Field(default=None, sa_column=_fk("person.id", index=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class PolicyComment(SQLModel, table=True):
    __tablename__ = "policy_comment"

    id: int | None = Field(default=None, primary_key=True)
    consultation_id: int = Field(sa_column=_fk("policy_consultation.id", nullable=False,
                                               ondelete="CASCADE"))
    author_id: int = Field(sa_column=_fk("person.id", nullable=False, index=False))
    # Anonymous to everyone but admins.
    anonymous: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    reply: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    replied_by_id: int | None = Field(default=None, sa_column=_fk("person.id", index=False))
    replied_at: datetime | None = Field(default=None, sa_column=_when(True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())

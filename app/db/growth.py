"""Tables of the growth cycle: objectives, check-ins, evidence, one-to-ones, coaching, HR events."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (JSON, Boolean, Column, Date, ForeignKey, Index, Integer, Numeric, String,
                        Text, UniqueConstraint)
from sqlmodel import Field, SQLModel

from app.db.types import UTCDateTime, utcnow


def _fk(target: str, *, nullable: bool = True, index: bool = True,
        ondelete: str | None = None) -> Column[int]:
    return Column(Integer, ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index)


def _when(nullable: bool = False) -> Column[datetime]:
    return Column(UTCDateTime, nullable=nullable)


class Objective(SQLModel, table=True):
    __tablename__ = "objective"
    __table_args__ = (Index("ix_objective_person_quarter", "person_id", "quarter"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(sa_column=_fk("person.id", nullable=False, index=False))
    title: str = Field(sa_column=Column(String(200), nullable=False))
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    quarter: str = Field(sa_column=Column(String(7), nullable=False))
    twenty_percent_time: bool = Field(sa_column=Column(Boolean, nullable=False))
    quality_dashboard_outcome: str | None = Field(
        default=None, sa_column=Column(String(200), nullable=True))
    status: str = Field(sa_column=Column(String(20), nullable=False, index=True))
    agreed_by_id: int | None = Field(default=None, sa_column=_fk("person.id", index=False))
    agreed_at: datetime | None = Field(default=None, sa_column=_when(True))
    completion_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    completed_at: datetime | None = Field(default=None, sa_column=_when(True))
    drop_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    reopen_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # The line manager's words when they last asked for changes (kept, as in the history).
    change_request: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Who wrote the row and who last changed it (person ids): null where an integration or a
    # trigger wrote it, and on rows written before authors were recorded (migration 0013).
    created_by_id: int | None = Field(default=None, sa_column=_fk("person.id", index=False))
    updated_by_id: int | None = Field(default=None, sa_column=_fk("person.id", index=False))
    version: int = Field(default=1, nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class CheckIn(SQLModel, table=True):
    """A dated progress note on an objective (the corporate system's "check-ins")."""

    __tablename__ = "check_in"

    id: int | None = Field(default=None, primary_key=True)
    objective_id: int = Field(sa_column=_fk("objective.id", nullable=False, ondelete="CASCADE"))
    author_id: int = Field(sa_column=_fk("person.id", nullable=False, index=False))
    on: date = Field(sa_column=Column(Date, nullable=False))
    note: str = Field(sa_column=Column(Text, nullable=False))
    progress: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    # Who wrote the row and who last changed it (person ids): null where an integration or a
    # trigger wrote it, and on rows written before authors were recorded (migration 0013).
    created_by_id: int | None = Field(default=None, sa_column=_fk("person.id", index=False))
    updated_by_id: int | None = Field(default=None, sa_column=_fk("person.id", index=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class Evidence(SQLModel, table=True):
    """A dated record about a person: by hand, or from Jira or GitHub."""

    __tablename__ = "evidence"
    __table_args__ = (
        Index("ix_evidence_person_on", "person_id", "occurred_on"),
        # An integration's record is identified by the source's own id (issue key, commit).
        UniqueConstraint("source", "external_id", "person_id", name="uq_evidence_source_external"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(sa_column=_fk("person.id", nullable=False, index=False))
    kind: str = Field(sa_column=Column(String(30), nullable=False, index=True))
    source: str = Field(sa_column=Column(String(10), nullable=False))
    occurred_on: date = Field(sa_column=Column(Date, nullable=False))
    title: str = Field(sa_column=Column(String(300), nullable=False))
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    hours: Decimal | None = Field(default=None, sa_column=Column(Numeric(6, 2), nullable=True))
    topic: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    objective_id: int | None = Field(default=None, sa_column=_fk("objective.id"))
    external_id: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    details: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    retracted_at: datetime | None = Field(default=None, sa_column=_when(True))
    # Who wrote the row and who last changed it (person ids): null where an integration or a
    # trigger wrote it, and on rows written before authors were recorded (migration 0013).
    created_by_id: int | None = Field(default=None, sa_column=_fk("person.id", index=False))
    updated_by_id: int | None = Field(default=None, sa_column=_fk("person.id", index=False))
    version: int = Field(default=1, nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class OneToOne(SQLModel, table=True):
    """A weekly meeting of a person and their line manager; notes are for the two of them."""

    __tablename__ = "one_to_one"
    # One record per person per day, whoever writes it and however many replicas race.
    __table_args__ = (UniqueConstraint("person_id", "on", name="uq_one_to_one_person_on"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(sa_column=_fk("person.id", nullable=False, index=False))
    manager_id: int = Field(sa_column=_fk("person.id", nullable=False))
    on: date = Field(sa_column=Column(Date, nullable=False))
    status: str = Field(sa_column=Column(String(20), nullable=False))
    notes: str = Field(default="", sa_column=Column(Text, nullable=False))
    # Who wrote the row and who last changed it (person ids): null where an integration or a
    # trigger wrote it, and on rows written before authors were recorded (migration 0013).
    created_by_id: int | None = Field(default=None, sa_column=_fk("person.id", index=False))
    updated_by_id: int | None = Field(default=None, sa_column=_fk("person.id", index=False))
    version: int = Field(default=1, nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class CoachingProgramme(SQLModel, table=True):
    __tablename__ = "coaching_programme"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
    cohort_bands: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    starts_on: date = Field(sa_column=Column(Date, nullable=False))
    ends_on: date = Field(sa_column=Column(Date, nullable=False))
    planned_sessions: int = Field(sa_column=Column(Integer, nullable=False))
    session_minutes: int = Field(sa_column=Column(Integer, nullable=False))
    planned_content: list[str] = Field(default_factory=list,
                                       sa_column=Column(JSON, nullable=False))
    version: int = Field(default=1, nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class CoachingEnrolment(SQLModel, table=True):
    """A coachee paired with a coach on a programme."""

    __tablename__ = "coaching_enrolment"
    __table_args__ = (UniqueConstraint("programme_id", "coachee_id",
                                       name="uq_coaching_enrolment_programme_coachee"),)

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(sa_column=_fk("coaching_programme.id", nullable=False))
    coachee_id: int = Field(sa_column=_fk("person.id", nullable=False))
    coach_id: int = Field(sa_column=_fk("person.id", nullable=False))
    active: bool = Field(default=True, sa_column=Column(Boolean, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class CoachingSession(SQLModel, table=True):
    __tablename__ = "coaching_session"

    id: int | None = Field(default=None, primary_key=True)
    enrolment_id: int = Field(sa_column=_fk("coaching_enrolment.id", nullable=False))
    scheduled_for: datetime = Field(sa_column=_when())
    status: str = Field(sa_column=Column(String(20), nullable=False))
    topics: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    notes: str = Field(default="", sa_column=Column(Text, nullable=False))
    version: int = Field(default=1, nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class HrEvent(SQLModel, table=True):
    """An event for the HR feed, written in the same transaction as the change it reports."""

    __tablename__ = "hr_event"

    id: int | None = Field(default=None, primary_key=True)
    event_type: str = Field(sa_column=Column(String(40), nullable=False))
    occurred_at: datetime = Field(sa_column=_when())
    objective_id: int = Field(sa_column=_fk("objective.id", nullable=False))
    person_id: int = Field(sa_column=_fk("person.id", nullable=False, index=False))
    # A snapshot of what HR needs, as it was when the event happened.
    employee_number: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    title: str = Field(sa_column=Column(String(200), nullable=False))
    quarter: str = Field(sa_column=Column(String(7), nullable=False))
    twenty_percent_time: bool = Field(sa_column=Column(Boolean, nullable=False))
    quality_dashboard_outcome: str | None = Field(
        default=None, sa_column=Column(String(200), nullable=True))

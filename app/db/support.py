"""Tables of targets, triggers, interventions, concerns and formal cases."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (JSON, Boolean, Column, Date, ForeignKey, Index, Integer, Numeric, String,
                        Text, UniqueConstraint, false)
from sqlmodel import Field, SQLModel

from app.db.types import UTCDateTime, utcnow


def _fk(target: str, *, nullable: bool = True, index: bool = True,
        ondelete: str | None = None) -> Column[int]:
    return Column(Integer, ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index)


def _when(nullable: bool = False) -> Column[datetime]:
    return Column(UTCDateTime, nullable=nullable)


class PolicyVersion(SQLModel, table=True):
    """A version of the targets policy; exactly one is in force on any date."""

    __tablename__ = "policy_version"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
    effective_from: date = Field(sa_column=Column(Date, nullable=False))
    effective_to: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    production_streak_sprints: int = Field(default=3, sa_column=Column(Integer, nullable=False))
    missed_streak_periods: int = Field(default=3, sa_column=Column(Integer, nullable=False))
    case_window_days: int = Field(default=183, sa_column=Column(Integer, nullable=False))
    case_min_interventions: int = Field(default=2, sa_column=Column(Integer, nullable=False))
    # Fairness gate: support counts only if it lasted this long from agreed to completed.
    case_min_support_days: int = Field(default=28, sa_column=Column(Integer, nullable=False))
    # An absence longer than this many days excuses nothing until the line manager confirms it.
    absence_confirm_days: int = Field(default=14, sa_column=Column(Integer, nullable=False))
    excused_share: Decimal = Field(default=Decimal("0.5"),
                                   sa_column=Column(Numeric(3, 2), nullable=False))
    # Set when a closed evaluation used this version: from then on it cannot change.
    locked_at: datetime | None = Field(default=None, sa_column=_when(True))
    version: int = Field(default=1, nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class PolicyTarget(SQLModel, table=True):
    __tablename__ = "policy_target"

    id: int | None = Field(default=None, primary_key=True)
    policy_version_id: int = Field(sa_column=_fk("policy_version.id", nullable=False,
                                                 ondelete="CASCADE"))
    metric: str = Field(sa_column=Column(String(40), nullable=False))
    period: str = Field(sa_column=Column(String(10), nullable=False))
    threshold: Decimal = Field(sa_column=Column(Numeric(8, 2), nullable=False))
    bands: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    kinds: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    stretch: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))


class Evaluation(SQLModel, table=True):
    """One evaluation of one period: re-run while open, frozen once closed."""

    __tablename__ = "evaluation"
    __table_args__ = (UniqueConstraint("period_type", "period_key",
                                       name="uq_evaluation_period"),)

    id: int | None = Field(default=None, primary_key=True)
    period_type: str = Field(sa_column=Column(String(10), nullable=False))
    period_key: str = Field(sa_column=Column(String(40), nullable=False))
    period_start: date = Field(sa_column=Column(Date, nullable=False))
    period_end: date = Field(sa_column=Column(Date, nullable=False))
    policy_version_id: int = Field(sa_column=_fk("policy_version.id", nullable=False))
    status: str = Field(sa_column=Column(String(10), nullable=False))  # open | closed
    runs: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    evaluated_at: datetime | None = Field(default=None, sa_column=_when(True))
    closed_at: datetime | None = Field(default=None, sa_column=_when(True))
    # Set when a fact inside the period changed after the last run (evidence, absence, an
    # objective, a one-to-one, a person's window or band): `gps evaluate --stale` runs it again.
    stale_since: datetime | None = Field(default=None, sa_column=_when(True))


class TargetResult(SQLModel, table=True):
    __tablename__ = "target_result"
    __table_args__ = (
        UniqueConstraint("evaluation_id", "person_id", "target_id",
                         name="uq_target_result_evaluation_person_target"),
        Index("ix_target_result_person_period", "person_id", "period_start"),
    )

    id: int | None = Field(default=None, primary_key=True)
    evaluation_id: int = Field(sa_column=_fk("evaluation.id", nullable=False, index=False,
                                             ondelete="CASCADE"))
    person_id: int = Field(sa_column=_fk("person.id", nullable=False, index=False))
    target_id: int = Field(sa_column=_fk("policy_target.id", nullable=False))
    policy_version_id: int = Field(sa_column=_fk("policy_version.id", nullable=False,
                                                 index=False))
    metric: str = Field(sa_column=Column(String(40), nullable=False))
    stretch: bool = Field(sa_column=Column(Boolean, nullable=False))
    period_type: str = Field(sa_column=Column(String(10), nullable=False))
    period_key: str = Field(sa_column=Column(String(40), nullable=False))
    period_start: date = Field(sa_column=Column(Date, nullable=False))
    period_end: date = Field(sa_column=Column(Date, nullable=False))
    outcome: str = Field(sa_column=Column(String(20), nullable=False))
    measured: Decimal = Field(sa_column=Column(Numeric(10, 2), nullable=False))
    threshold: Decimal = Field(sa_column=Column(Numeric(8, 2), nullable=False))
    evidence_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    objective_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    one_to_one_ids: list[int] = Field(default_factory=list,
                                      sa_column=Column(JSON, nullable=False))
    # A closed evaluation's results stay as decided; a later run on changed facts records what
    # the result would be now beside them (outcome, measured, ids, at).
    correction: dict | None = Field(default=None,
                                    sa_column=Column(JSON(none_as_null=True), nullable=True))


class Trigger(SQLModel, table=True):
    """A rule that fired, with the evidence and policy version behind it."""

    __tablename__ = "trigger"
    __table_args__ = (Index("ix_trigger_person_fired", "person_id", "fired_at"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(sa_column=_fk("person.id", nullable=False, index=False))
    direction: str = Field(sa_column=Column(String(10), nullable=False))
    rule: str = Field(sa_column=Column(String(40), nullable=False))
    policy_version_id: int | None = Field(default=None, sa_column=_fk("policy_version.id",
                                                                       index=False))
    evidence_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # What the trigger is about (e.g. the streak's first period): the same facts never fire
    # the same rule twice.
    facts_key: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
    summary: str = Field(sa_column=Column(Text, nullable=False))
    details: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    objective_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    fired_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    # Set when the facts it stood on changed: kept, visibly, never deleted.
    withdrawn_at: datetime | None = Field(default=None, sa_column=_when(True))
    withdrawn_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class Intervention(SQLModel, table=True):
    """Support (coaching, mentoring, ...) or recognition, for a person."""

    __tablename__ = "intervention"
    # One intervention per trigger, however many evaluations race.
    __table_args__ = (UniqueConstraint("trigger_id", name="uq_intervention_trigger_id"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(sa_column=_fk("person.id", nullable=False))
    kind: str = Field(sa_column=Column(String(30), nullable=False))
    status: str = Field(sa_column=Column(String(20), nullable=False, index=True))
    trigger_id: int | None = Field(default=None, sa_column=_fk("trigger.id"))
    proposed_to_id: int | None = Field(default=None, sa_column=_fk("person.id", index=False))
    summary: str = Field(sa_column=Column(Text, nullable=False))
    notes: str = Field(default="", sa_column=Column(Text, nullable=False))
    # Who wrote the row and who last changed it (person ids): null where an integration or a
    # trigger wrote it, and on rows written before authors were recorded (migration 0013).
    created_by_id: int | None = Field(default=None, sa_column=_fk("person.id", index=False))
    updated_by_id: int | None = Field(default=None, sa_column=_fk("person.id", index=False))
    agreed_at: datetime | None = Field(default=None, sa_column=_when(True))
    completed_at: datetime | None = Field(default=None, sa_column=_when(True))
    outcome_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    withdrawn_at: datetime | None = Field(default=None, sa_column=_when(True))
    withdrawn_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Support already under way when its trigger was withdrawn: it goes on, but its line
    # manager is shown that the reason behind it changed.
    trigger_withdrawn_at: datetime | None = Field(default=None, sa_column=_when(True))
    # Support the person asked for themselves: who asked (the person), and whether they
    # share it beyond their line manager. Unshared, it is for the two of them only.
    requested_by_id: int | None = Field(default=None, sa_column=_fk("person.id", index=False))
    shared: bool = Field(default=False, sa_column=Column(Boolean, nullable=False,
                                                         server_default=false()))
    version: int = Field(default=1, nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class Concern(SQLModel, table=True):
    """A line manager's concern about a report, for case managers to consider."""

    __tablename__ = "concern"

    id: int | None = Field(default=None, primary_key=True)
    subject_id: int = Field(sa_column=_fk("person.id", nullable=False))
    raised_by_id: int = Field(sa_column=_fk("person.id", nullable=False, index=False))
    summary: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(sa_column=Column(String(20), nullable=False))
    case_id: int | None = Field(default=None, sa_column=_fk("formal_case.id", index=False))
    handled_by_id: int | None = Field(default=None, sa_column=_fk("person.id", index=False))
    raised_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class FormalCase(SQLModel, table=True):
    __tablename__ = "formal_case"

    id: int | None = Field(default=None, primary_key=True)
    subject_id: int = Field(sa_column=_fk("person.id", nullable=False))
    kind: str = Field(sa_column=Column(String(30), nullable=False))
    status: str = Field(sa_column=Column(String(20), nullable=False))
    summary: str = Field(sa_column=Column(Text, nullable=False))
    concern_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    opened_by_id: int = Field(sa_column=_fk("person.id", nullable=False, index=False))
    opened_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    closed_at: datetime | None = Field(default=None, sa_column=_when(True))
    # What the fairness gate saw when the case opened (trigger and interventions).
    evidence_snapshot: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    consent_at: datetime | None = Field(default=None, sa_column=_when(True))
    outcome: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    version: int = Field(default=1, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_when())


class CaseAssignment(SQLModel, table=True):
    __tablename__ = "case_assignment"
    __table_args__ = (Index("ix_case_assignment_manager", "case_manager_id", "case_id"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(sa_column=_fk("formal_case.id", nullable=False))
    case_manager_id: int = Field(sa_column=_fk("person.id", nullable=False, index=False))
    assigned_at: datetime = Field(default_factory=utcnow, sa_column=_when())
    removed_at: datetime | None = Field(default=None, sa_column=_when(True))


class CaseNote(SQLModel, table=True):
    __tablename__ = "case_note"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(sa_column=_fk("formal_case.id", nullable=False))
    author_id: int = Field(sa_column=_fk("person.id", nullable=False, index=False))
    visibility: str = Field(sa_column=Column(String(10), nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_when())



"""The tables. Alembic migrations (migrations/) are the only way the schema is made."""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol, cast

from sqlalchemy import (JSON, Column, Date, ForeignKey, Index, Integer, MetaData, String, Table,
                        Text)
from sqlalchemy.orm import Mapped, class_mapper
from sqlmodel import Field, SQLModel, col

from app.db.types import UTCDateTime, utcnow

# Stable constraint names, so migrations can name what they drop on both databases.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata


def _created() -> datetime:
    return utcnow()


class _Stored(Protocol):
    @property
    def id(self) -> int | None: ...


def id_of(row: _Stored) -> int:
    """The id of a row that was read or flushed; a new row has none until its flush."""
    if row.id is None:
        raise ValueError(f"this {type(row).__name__} has no id: it was never flushed")
    return row.id


def id_column(attribute: int | None) -> Mapped[int]:
    """`Model.id` in a statement: typed as what it selects, since a stored row's id is never
    NULL (the model says `int | None` for a new row's sake)."""
    return cast(Mapped[int], col(attribute))


def table_of(model: type[SQLModel]) -> Table:
    """A model's table, for Core statements (SQLModel's types do not declare `__table__`)."""
    table = class_mapper(model).local_table
    assert isinstance(table, Table)
    return table


def _fk(target: str, *, index: bool = True, nullable: bool = True,
        ondelete: str | None = None) -> Column[int]:
    return Column(Integer, ForeignKey(target, ondelete=ondelete), index=index, nullable=nullable)


class Person(SQLModel, table=True):
    __tablename__ = "person"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(200), nullable=False))
    # Stored lower-cased: addresses are unique regardless of case.
    email: str = Field(sa_column=Column(String(320), nullable=False, unique=True))
    kind: str = Field(sa_column=Column(String(20), nullable=False))
    band: str | None = Field(default=None, sa_column=Column(String(3), nullable=True, index=True))
    line_manager_id: int | None = Field(default=None, sa_column=_fk("person.id"))
    buddy_id: int | None = Field(default=None, sa_column=_fk("person.id"))
    employee_number: str | None = Field(
        default=None, sa_column=Column(String(64), nullable=True, unique=True))
    jira_account_id: str | None = Field(
        default=None, sa_column=Column(String(128), nullable=True, unique=True))
    # Stored lower-cased: GitHub logins are case-insensitive.
    github_login: str | None = Field(
        default=None, sa_column=Column(String(64), nullable=True, unique=True))
    active: bool = Field(default=True, index=True)
    # The employment window: a person is judged only on periods wholly inside it.
    started_on: date = Field(default_factory=date.today, sa_column=Column(Date, nullable=False))
    left_on: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    # The person's choice: leave them out of public praise (the recognition digest).
    praise_opt_out: bool = Field(default=False, nullable=False)
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    password_hash: str | None = Field(default=None, sa_column=Column(String(255), nullable=True))
    # When the person's password last changed: GPS's own tokens issued before it are refused.
    credentials_changed_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True))
    version: int = Field(default=1, nullable=False)
    created_at: datetime = Field(default_factory=_created,
                                 sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(default_factory=_created,
                                 sa_column=Column(UTCDateTime, nullable=False))


class LineManagementPeriod(SQLModel, table=True):
    """Who line managed whom, and when: the history the exclusion rule needs."""

    __tablename__ = "line_management_period"
    __table_args__ = (Index("ix_lmp_manager_person", "manager_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(sa_column=_fk("person.id", nullable=False))
    manager_id: int = Field(sa_column=_fk("person.id", nullable=False, index=False))
    started_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    ended_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    override_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    recorded_by_id: int | None = Field(default=None, sa_column=_fk("person.id", index=False))


class Team(SQLModel, table=True):
    __tablename__ = "team"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
    delivery_manager_id: int | None = Field(default=None, sa_column=_fk("person.id"))
    product_owner_id: int | None = Field(default=None, sa_column=_fk("person.id"))
    sprint_length_days: int = Field(default=14, nullable=False)
    sprint_anchor_date: date | None = Field(default=None)
    version: int = Field(default=1, nullable=False)
    created_at: datetime = Field(default_factory=_created,
                                 sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(default_factory=_created,
                                 sa_column=Column(UTCDateTime, nullable=False))


class TeamMember(SQLModel, table=True):
    __tablename__ = "team_member"

    team_id: int = Field(sa_column=Column(Integer, ForeignKey("team.id", ondelete="CASCADE"),
                                          primary_key=True))
    person_id: int = Field(sa_column=Column(Integer, ForeignKey("person.id"), primary_key=True,
                                            index=True))


class TeamMembership(SQLModel, table=True):
    """Who was in which team, and when (`team_member` holds today's members)."""

    __tablename__ = "team_membership"
    __table_args__ = (Index("ix_team_membership_team", "team_id", "started_on"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(sa_column=Column(Integer, ForeignKey("team.id", ondelete="CASCADE"),
                                          nullable=False, index=False))
    person_id: int = Field(sa_column=_fk("person.id", nullable=False, ondelete="CASCADE"))
    started_on: date = Field(sa_column=Column(Date, nullable=False))
    ended_on: date | None = Field(default=None, sa_column=Column(Date, nullable=True))


class BandPeriod(SQLModel, table=True):
    """The band and kind a person had, and when: periods are judged with the band of then."""

    __tablename__ = "band_period"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(sa_column=_fk("person.id", nullable=False, ondelete="CASCADE"))
    band: str | None = Field(default=None, sa_column=Column(String(3), nullable=True))
    kind: str = Field(sa_column=Column(String(20), nullable=False))
    started_on: date = Field(sa_column=Column(Date, nullable=False))
    ended_on: date | None = Field(default=None, sa_column=Column(Date, nullable=True))


class TeamBoard(SQLModel, table=True):
    """A Jira board that belongs to a team (each board to one team)."""

    __tablename__ = "team_board"

    board_id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    team_id: int = Field(sa_column=Column(Integer, ForeignKey("team.id", ondelete="CASCADE"),
                                          nullable=False, index=True))


class Absence(SQLModel, table=True):
    __tablename__ = "absence"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(sa_column=_fk("person.id", nullable=False))
    kind: str = Field(sa_column=Column(String(20), nullable=False))
    start_date: date = Field(nullable=False, index=True)
    end_date: date = Field(nullable=False)
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    recorded_by_id: int | None = Field(default=None, sa_column=_fk("person.id", index=False))
    # Long absences excuse nothing until the line manager (or an admin) confirms them.
    confirmed_at: datetime | None = Field(default=None,
                                          sa_column=Column(UTCDateTime, nullable=True))
    confirmed_by_id: int | None = Field(default=None, sa_column=_fk("person.id", index=False))
    created_at: datetime = Field(default_factory=_created,
                                 sa_column=Column(UTCDateTime, nullable=False))


class ServiceAccount(SQLModel, table=True):
    __tablename__ = "service_account"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(200), nullable=False))
    client_id: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    secret_hash: str = Field(sa_column=Column(String(255), nullable=False))
    scopes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_by_id: int | None = Field(default=None, sa_column=_fk("person.id", index=False))
    created_at: datetime = Field(default_factory=_created,
                                 sa_column=Column(UTCDateTime, nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class RevokedToken(SQLModel, table=True):
    """Access tokens revoked before they expire (kept until they would have expired)."""

    __tablename__ = "revoked_token"

    jti: str = Field(sa_column=Column(String(64), primary_key=True))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))


class AuditEntry(SQLModel, table=True):
    """Append-only record of sensitive actions: never updated or deleted by the application."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=_created, sa_column=Column(UTCDateTime, nullable=False))
    actor: str = Field(sa_column=Column(String(100), nullable=False))
    action: str = Field(sa_column=Column(String(100), nullable=False))
    target_type: str = Field(sa_column=Column(String(50), nullable=False))
    target_id: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    outcome: str = Field(sa_column=Column(String(20), nullable=False))
    request_id: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class RecordChange(SQLModel, table=True):
    """One change to an objective or an intervention, written in the same transaction as the
    change: who (null for the system: a trigger, an integration), when, which action, and the
    fields that changed with their values before and after."""

    __tablename__ = "record_change"
    __table_args__ = (Index("ix_record_change_record", "record_type", "record_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    record_type: str = Field(sa_column=Column(String(30), nullable=False))
    record_id: int = Field(sa_column=Column(Integer, nullable=False))
    actor_id: int | None = Field(default=None, sa_column=_fk("person.id", index=False))
    at: datetime = Field(default_factory=_created, sa_column=Column(UTCDateTime, nullable=False))
    action: str = Field(sa_column=Column(String(30), nullable=False))
    # {field: {"before": ..., "after": ...}}
    changes: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # The words that came with the action: a reason, a request for changes, an override's why.
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


# The growth cycle's tables live in their own module; importing it here registers them.
from app.db.growth import (CheckIn, CoachingEnrolment, CoachingProgramme,  # noqa: E402,F401
                           CoachingSession, Evidence, HrEvent, Objective, OneToOne)
from app.db.integrations import JiraIssueState, Sprint, WebhookDelivery  # noqa: E402,F401
from app.db.support import (CaseAssignment, CaseNote, Concern, Evaluation,  # noqa: E402,F401
                            FormalCase, Intervention, PolicyTarget, PolicyVersion,
                            TargetResult, Trigger)
from app.db.oversight import (CalendarLink, ChecklistTemplate, ChecklistTick,  # noqa: E402,F401
                              DigestView, PolicyComment, PolicyConsultation)
from app.db.protection import (IdempotencyKey, KnownSignInAddress,  # noqa: E402,F401
                               LoginThrottle)
from app.db.duties import CaseRefusal, PasswordLink, RoleChangeRequest  # noqa: E402,F401

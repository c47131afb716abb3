"""Tables of the integrations: webhook deliveries as received, Jira sprints seen, and the latest
event applied to each Jira issue."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (JSON, BigInteger, Column, Date, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlmodel import Field, SQLModel

from app.db.types import UTCDateTime, utcnow


class WebhookDelivery(SQLModel, table=True):
    """One accepted webhook delivery, stored raw before it is applied (and replayable)."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        # The sender's delivery id: a retry or a concurrent duplicate cannot be stored twice.
        UniqueConstraint("source", "delivery_id", name="uq_webhook_delivery_source_delivery"),
        Index("ix_webhook_delivery_status", "source", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(sa_column=Column(String(10), nullable=False))
    delivery_id: str = Field(sa_column=Column(String(200), nullable=False))
    event_type: str = Field(sa_column=Column(String(100), nullable=False))
    received_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime,
                                                                            nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    # received → applied | ignored | unmatched | awaiting_deploy | superseded | failed
    status: str = Field(sa_column=Column(String(20), nullable=False))
    detail: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Who the delivery is about, for replay once they are known: "jira:<accountId>",
    # "github:<login>", "email:<address>".
    subjects: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # A commit sha a deployment signal may name (GitHub pushes and deployment statuses).
    ref_key: str | None = Field(default=None, sa_column=Column(String(64), nullable=True,
                                                               index=True))
    applied_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime,
                                                                       nullable=True))
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False))


class Sprint(SQLModel, table=True):
    """A Jira sprint as seen in deliveries; its board tells the team."""

    __tablename__ = "sprint"

    id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    board_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True,
                                                                index=True))
    team_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("team.id", ondelete="SET NULL"), nullable=True, index=True))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    state: str = Field(sa_column=Column(String(20), nullable=False))
    start_date: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    end_date: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    complete_date: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime,
                                                                           nullable=False))


class JiraIssueState(SQLModel, table=True):
    """The newest event applied to a Jira issue's Done state (`app.domain.jira.is_older`).

    An older event, however it arrives (late, re-sent under another delivery id, replayed),
    is stored and marked superseded instead of being applied over it.
    """

    __tablename__ = "jira_issue_state"

    issue_key: str = Field(sa_column=Column(String(100), primary_key=True))
    event_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    changelog_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    change: str = Field(sa_column=Column(String(10), nullable=False))  # done | undone | deleted
    delivery_id: str = Field(sa_column=Column(String(200), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime,
                                                                           nullable=False))

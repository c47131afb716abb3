"""Tables that protect the API: failed sign-in attempts and idempotency keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db.types import UTCDateTime, utcnow


class LoginAttempt(SQLModel, table=True):
    """One failed sign-in: counted per account and per client address in a sliding window."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_account_at", "account", "attempted_at"),
        Index("ix_login_attempt_address_at", "address", "attempted_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # "person:<e-mail>" or "client:<client id>", as typed (lower-cased for e-mail addresses).
    account: str = Field(sa_column=Column(String(400), nullable=False))
    address: str = Field(sa_column=Column(String(100), nullable=False))
    attempted_at: datetime = Field(default_factory=utcnow,
                                   sa_column=Column(UTCDateTime, nullable=False, index=True))


class IdempotencyKey(SQLModel, table=True):
    """A POST made with an Idempotency-Key: running, or done with its stored answer."""

    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("caller", "key", name="uq_idempotency_key_caller_key"),)

    id: int | None = Field(default=None, primary_key=True)
    # SHA-256 (hex) of the authenticated caller, so two callers' keys never collide.
    caller: str = Field(sa_column=Column(String(64), nullable=False))
    key: str = Field(sa_column=Column(String(200), nullable=False))
    # SHA-256 (hex) of the method, path and body of the first request.
    fingerprint: str = Field(sa_column=Column(String(64), nullable=False))
    state: str = Field(sa_column=Column(String(10), nullable=False))  # running | done
    status: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    headers: dict[str, str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    body: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    created_at: datetime = Field(default_factory=utcnow,
                                 sa_column=Column(UTCDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))

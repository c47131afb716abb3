"""Tables that protect the API: sign-in throttling and idempotency keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, BigInteger, Column, Integer, LargeBinary, String,
                        UniqueConstraint)
from sqlmodel import Field, SQLModel

from app.db.types import UTCDateTime, utcnow


class LoginThrottle(SQLModel, table=True):
    """Sign-in attempts on one key (an account and address, an account, or an address) and
    when the next may be checked: exponential back-off, never a lockout
    (app/services/identity/rate_limits.py). Times are milliseconds since the epoch, so the back-off
    is worked out inside the one statement that claims an attempt, on either database."""

    __tablename__ = "login_throttle"

    # "pair:<account>|<address>", "account:<account>" or "address:<address>"; accounts are
    # "person:<e-mail>" (lower-cased) or "client:<client id>".
    key: str = Field(sa_column=Column(String(520), primary_key=True))
    attempts: int = Field(sa_column=Column(Integer, nullable=False))
    last_ms: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    next_allowed_ms: int = Field(sa_column=Column(BigInteger, nullable=False))


class KnownSignInAddress(SQLModel, table=True):
    """An address an account has signed in from successfully: attempts from there are not
    held back by failures from elsewhere."""

    __tablename__ = "known_sign_in_address"

    account: str = Field(sa_column=Column(String(400), primary_key=True))
    address: str = Field(sa_column=Column(String(100), primary_key=True))
    last_success_at: datetime = Field(default_factory=utcnow,
                                      sa_column=Column(UTCDateTime, nullable=False))


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

"""Failed sign-in attempts, counted in the database in a sliding window.

Counted per account (the e-mail address or client id tried) and per client address, so
every worker and replica sees the same counts. While either count is at its limit, sign-in
is refused before any password is checked. A success clears nothing: failures age out of
the window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, select

from app.db.protection import LoginAttempt
from app.settings import Settings

ACCOUNT_MAX = 400
ADDRESS_MAX = 100


class TooManyAttempts(Exception):
    """Sign-in is refused for now; retry after `retry_after` seconds."""

    def __init__(self, retry_after: int, *, per: str) -> None:
        super().__init__(f"too many failed sign-ins for this {per}")
        self.retry_after = retry_after
        self.per = per


@dataclass(frozen=True)
class Attempt:
    account: str
    address: str


def attempt(*, kind: str, name: str, address: str | None) -> Attempt:
    """Name what is being tried: `kind` is "person" (e-mail address) or "client"."""
    name = name.strip().lower() if kind == "person" else name
    return Attempt(account=f"{kind}:{name}"[:ACCOUNT_MAX],
                   address=(address or "unknown")[:ADDRESS_MAX])


def _window(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.login_window_seconds)


def check(session: Session, settings: Settings, tried: Attempt,
          now: datetime | None = None) -> None:
    """Raise TooManyAttempts if the account or the address has used up its failures."""
    now = now or datetime.now(UTC)
    since = now - _window(settings)
    for column, value, limit, per in (
            (LoginAttempt.account, tried.account, settings.login_attempts_per_account, "account"),
            (LoginAttempt.address, tried.address, settings.login_attempts_per_address, "address")):
        count, oldest = session.exec(
            select(func.count(), func.min(LoginAttempt.attempted_at))
            .where(column == value, LoginAttempt.attempted_at > since)).one()
        if count >= limit:
            # The window slides: wait until enough failures have aged out of it.
            cutoff = session.exec(
                select(LoginAttempt.attempted_at)
                .where(column == value, LoginAttempt.attempted_at > since)
                .order_by(LoginAttempt.attempted_at.desc())
                .offset(limit - 1).limit(1)).first() or oldest
            if cutoff.tzinfo is None:
                cutoff = cutoff.replace(tzinfo=UTC)
            wait = (cutoff + _window(settings) - now).total_seconds()
            raise TooManyAttempts(max(1, math.ceil(wait)), per=per)


def record_failure(session: Session, settings: Settings, tried: Attempt,
                   now: datetime | None = None) -> None:
    """Record a failure in its own transaction, after the refused request's work is undone.

    Attempts older than the window are pruned on the way.
    """
    now = now or datetime.now(UTC)
    session.rollback()
    session.execute(delete(LoginAttempt).where(
        LoginAttempt.attempted_at <= now - _window(settings)))
    session.add(LoginAttempt(account=tried.account, address=tried.address, attempted_at=now))
    session.commit()

"""Sign-in throttling: exponential back-off, claimed atomically before any password is checked.

Every sign-in attempt first claims a turn in the database, in one statement per key (an
upsert that counts the attempt only if the key's back-off has passed), and commits it before
the password is checked; so concurrent attempts cannot all slip through between a check and
its record, and every worker and replica sees the same counts. Three keys:

* the account *and* address together: after `GPS_LOGIN_ATTEMPTS_PER_ACCOUNT` attempts, each
  further one waits `GPS_LOGIN_BACKOFF_SECONDS`, then twice that, and so on (at most
  `GPS_LOGIN_WINDOW_SECONDS`);
* the account from any address, with the same allowance (against guessing from many
  addresses);
* the address across accounts, with `GPS_LOGIN_ATTEMPTS_PER_ADDRESS` (against spraying one
  password over many accounts).

An address the account has signed in from before skips the account-wide and address-wide
keys: however hard someone elsewhere hammers an account, its holder still signs in from
where they usually do. Nothing is ever locked; a key that stays quiet for the window starts
afresh, and a successful sign-in clears its account-and-address key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, case, delete, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from app.db.models import table_of
from app.db.protection import KnownSignInAddress, LoginThrottle
from app.settings import Settings

ACCOUNT_MAX = 400
ADDRESS_MAX = 100
_DOUBLINGS = 24  # beyond this many doublings the cap applies anyway


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


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _delay_ms(settings: Settings, allowance: int, attempts: Any) -> Any:
    """The wait after the `attempts`-th attempt: none within the allowance, then the back-off
    doubling each time, capped at the window. Works on a number or a SQL expression."""
    base, cap = settings.login_backoff_seconds * 1000, settings.login_window_seconds * 1000
    if isinstance(attempts, int):
        over = attempts - allowance
        return 0 if over < 0 else min(cap, base * 2 ** min(over, _DOUBLINGS))
    return case((attempts < allowance, _big(0)),
                *[(attempts == allowance + i, _big(min(cap, base * 2 ** i)))
                  for i in range(_DOUBLINGS)], else_=_big(cap))


def _big(value: int) -> Any:
    """A number sent as a 64-bit integer (milliseconds since the epoch overflow 32 bits)."""
    return literal(value, BigInteger)


def _claim(session: Session, settings: Settings, key: str, allowance: int, now_ms: int) -> bool:
    """Count one attempt on a key if its back-off has passed, in one statement."""
    table = table_of(LoginThrottle)
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" \
        else sqlite_insert
    now = _big(now_ms)
    quiet = table.c.last_ms < _big(now_ms - settings.login_window_seconds * 1000)
    attempts = case((quiet, 1), else_=table.c.attempts + 1)
    stmt = insert(table).values(key=key, attempts=1, last_ms=now_ms,
                                next_allowed_ms=now_ms + _delay_ms(settings, allowance, 1))
    stmt = stmt.on_conflict_do_update(
        index_elements=["key"],
        set_={"attempts": attempts, "last_ms": now,
              "next_allowed_ms": now + _delay_ms(settings, allowance, attempts)},
        where=or_(table.c.next_allowed_ms <= now, quiet))
    return session.execute(stmt.returning(table.c.attempts)).first() is not None


def _retry_after(session: Session, key: str, now_ms: int) -> int:
    waiting = session.execute(select(col(LoginThrottle.next_allowed_ms))
                              .where(col(LoginThrottle.key) == key)).scalar_one_or_none()
    return max(1, math.ceil(((waiting or now_ms) - now_ms) / 1000))


def _known(session: Session, tried: Attempt) -> bool:
    return session.execute(select(col(KnownSignInAddress.account)).where(
        col(KnownSignInAddress.account) == tried.account,
        col(KnownSignInAddress.address) == tried.address)).first() is not None


def claim(session: Session, settings: Settings, tried: Attempt,
          now: datetime | None = None) -> list[str]:
    """Claim the right to check one password, or raise TooManyAttempts; return the keys
    claimed. The claim is committed at once, so it counts even if the request fails
    afterwards (this module commits for that reason alone)."""
    now_ms = _ms(now or datetime.now(UTC))
    keys = [(f"pair:{tried.account}|{tried.address}", settings.login_attempts_per_account,
             "account")]
    session.rollback()
    if not _known(session, tried):
        keys += [(f"account:{tried.account}", settings.login_attempts_per_account, "account"),
                 (f"address:{tried.address}", settings.login_attempts_per_address, "address")]
    for key, allowance, per in keys:
        if not _claim(session, settings, key, allowance, now_ms):
            session.commit()  # the claims made before this one still count
            raise TooManyAttempts(_retry_after(session, key, now_ms), per=per)
    session.commit()
    return [key for key, _, _ in keys]


def succeeded(session: Session, tried: Attempt, claimed: list[str],
              now: datetime | None = None) -> None:
    """A correct password: clear this account-and-address key, give back the attempt to the
    account-wide and address-wide keys (so an office's first sign-ins do not add up), and
    remember the address; in the request's own transaction."""
    pair = f"pair:{tried.account}|{tried.address}"
    session.execute(delete(LoginThrottle).where(col(LoginThrottle.key) == pair))
    others = [key for key in claimed if key != pair]
    if others:
        session.execute(update(LoginThrottle).where(
            col(LoginThrottle.key).in_(others), col(LoginThrottle.attempts) > 0)
            .values(attempts=LoginThrottle.attempts - 1))
    table = table_of(KnownSignInAddress)
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" \
        else sqlite_insert
    moment = now or datetime.now(UTC)
    stmt = insert(table).values(account=tried.account, address=tried.address,
                                last_success_at=moment)
    session.execute(stmt.on_conflict_do_update(index_elements=["account", "address"],
                                               set_={"last_success_at": moment}))

"""Idempotency keys: a POST repeated with the same key answers once, from storage.

A key is claimed by inserting a "running" row (unique per caller and key) before the request
runs; a 2xx answer is then stored on it, any other answer removes it so the client may
retry. Keys expire after `GPS_IDEMPOTENCY_KEY_HOURS`; expired ones are ignored and pruned.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.db.protection import IdempotencyKey

RUNNING = "running"
# A request holding a key for longer than this died (a crash, a killed worker) before it could
# store or release its answer: its claim is abandoned and the key can be claimed again.
RUNNING_LEASE = timedelta(minutes=5)
DONE = "done"
STORED_HEADERS = ("content-type", "location", "etag")


def digest(*parts: bytes) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(len(part).to_bytes(8, "big"))
        hasher.update(part)
    return hasher.hexdigest()


@dataclass(frozen=True)
class Claimed:
    """This request holds the key: run it, then `finish` or `release`."""

    id: int


@dataclass(frozen=True)
class Replay:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Mismatch:
    """The key was used for a different request."""


@dataclass(frozen=True)
class InProgress:
    """The first request with this key has not answered yet."""


Outcome = Claimed | Replay | Mismatch | InProgress


def _existing(row: IdempotencyKey, fingerprint: str) -> Outcome:
    if row.fingerprint != fingerprint:
        return Mismatch()
    if row.state != DONE or row.status is None:
        return InProgress()
    return Replay(status=row.status, headers=dict(row.headers or {}), body=row.body or b"")


def claim(session: Session, *, caller: str, key: str, fingerprint: str, hours: int,
          now: datetime | None = None, abandoned: set[int] | None = None) -> Outcome:
    """Claim the key for this request, or say what to answer instead. Commits.

    `abandoned` holds claims known to be dead although still running in the database (their
    release failed); a retry takes such a claim over at once, and it leaves the set.
    """
    now = now or datetime.now(UTC)
    # Expired keys are ignored: prune them (this caller's and everyone else's).
    session.execute(delete(IdempotencyKey).where(col(IdempotencyKey.expires_at) <= now))
    row = session.exec(select(IdempotencyKey).where(
        IdempotencyKey.caller == caller, IdempotencyKey.key == key)).first()
    if row is not None and row.state == RUNNING and (
            row.created_at < now - RUNNING_LEASE or row.id in (abandoned or ())):
        if abandoned is not None:
            abandoned.discard(row.id)
        session.delete(row)
        session.flush()
        row = None
    if row is not None:
        session.commit()
        return _existing(row, fingerprint)
    row = IdempotencyKey(caller=caller, key=key, fingerprint=fingerprint, state=RUNNING,
                         created_at=now, expires_at=now + timedelta(hours=hours))
    session.add(row)
    try:
        session.commit()
    except IntegrityError:
        # Another request claimed the same key a moment ago.
        session.rollback()
        other = session.exec(select(IdempotencyKey).where(
            IdempotencyKey.caller == caller, IdempotencyKey.key == key)).first()
        session.commit()
        return _existing(other, fingerprint) if other is not None else InProgress()
    assert row.id is not None
    return Claimed(row.id)


def finish(session: Session, claimed: Claimed, *, status: int, headers: dict[str, str],
           body: bytes) -> None:
    """Store a successful answer for replay. Commits."""
    session.execute(update(IdempotencyKey).where(col(IdempotencyKey.id) == claimed.id).values(
        state=DONE, status=status, body=body,
        headers={k: v for k, v in headers.items() if k in STORED_HEADERS}))
    session.commit()


def release(session: Session, claimed: Claimed) -> None:
    """Forget the key (the answer was not a success), so the client may retry. Commits."""
    session.execute(delete(IdempotencyKey).where(col(IdempotencyKey.id) == claimed.id))
    session.commit()

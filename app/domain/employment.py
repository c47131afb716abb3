"""Who a person was, and when: their employment window and the history of their band, kind
and teams. Evaluation judges a period with the facts of that period, never today's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from app.domain.periods import Period

T = TypeVar("T")


@dataclass(frozen=True)
class Span:
    """Days from `start` to `end`, both included; `end` None: still going."""

    start: date
    end: date | None = None

    def covers(self, period: Period) -> bool:
        """The whole period lies inside the span."""
        return self.start <= period.start and (self.end is None or period.end <= self.end)

    def overlaps(self, period: Period) -> bool:
        return self.start <= period.end and (self.end is None or period.start <= self.end)

    def contains(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Dated(Generic[T]):
    """A value that held over a span (a band, a team membership, a line manager)."""

    span: Span
    value: T


def as_of(history: Sequence[Dated[T]], day: date) -> T | None:
    """The value that held on `day` (the latest-starting one, should spans overlap)."""
    holding = [h for h in history if h.span.contains(day)]
    return max(holding, key=lambda h: h.span.start).value if holding else None


def check_window(started_on: date, left_on: date | None) -> None:
    """Refuse a window that ends before it starts (ValueError saying so)."""
    if left_on is not None and left_on < started_on:
        raise ValueError(f"left_on ({left_on.isoformat()}) is before started_on "
                         f"({started_on.isoformat()})")


def day_outside(day: date, window: Span, *, today: date, future_allowed: bool = False,
                what: str = "It") -> str | None:
    """Why a self-reported day cannot be recorded (None: it can): before the person started,
    after they left, or, unless planned ahead, not yet come."""
    if day < window.start:
        return f"{what} is dated {day.isoformat()}, before this person started " \
               f"({window.start.isoformat()})."
    if window.end is not None and day > window.end:
        return f"{what} is dated {day.isoformat()}, after this person left " \
               f"({window.end.isoformat()})."
    if not future_allowed and day > today:
        return f"{what} is dated {day.isoformat()}, which has not come yet: record what has " \
               "happened."
    return None

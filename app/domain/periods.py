"""Evaluation periods: ISO weeks, calendar quarters, and sprints (Jira's, else a team's cadence)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from app.domain.quarters import MAX_YEAR, MIN_YEAR, Quarter
from app.domain.vocabulary import PeriodType

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_JIRA_SPRINT = re.compile(r"^jira-(\d{1,12})$")
_CADENCE_SPRINT = re.compile(r"^team(\d{1,9})-(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date  # inclusive
    type: PeriodType
    key: str
    team_id: int | None = None  # sprints: whose sprint
    sprint_id: int | None = None  # Jira sprints: the sprint's id

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def has_ended(self, today: date) -> bool:
        """A period is over once its last day is: only then may anyone be judged on it."""
        return self.end < today


def week(key: str) -> Period:
    match = _WEEK.match(key)
    if match is None:
        raise ValueError(f"{key!r} is not an ISO week: write it as YYYY-Www (e.g. 2026-W48)")
    # ISO years straddle calendar years (1 January 2000 is in 1999-W52): a year's slack.
    if not MIN_YEAR - 1 <= int(match[1]) <= MAX_YEAR + 1:
        raise ValueError(f"{key!r} is not a week GPS can hold: the year must be between "
                         f"{MIN_YEAR} and {MAX_YEAR}")
    try:
        start = date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise ValueError(f"{key!r} is not an ISO week: year {match[1]} has no week "
                         f"{int(match[2])}") from None
    return Period(start, start + timedelta(days=6), PeriodType.week, key)


def week_containing(day: date) -> Period:
    year, number, _ = day.isocalendar()
    return week(f"{year:04d}-W{number:02d}")


def quarter(key: str) -> Period:
    q = Quarter.parse(key)
    return Period(q.first_day, q.last_day, PeriodType.quarter, str(q))


def quarter_containing(day: date) -> Period:
    return quarter(str(Quarter.containing(day)))


def jira_sprint(sprint_id: int, start: date, end: date, team_id: int | None) -> Period:
    return Period(start, end, PeriodType.sprint, f"jira-{sprint_id}", team_id, sprint_id)


def cadence_sprint(team_id: int, anchor: date, length_days: int, day: date) -> Period:
    """The sprint of a team's cadence (anchor date and length) that contains `day`."""
    offset = (day - anchor).days // length_days
    start = anchor + timedelta(days=offset * length_days)
    return Period(start, start + timedelta(days=length_days - 1), PeriodType.sprint,
                  f"team{team_id}-{start.isoformat()}", team_id)


def parse_cadence_key(key: str) -> tuple[int, date] | None:
    match = _CADENCE_SPRINT.match(key)
    if match is None:
        return None
    try:
        return int(match[1]), date.fromisoformat(match[2])
    except ValueError:
        return None


def parse_jira_key(key: str) -> int | None:
    match = _JIRA_SPRINT.match(key)
    return int(match[1]) if match else None


def weeks_between(start: date, end: date) -> list[Period]:
    found, current = [], week_containing(start)
    while current.start <= end:
        found.append(current)
        current = week_containing(current.end + timedelta(days=1))
    return found


def quarters_between(start: date, end: date) -> list[Period]:
    found, current = [], quarter_containing(start)
    while current.start <= end:
        found.append(current)
        current = quarter_containing(current.end + timedelta(days=1))
    return found


def cadence_sprints_between(team_id: int, anchor: date, length_days: int, start: date,
                            end: date) -> list[Period]:
    found, current = [], cadence_sprint(team_id, anchor, length_days, start)
    while current.start <= end:
        found.append(current)
        current = cadence_sprint(team_id, anchor, length_days, current.end + timedelta(days=1))
    return found


def last_ended_sprints(sprints: list[Period], today: date) -> list[Period]:
    """Each team's sprint that ended most recently before `today` (one per team)."""
    latest: dict[int | None, Period] = {}
    for sprint in sprints:
        if sprint.end < today and (sprint.team_id not in latest
                                   or sprint.end > latest[sprint.team_id].end):
            latest[sprint.team_id] = sprint
    return sorted(latest.values(), key=lambda p: (p.team_id or 0, p.start))


def check_range(start: date, end: date) -> None:
    """Refuse a range outside the years GPS holds (ValueError saying so)."""
    for day in (start, end):
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            raise ValueError(f"{day.isoformat()} is outside the years GPS holds "
                             f"({MIN_YEAR} to {MAX_YEAR})")


def weekdays(period: Period) -> list[date]:
    """Monday to Friday in the period (public holidays included)."""
    return [period.start + timedelta(days=i) for i in range(period.days)
            if (period.start + timedelta(days=i)).weekday() < 5]


def working_days(period: Period, holidays: frozenset[date] = frozenset()) -> list[date]:
    """The period's weekdays that are not public holidays."""
    return [day for day in weekdays(period) if day not in holidays]

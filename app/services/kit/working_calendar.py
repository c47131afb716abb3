"""The department's calendar: what day it is where the department works, and its public
holidays (from the maintained `holidays` package, never a hand-written list)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from app.settings import Settings, get_settings


@dataclass(frozen=True)
class DepartmentCalendar:
    timezone: str = "Europe/London"
    country: str = "GB"
    subdivision: str | None = "ENG"

    def today(self) -> date:
        """Today where the department works (a period ends at its midnight, not UTC's)."""
        return datetime.now(ZoneInfo(self.timezone)).date()

    def holidays(self, start: date, end: date) -> frozenset[date]:
        """The public holidays from `start` to `end`, both included."""
        return frozenset(day for year in range(start.year, end.year + 1)
                         for day in _holidays(self.country, self.subdivision, year)
                         if start <= day <= end)


@lru_cache(maxsize=256)
def _holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))


def department_calendar(settings: Settings) -> DepartmentCalendar:
    return DepartmentCalendar(settings.timezone, settings.holidays_country,
                              settings.holidays_subdivision or None)


def department_today() -> date:
    """Today where the department works, from the process's settings."""
    return department_calendar(get_settings()).today()

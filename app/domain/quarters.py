"""Calendar quarters, written `YYYY-Qn`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_PATTERN = re.compile(r"^(\d{4})-Q([1-4])$")
# What a client may send, years bounded as `parse` bounds them (the contract publishes it).
QUARTER_PATTERN = r"^(20[0-9]{2}|2100)-Q[1-4]$"
MIN_YEAR, MAX_YEAR = 2000, 2100


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """Parse `YYYY-Qn`, raising ValueError that says what a quarter looks like."""
        match = _PATTERN.match(text.strip()) if isinstance(text, str) else None
        if match is None:
            raise ValueError(f"{text!r} is not a quarter: write it as YYYY-Qn, n from 1 to 4 "
                             "(e.g. 2026-Q4)")
        year = int(match[1])
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise ValueError(f"{text!r} is not a quarter GPS can hold: the year must be "
                             f"between {MIN_YEAR} and {MAX_YEAR}")
        return cls(year, int(match[2]))

    @classmethod
    def containing(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> date:
        if self.number == 4:
            return date(self.year, 12, 31)
        following = date(self.year, 3 * self.number + 1, 1)
        return date.fromordinal(following.toordinal() - 1)

    def __str__(self) -> str:
        return f"{self.year}-Q{self.number}"


# The policy's expectation: three completed 20%-time objectives per person per quarter.
EXPECTED_TWENTY_PERCENT_OBJECTIVES = 3

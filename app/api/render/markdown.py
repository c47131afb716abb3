"""Writing Markdown for people to read: dates in words, recorded text made safe."""

from __future__ import annotations

from datetime import date

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|#"})


def text(value: str) -> str:
    """Recorded text on one line, with Markdown's special characters escaped."""
    return " ".join(value.split()).translate(_SPECIAL)


def day(value: date) -> str:
    """A date in words: 26 November 2026."""
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"

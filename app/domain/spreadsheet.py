"""Cells for CSV files people open in spreadsheets.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage
return before one) as a formula: `=HYPERLINK(...)` in an objective's title could send its
reader's data elsewhere, `+cmd|...` run a program. Every CSV GPS writes passes its cells
through `cell` (OWASP's advice: such a cell is prefixed with a single quote, so it is shown,
not run).
"""

from __future__ import annotations

from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """The value as a CSV cell that a spreadsheet shows as text."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def row(values: Iterable[object]) -> list[str]:
    return [cell(value) for value in values]

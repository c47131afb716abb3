"""Constant-cost tests: the statement counts each scenario measured, printed after the run.

Each test records its counts with `record_property("statements", ...)`; the properties travel
back from xdist workers with the test reports, so the table is whole however the run is split.
"""

from __future__ import annotations

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    rows = []
    for report in terminalreporter.stats.get("passed", []):
        for name, value in getattr(report, "user_properties", ()):
            if name == "statements":
                rows.append(value)
    if not rows:
        return
    db = terminalreporter.config.getoption("--db")
    terminalreporter.section(f"SQL statements per request ({db})")
    width = max(len(r["route"]) for r in rows)
    terminalreporter.write_line(f"{'route':<{width}}  {'small':>5}  {'large':>5}  sizes")
    for r in sorted(rows, key=lambda r: r["route"]):
        terminalreporter.write_line(f"{r['route']:<{width}}  {r['small']:>5}  {r['large']:>5}  "
                                    f"{r['sizes']}")

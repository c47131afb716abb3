"""Figures a test run reports: how many routes x callers were checked, cases generated, fault
scenarios survived, bad inputs tried, SQL statements per request. The security account
(docs/SECURITY.md) and the benchmarks quote them.

A test calls `record(name, amount)` as it checks things. Only a test that passes counts: what
it recorded travels with its report (as `user_properties`, which xdist sends from its workers
to the controller), and the controller adds the figures up and prints them after the run, so
they are the same whether the run is split over workers or not.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator
from typing import Any

import pytest
from pluggy import Result

_FIGURE = "figure"
_PENDING: Counter[str] = Counter()


def record(name: str, amount: int = 1) -> None:
    """Add `amount` to the figure called `name`, if the running test passes."""
    _PENDING[name] += amount


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, Result[pytest.TestReport], None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" or report.failed or report.skipped:
        if report.when == "call" and report.passed:
            report.user_properties.extend((_FIGURE, (name, n)) for name, n in _PENDING.items())
        _PENDING.clear()


def _reported(terminalreporter: pytest.TerminalReporter, name: str) -> list[Any]:
    return [value for report in terminalreporter.stats.get("passed", [])
            for key, value in getattr(report, "user_properties", ()) if key == name]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter,
                            config: pytest.Config) -> None:
    if hasattr(config, "workeroutput"):  # an xdist worker: the controller prints
        return
    _statement_counts(terminalreporter)
    figures: Counter[str] = Counter()
    for name, n in _reported(terminalreporter, _FIGURE):
        figures[name] += n
    if figures:
        terminalreporter.section(f"figures ({config.getoption('--db')})")
        for name in sorted(figures):
            terminalreporter.write_line(f"{name}: {figures[name]}")


def _statement_counts(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the statement counts the constant-cost tests recorded (tests/performance/)."""
    rows = _reported(terminalreporter, "statements")
    if not rows:
        return
    terminalreporter.section(
        f"SQL statements per request ({terminalreporter.config.getoption('--db')})")
    width = max(len(r["route"]) for r in rows)
    terminalreporter.write_line(f"{'route':<{width}}  {'small':>5}  {'large':>5}  sizes")
    for r in sorted(rows, key=lambda r: r["route"]):
        terminalreporter.write_line(f"{r['route']:<{width}}  {r['small']:>5}  {r['large']:>5}  "
                                    f"{r['sizes']}")

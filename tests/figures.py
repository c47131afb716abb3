"""Figures a test run reports: how many routes x callers were checked, cases generated, fault
scenarios survived, bad inputs tried, SQL statements per request. The security account
(docs/SECURITY.md) and the benchmarks quote them.

Tests call `record(name, amount)`. Each xdist worker sends its counts to the controller when it
finishes; the controller adds them up and prints them in the run's summary, so the figures are
the same whether the run is split over workers or not.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

FIGURES: Counter[str] = Counter()
_KEY = "gps_figures"


def record(name: str, amount: int = 1) -> None:
    """Add `amount` to the figure called `name`."""
    FIGURES[name] += amount


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workeroutput")


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    if _is_worker(session.config):
        session.config.workeroutput[_KEY] = json.dumps(FIGURES)  # type: ignore[attr-defined]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:  # type: ignore[no-untyped-def]
    """On the xdist controller: add up what a worker counted."""
    FIGURES.update(json.loads(node.workeroutput.get(_KEY, "{}")))


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:  # type: ignore[no-untyped-def]
    if _is_worker(config):
        return
    _statement_counts(terminalreporter)
    if FIGURES:
        terminalreporter.section(f"figures ({config.getoption('--db')})")
        for name in sorted(FIGURES):
            terminalreporter.write_line(f"{name}: {FIGURES[name]}")


def _statement_counts(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    """Print the statement counts the constant-cost tests recorded (tests/performance/).

    They travel back from xdist workers as the reports' `user_properties`.
    """
    rows = [value for report in terminalreporter.stats.get("passed", [])
            for name, value in getattr(report, "user_properties", ()) if name == "statements"]
    if not rows:
        return
    terminalreporter.section(
        f"SQL statements per request ({terminalreporter.config.getoption('--db')})")
    width = max(len(r["route"]) for r in rows)
    terminalreporter.write_line(f"{'route':<{width}}  {'small':>5}  {'large':>5}  sizes")
    for r in sorted(rows, key=lambda r: r["route"]):
        terminalreporter.write_line(f"{r['route']:<{width}}  {r['small']:>5}  {r['large']:>5}  "
                                    f"{r['sizes']}")

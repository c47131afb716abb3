"""Figures a test run reports: how many routes x callers were checked, cases generated, fault
scenarios survived, bad inputs tried. The security account (docs/SECURITY.md) quotes them.

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
    if _is_worker(config) or not FIGURES:
        return
    terminalreporter.section(f"figures ({config.getoption('--db')})")
    for name in sorted(FIGURES):
        terminalreporter.write_line(f"{name}: {FIGURES[name]}")

"""Counts the fault scenarios a test run survived, and prints the figure at the end of the run.

A scenario is one fault injected and everything about it checked afterwards (the answer, what
was written, the recovery). A test records each scenario it survives with the `survived`
fixture; only tests that pass count, so a scenario recorded before a later failure does not.
Registered from tests/conftest.py, so it also runs on the xdist controller, which adds up the
workers' reports.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

PROPERTY = "fault_scenario"


@pytest.fixture
def survived(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """`survived("what was broken, and what held")`: count one scenario for this test."""
    return lambda scenario: request.node.user_properties.append((PROPERTY, scenario))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    passed = [report for report in terminalreporter.stats.get("passed", [])
              if report.when == "call"]
    scenarios = [value for report in passed for name, value in report.user_properties
                 if name == PROPERTY]
    if not scenarios:
        return
    failed = sum(1 for report in terminalreporter.stats.get("failed", [])
                 if report.nodeid.startswith("tests/faults/"))
    line = f"fault scenarios survived: {len(scenarios)}"
    if failed:
        line += f" ({failed} fault tests failed)"
    terminalreporter.write_line(line, bold=True, red=bool(failed), green=not failed)

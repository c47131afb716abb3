"""SVG charts of the oversight reports, drawn with matplotlib (no pyplot, no display).

Text stays text in the SVG (not outlines), so a chart can be searched, read by a screen
reader and checked by a test. Suppressed or missing figures are drawn as gaps and labelled,
never as zero.
"""

from __future__ import annotations

import io
import threading
from typing import TYPE_CHECKING, Any
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import matplotlib
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from app.domain.errors import TooManyRequests
from app.services.oversight.reports import (Participation, PersonFigures, Rollup, Share,
                                            TeamReport)

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

_RC: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",  # keep <text> elements
    # Names are people's and teams' own words: `$...$` in one is text, never mathtext (which
    # fails on input such as `$x^$` and would turn the chart into an error).
    "text.parse_math": False,
    "svg.hashsalt": "gps-reports",  # the same report draws the same bytes
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
# rc_context changes matplotlib's process-wide settings while a chart is drawn.
_LOCK = threading.Lock()
_BAR = "#005eb8"
_GAP = "#768692"


def _render(figure: Figure, title: str, *, format: str = "svg") -> bytes:
    """The figure as SVG (or, to look at while developing, PNG)."""
    out = io.BytesIO()
    if format == "svg":
        FigureCanvasSVG(figure)
        figure.savefig(out, format="svg", metadata={"Title": title, "Date": None,
                                                    "Creator": "GPS"})
    else:
        figure.savefig(out, format=format, dpi=110)
    return out.getvalue()


@dataclass(frozen=True)
class TeamChart:
    """Everything the team chart draws (and nothing else): equal data, equal chart."""

    title: str
    people_covered: int
    period_type: str
    bars: tuple[tuple[str, float | None, str | None], ...]  # period, percent or None, reason


def team_chart_data(report: TeamReport) -> TeamChart:
    return TeamChart(
        title=f"{report.team.name}: share of targets met",
        people_covered=report.current.people_covered,
        period_type=report.current.period.type.value,
        bars=tuple((p.period.key,
                    None if p.targets_met.value is None else p.targets_met.value * 100,
                    p.targets_met.reason) for p in report.trend))


def team_chart(report: TeamReport, *, format: str = "svg") -> bytes:
    """The share of (non-stretch) targets met in each period of the trend, oldest first."""
    return draw_team_chart(team_chart_data(report), format=format)


def draw_team_chart(chart: TeamChart, *, format: str = "svg") -> bytes:
    title = chart.title
    with _LOCK, matplotlib.rc_context(_RC):
        figure = Figure(figsize=(8, 4.5), layout="constrained")
        axes = figure.add_subplot()
        labels = [label for label, _, _ in chart.bars]
        for x, (_, percent, reason) in enumerate(chart.bars):
            if percent is None:
                axes.bar(x, 100, color="none", edgecolor=_GAP, hatch="//", linewidth=0.8)
                axes.text(x, 50, reason or "no figure", ha="center", va="center",
                          rotation=90, color="#425563", fontsize=9,
                          bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.5})
                continue
            axes.bar(x, percent, color=_BAR)
            axes.text(x, percent + 2, f"{percent:.0f}%", ha="center", va="bottom")
        axes.set_xticks(range(len(labels)), labels)
        axes.set_ylim(0, 110)
        axes.set_yticks(range(0, 101, 25), [f"{v}%" for v in range(0, 101, 25)])
        axes.set_ylabel("targets met (excused periods not counted)")
        axes.set_xlabel(f"{chart.period_type}, oldest first")
        axes.set_title(f"{title}\n{chart.people_covered} people covered; "
                       f"hatched: no figure shown", fontsize=11)
        return _render(figure, title, format=format)


def _percent(share: Share | None) -> float | None:
    value = share.share if share is not None else None
    return None if value is None else value * 100


_MEASURES: tuple[tuple[str, str], ...] = (
    ("with_objectives_agreed", "Objectives agreed\nfor the quarter"),
    ("weeks_with_one_to_one", "Weeks with a\none-to-one held"),
    ("weeks_with_accomplishments", "Weeks with\naccomplishments logged"),
    ("coaching_sessions", "Coaching sessions\nheld of planned"),
)


def _person_shares(f: PersonFigures, weeks: int) -> dict[str, Share | None]:
    return {
        "with_objectives_agreed": Share(1 if f.objectives_agreed else 0, 1),
        "weeks_with_one_to_one": Share(len(f.one_to_one_weeks), weeks),
        "weeks_with_accomplishments": Share(len(f.accomplishment_weeks), weeks),
        "coaching_sessions": Share(f.coaching_held, f.coaching_planned) if f.coachee else None,
    }


def _line_shares(rollup: Rollup) -> dict[str, Share | None]:
    return {name: getattr(rollup, name) for name, _ in _MEASURES}


@dataclass(frozen=True)
class ParticipationChart:
    """Everything the participation chart draws: equal data, equal chart."""

    title: str
    period_type: str
    period_key: str
    line_people: int
    # (name, percent per measure or None, whether it is the whole line)
    series: tuple[tuple[str, tuple[float | None, ...], bool], ...]


def participation_chart_data(report: Participation) -> ParticipationChart:
    series = [(r.figures.person.name, _person_shares(r.figures, len(report.weeks)), False)
              for r in report.reports]
    series.append(("Whole line", _line_shares(report.line), True))
    return ParticipationChart(
        title=f"Participation: {report.manager.name}, {report.period.key}",
        period_type=report.period.type.value, period_key=report.period.key,
        line_people=report.line.people,
        series=tuple((name, tuple(_percent(shares[m]) for m, _ in _MEASURES), line)
                     for name, shares, line in series))


def participation_chart(report: Participation, *, format: str = "svg") -> bytes:
    """Grouped bars: for each measure, the share for each direct report and for the whole
    line (everyone below the manager). Reports are in name order, never ranked."""
    return draw_participation_chart(participation_chart_data(report), format=format)


def draw_participation_chart(chart: ParticipationChart, *, format: str = "svg") -> bytes:
    title = chart.title
    series = chart.series
    with _LOCK, matplotlib.rc_context(_RC):
        figure = Figure(figsize=(max(8.0, 2.2 * len(_MEASURES) + 0.25 * len(series)), 5),
                        layout="constrained")
        axes = figure.add_subplot()
        width = 0.8 / len(series)
        colours = matplotlib.colormaps["tab10"]
        for i, (name, percents, line) in enumerate(series):
            hatch = "xx" if line else None
            colour = "#425563" if hatch else colours(i % 10)
            xs, heights, gaps = [], [], []
            for group, value in enumerate(percents):
                x = group - 0.4 + width * (i + 0.5)
                if value is None:
                    gaps.append(x)
                else:
                    xs.append(x)
                    heights.append(value)
            axes.bar(xs, heights, width * 0.95, label=name, color=colour,
                     hatch=hatch, edgecolor="white" if hatch else colour)
            for x, value in zip(xs, heights, strict=True):
                axes.text(x, value + 1, f"{value:.0f}%", ha="center", va="bottom",
                          fontsize=7 if len(series) > 6 else 8)
            for x in gaps:
                axes.text(x, 1.5, "n/a", ha="center", va="bottom", rotation=90,
                          fontsize=9, color="#425563")
        axes.set_xticks(range(len(_MEASURES)), [label for _, label in _MEASURES])
        axes.set_ylim(0, 110)
        axes.set_yticks(range(0, 101, 25), [f"{v}%" for v in range(0, 101, 25)])
        axes.set_ylabel(f"share, {chart.period_type} {chart.period_key}")
        axes.set_title(f"{title}\nDirect reports by name, and the whole line "
                       f"({chart.line_people} people); n/a: nothing to measure",
                       fontsize=11)
        axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=9)
        return _render(figure, title, format=format)


Chart = TeamChart | ParticipationChart


def draw(chart: Chart) -> bytes:
    """The chart as SVG (slow: call it from a worker thread)."""
    if isinstance(chart, TeamChart):
        return draw_team_chart(chart)
    return draw_participation_chart(chart)


class ChartCache:
    """The last few charts drawn, by their data: a chart already drawn for anyone (the same
    figures, names and period) is not drawn again. Thread-safe."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._charts: OrderedDict[Chart, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, chart: Chart) -> bytes | None:
        with self._lock:
            found = self._charts.get(chart)
            if found is not None:
                self._charts.move_to_end(chart)
            return found

    def put(self, chart: Chart, svg: bytes) -> None:
        with self._lock:
            self._charts[chart] = svg
            self._charts.move_to_end(chart)
            while len(self._charts) > self.size:
                self._charts.popitem(last=False)

    def __len__(self) -> int:
        return len(self._charts)


class CallerSlots:
    """At most `per_caller` charts being drawn at once for each caller, so one caller asking
    for many cannot keep everyone else's waiting. Thread-safe."""

    def __init__(self, per_caller: int = 2) -> None:
        self.per_caller = per_caller
        self._held: dict[str, int] = {}
        self._lock = threading.Lock()

    def held(self, caller: str) -> int:
        with self._lock:
            return self._held.get(caller, 0)

    @contextmanager
    def hold(self, caller: str) -> Iterator[None]:
        with self._lock:
            if self._held.get(caller, 0) >= self.per_caller:
                raise TooManyRequests(
                    detail=f"You already have {self.per_caller} charts being drawn; ask again "
                           "when one has arrived (or ask for JSON).", retry_after=1)
            self._held[caller] = self._held.get(caller, 0) + 1
        try:
            yield
        finally:
            with self._lock:
                self._held[caller] -= 1
                if not self._held[caller]:
                    del self._held[caller]

"""Evaluating targets and firing triggers: pure functions over facts the services gather.

Targets support, never punish: a missed target only ever leads to a *proposed* supportive
intervention, and stretch targets are reported but never count against anyone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from app.domain.employment import Span
from app.domain.periods import Period, weekdays
from app.domain.evidence import COUNTED_FOR
from app.domain.vocabulary import EvidenceKind, Metric, Outcome, PeriodType


def evidence_kind(metric: Metric) -> EvidenceKind | None:
    """The kind of evidence a metric counts (None: it counts other records)."""
    return COUNTED_FOR.get(metric)


@dataclass(frozen=True)
class TargetRule:
    id: int
    metric: Metric
    period: PeriodType
    threshold: Decimal
    bands: frozenset[str] = frozenset()  # empty: every band
    kinds: frozenset[str] = frozenset()  # empty: every kind of person
    stretch: bool = False


@dataclass(frozen=True)
class PersonFacts:
    """A person as they were in the period being judged."""

    id: int
    band: str | None
    kind: str
    window: Span = Span(date.min)  # employment: judged only for periods wholly inside it


@dataclass(frozen=True)
class EvidenceFact:
    id: int
    kind: EvidenceKind
    occurred_on: date
    hours: Decimal | None = None
    sprint_id: int | None = None  # Jira evidence: the sprint it was done in


@dataclass(frozen=True)
class ActivityFacts:
    """Everything about one person that evaluation can count."""

    evidence: Sequence[EvidenceFact] = ()
    one_to_ones_held: Sequence[tuple[int, date]] = ()  # (id, day)
    objectives_completed: Sequence[tuple[int, str]] = ()  # (id, quarter) of 20%-time ones
    absences: Sequence[tuple[date, date]] = ()
    holidays: frozenset[date] = frozenset()  # the department's public holidays


@dataclass(frozen=True)
class Measure:
    """A figure and the records behind it, each kind of record under its own name."""

    value: Decimal
    evidence_ids: tuple[int, ...] = ()
    objective_ids: tuple[int, ...] = ()
    one_to_one_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Result:
    target_id: int
    metric: Metric
    outcome: Outcome
    measured: Decimal
    threshold: Decimal
    evidence_ids: list[int] = field(default_factory=list)
    stretch: bool = False
    objective_ids: list[int] = field(default_factory=list)
    one_to_one_ids: list[int] = field(default_factory=list)


def applies(target: TargetRule, person: PersonFacts) -> bool:
    if target.bands and (person.band is None or person.band not in target.bands):
        return False
    return not (target.kinds and person.kind not in target.kinds)


def away_share(period: Period, absences: Sequence[tuple[date, date]],
               holidays: frozenset[date] = frozenset()) -> Decimal:
    """The share of the period's weekdays not worked: public holidays and absence."""
    days = weekdays(period)
    if not days:
        return Decimal(1)
    away = sum(1 for day in days if day in holidays
               or any(start <= day <= end for start, end in absences))
    return Decimal(away) / Decimal(len(days))


def _in_period(item: EvidenceFact, period: Period) -> bool:
    # A ticket done in a Jira sprint counts in that sprint, whatever the day.
    if period.type is PeriodType.sprint and period.sprint_id is not None \
            and item.kind is EvidenceKind.ticket_done and item.sprint_id is not None:
        return item.sprint_id == period.sprint_id
    return period.contains(item.occurred_on)


def measure(metric: Metric, period: Period, facts: ActivityFacts) -> Measure:
    """The figure a target is judged on, and the ids of the records behind it."""
    kind = COUNTED_FOR.get(metric)
    if kind is not None:
        items = [e for e in facts.evidence if e.kind is kind and _in_period(e, period)]
        ids = tuple(sorted({e.id for e in items}))
        if metric is Metric.training_hours:
            return Measure(sum((e.hours or Decimal(0) for e in items), Decimal(0)), ids)
        return Measure(Decimal(len(ids)), ids)
    if metric is Metric.one_to_ones_held:
        held = tuple(sorted({i for i, day in facts.one_to_ones_held if period.contains(day)}))
        return Measure(Decimal(len(held)), one_to_one_ids=held)
    if metric is Metric.objectives_completed:
        done = tuple(sorted({i for i, quarter in facts.objectives_completed
                             if period.type is PeriodType.quarter and quarter == period.key}))
        return Measure(Decimal(len(done)), objective_ids=done)
    raise ValueError(f"unknown metric {metric}")


def evaluate(target: TargetRule, person: PersonFacts, period: Period, facts: ActivityFacts,
             *, excused_share: Decimal) -> Result:
    """Judge one target for one person and period: met, missed, excused or not applicable.

    Not applicable: the target is not for this person (band, kind) or this kind of period, or
    the period is not wholly inside the person's employment. Excused: more than
    `excused_share` of its weekdays were public holidays or absence (and the target was not met
    all the same)."""
    if not applies(target, person) or target.period is not period.type \
            or not person.window.covers(period):
        return Result(target.id, target.metric, Outcome.not_applicable, Decimal(0),
                      target.threshold, [], target.stretch)
    found = measure(target.metric, period, facts)
    if found.value >= target.threshold:
        outcome = Outcome.met
    elif away_share(period, facts.absences, facts.holidays) > excused_share:
        outcome = Outcome.excused  # mostly not a working period for them: it does not count
    else:
        outcome = Outcome.missed
    return Result(target.id, target.metric, outcome, found.value, target.threshold,
                  list(found.evidence_ids), target.stretch, list(found.objective_ids),
                  list(found.one_to_one_ids))


@dataclass(frozen=True)
class PastResult:
    """One period's result for one target, as the facts stand now."""

    period_key: str
    period_start: date
    outcome: Outcome
    evidence_ids: tuple[int, ...] = ()
    period_end: date | None = None  # None: a one-day period (tests); sprints may overlap

    @property
    def last_day(self) -> date:
        return self.period_end or self.period_start


@dataclass(frozen=True)
class Step:
    """One step of a person's own timeline: a period, or overlapping sprints merged (a person
    in two teams lives through one stretch of time, not two)."""

    period_keys: tuple[str, ...]
    start: date
    end: date
    outcome: Outcome
    evidence_ids: tuple[int, ...]  # each record once, however many merged periods count it


def _mostly_overlap(a: PastResult, b: PastResult) -> bool:
    """Two periods are one stretch of time when they share at least half of the shorter."""
    shared = (min(a.last_day, b.last_day) - max(a.period_start, b.period_start)).days + 1
    shorter = min((a.last_day - a.period_start).days, (b.last_day - b.period_start).days) + 1
    return shared * 2 >= shorter


def timeline(results: Sequence[PastResult]) -> list[Step]:
    """Merge a person's results for one target into the steps of their own timeline.

    A period that shares at least half its days with the first period of the step before it
    joins that step (two teams' sprints of the same fortnight are one step; staggered sprints
    do not chain into one). A step is met when any of its periods was met, missed when none
    was met and one was missed, and otherwise does not count (excused or not applicable).
    Each piece of evidence appears once in a step."""
    ordered = sorted(results, key=lambda r: (r.period_start, r.last_day, r.period_key))
    groups: list[list[PastResult]] = []
    for result in ordered:
        if groups and _mostly_overlap(groups[-1][0], result):
            groups[-1].append(result)
        else:
            groups.append([result])
    steps = []
    for group in groups:
        outcomes = {r.outcome for r in group}
        outcome = (Outcome.met if Outcome.met in outcomes else Outcome.missed
                   if Outcome.missed in outcomes else Outcome.excused
                   if Outcome.excused in outcomes else Outcome.not_applicable)
        counted = [r for r in group if r.outcome is outcome]
        ids: dict[int, None] = {}
        for r in counted:
            ids.update(dict.fromkeys(r.evidence_ids))
        steps.append(Step(tuple(r.period_key for r in counted), group[0].period_start,
                          max(r.last_day for r in group), outcome, tuple(ids)))
    return steps


# A period nobody evaluated is not a miss or a success: a gap longer than a weekend between
# one step and the next breaks a run.
_GAP = timedelta(days=3)


def _counting(results: Sequence[PastResult]) -> list[Step | None]:
    """The steps that count for runs, None where a run must break, each record counted once
    in a run of successes.

    Excused and not-applicable steps neither break nor extend a run; a gap in the timeline (a
    period with no result) breaks it. A met step whose every record was already counted
    earlier in the same run (sprints that overlap a little share days) is the same work seen
    twice: it neither breaks nor extends the run either."""
    counted: list[Step | None] = []
    used: set[int] = set()
    last_end: date | None = None
    for step in timeline(results):
        if last_end is not None and step.start - last_end > _GAP:
            counted.append(None)
            used = set()
        last_end = step.end if last_end is None else max(last_end, step.end)
        if step.outcome is Outcome.missed:
            used = set()
            counted.append(step)
        elif step.outcome is Outcome.met:
            fresh = tuple(i for i in step.evidence_ids if i not in used)
            if step.evidence_ids and not fresh:
                continue
            used.update(fresh)
            counted.append(Step(step.period_keys, step.start, step.end, step.outcome, fresh))
    return counted


def missed_streak(results: Sequence[PastResult], k: int) -> list[Step] | None:
    """The run of misses ending at the latest counted step, if it is K or longer."""
    return _run(results, Outcome.missed, k)


def met_streak(results: Sequence[PastResult], n: int) -> list[Step] | None:
    """The run of successes ending at the latest counted step, if it is N or longer."""
    return _run(results, Outcome.met, n)


def _run(results: Sequence[PastResult], outcome: Outcome, length: int) -> list[Step] | None:
    run: list[Step] = []
    for step in reversed(_counting(results)):
        if step is None or step.outcome is not outcome:
            break
        run.insert(0, step)
    return run if len(run) >= length else None


def met_blocks(results: Sequence[PastResult], n: int) -> list[list[Step]]:
    """Every block of N successive met steps in the whole timeline: each run of successes of
    length L gives L // N blocks, counted from the run's first step, so the same steps always
    make the same blocks and no step is in two."""
    blocks: list[list[Step]] = []
    run: list[Step] = []
    for step in [*_counting(results), None]:
        if step is not None and step.outcome is Outcome.met:
            run.append(step)
            continue
        blocks += [run[i:i + n] for i in range(0, len(run) - n + 1, n)]
        run = []
    return blocks


def missed_runs(results: Sequence[PastResult], k: int) -> list[list[Step]]:
    """Every maximal run of K or more missed steps in the timeline."""
    runs: list[list[Step]] = []
    run: list[Step] = []
    for step in [*_counting(results), None]:
        if step is not None and step.outcome is Outcome.missed:
            run.append(step)
            continue
        if len(run) >= k:
            runs.append(run)
        run = []
    return runs


def standing_misses(results: Sequence[PastResult], k: int) -> dict[str, list[Step]]:
    """The negative triggers the facts support: for each run of K or more misses, its first K
    steps, keyed by the run's first period. A trigger stands while it names exactly these."""
    return {run[0].period_keys[0]: run[:k] for run in missed_runs(results, k)}


def all_met(results: Sequence[Result]) -> bool:
    """Every counted non-stretch result was met (and there was at least one)."""
    counted = [r for r in results if r.outcome in (Outcome.met, Outcome.missed)
               and not getattr(r, "stretch", False)]
    return bool(counted) and all(r.outcome is Outcome.met for r in counted)

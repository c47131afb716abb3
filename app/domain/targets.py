"""Evaluating targets and firing triggers: pure functions over facts the services gather.

Targets support, never punish: a missed target only ever leads to a *proposed* supportive
intervention, and stretch targets are reported but never count against anyone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from app.domain.periods import Period, working_days
from app.domain.vocabulary import EvidenceKind, Metric, Outcome, PeriodType

_EVIDENCE_METRICS: dict[Metric, EvidenceKind] = {
    Metric.tickets_done: EvidenceKind.ticket_done,
    Metric.production_changes: EvidenceKind.production_change,
    Metric.training_hours: EvidenceKind.training,
    Metric.accomplishments_logged: EvidenceKind.accomplishment,
    Metric.user_feedback_items: EvidenceKind.user_feedback,
    Metric.retro_actions_completed: EvidenceKind.retro_action,
}


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
    id: int
    band: str | None
    kind: str


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


@dataclass(frozen=True)
class Result:
    target_id: int
    metric: Metric
    outcome: Outcome
    measured: Decimal
    threshold: Decimal
    evidence_ids: list[int] = field(default_factory=list)
    stretch: bool = False


def applies(target: TargetRule, person: PersonFacts) -> bool:
    if target.bands and (person.band is None or person.band not in target.bands):
        return False
    return not (target.kinds and person.kind not in target.kinds)


def absent_share(period: Period, absences: Sequence[tuple[date, date]]) -> Decimal:
    """The share of the period's working days covered by absence."""
    days = working_days(period)
    if not days:
        return Decimal(0)
    away = sum(1 for day in days if any(start <= day <= end for start, end in absences))
    return Decimal(away) / Decimal(len(days))


def _in_period(item: EvidenceFact, period: Period) -> bool:
    # A ticket done in a Jira sprint counts in that sprint, whatever the day.
    if period.type is PeriodType.sprint and period.sprint_id is not None \
            and item.kind is EvidenceKind.ticket_done and item.sprint_id is not None:
        return item.sprint_id == period.sprint_id
    return period.contains(item.occurred_on)


def measure(metric: Metric, period: Period, facts: ActivityFacts) -> tuple[Decimal, list[int]]:
    """The figure a target is judged on, and the ids of the records behind it."""
    if metric in _EVIDENCE_METRICS:
        kind = _EVIDENCE_METRICS[metric]
        items = [e for e in facts.evidence if e.kind is kind and _in_period(e, period)]
        if metric is Metric.training_hours:
            return sum((e.hours or Decimal(0) for e in items), Decimal(0)), [e.id for e in items]
        return Decimal(len(items)), [e.id for e in items]
    if metric is Metric.one_to_ones_held:
        held = [i for i, day in facts.one_to_ones_held if period.contains(day)]
        return Decimal(len(held)), held
    if metric is Metric.objectives_completed:
        done = [i for i, quarter in facts.objectives_completed
                if period.type is PeriodType.quarter and quarter == period.key]
        return Decimal(len(done)), done
    raise ValueError(f"unknown metric {metric}")


def evaluate(target: TargetRule, person: PersonFacts, period: Period, facts: ActivityFacts,
             *, excused_share: Decimal) -> Result:
    """Judge one target for one person and period: met, missed, excused or not applicable."""
    if not applies(target, person) or target.period is not period.type:
        return Result(target.id, target.metric, Outcome.not_applicable, Decimal(0),
                      target.threshold, [], target.stretch)
    measured, ids = measure(target.metric, period, facts)
    if measured >= target.threshold:
        outcome = Outcome.met
    elif absent_share(period, facts.absences) > excused_share:
        outcome = Outcome.excused  # mostly away: the period does not count
    else:
        outcome = Outcome.missed
    return Result(target.id, target.metric, outcome, measured, target.threshold, ids,
                  target.stretch)


@dataclass(frozen=True)
class PastResult:
    period_key: str
    period_start: date
    outcome: Outcome
    evidence_ids: tuple[int, ...] = ()


def _counting(results: Sequence[PastResult]) -> list[PastResult]:
    # Excused periods neither break nor extend a run.
    ordered = sorted(results, key=lambda r: r.period_start)
    return [r for r in ordered if r.outcome in (Outcome.met, Outcome.missed)]


def missed_streak(results: Sequence[PastResult], k: int) -> list[PastResult] | None:
    """The run of misses ending at the latest counted period, if it is K or longer."""
    return _run(results, Outcome.missed, k)


def met_streak(results: Sequence[PastResult], n: int) -> list[PastResult] | None:
    """The run of successes ending at the latest counted period, if it is N or longer."""
    return _run(results, Outcome.met, n)


def _run(results: Sequence[PastResult], outcome: Outcome, length: int) -> list[PastResult] | None:
    counted = _counting(results)
    run: list[PastResult] = []
    for result in reversed(counted):
        if result.outcome is not outcome:
            break
        run.insert(0, result)
    return run if len(run) >= length else None


def all_met(results: Sequence[Result]) -> bool:
    """Every counted non-stretch result was met (and there was at least one)."""
    counted = [r for r in results if r.outcome in (Outcome.met, Outcome.missed)
               and not getattr(r, "stretch", False)]
    return bool(counted) and all(r.outcome is Outcome.met for r in counted)

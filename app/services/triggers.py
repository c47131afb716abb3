"""Triggers: rules that fire on evaluation results and on events, each recorded with the
evidence and policy version behind it, and never twice for the same facts.

A negative trigger only ever *proposes* support to the person's line manager; a positive one
becomes a recognition. Nothing here opens a formal case.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.db.growth import Evidence, Objective
from app.db.models import Person
from app.db.support import PolicyVersion, TargetResult, Trigger
from app.domain import targets as rules
from app.domain.periods import Period, quarter_containing
from app.domain.policy import Action, Actor, Record, require_scope
from app.domain.scopes import Scope
from app.domain.vocabulary import (Metric, Outcome, PeriodType, TriggerDirection,
                                   TriggerRule)
from app.services import interventions, people, policies
from app.services.pagination import Page, keyset_page

# How far back to look for runs of results (periods), beyond the longest run a policy asks.
_LOOKBACK = {PeriodType.week: 7, PeriodType.sprint: 14, PeriodType.quarter: 92}


def fire(session: Session, *, person: Person, direction: TriggerDirection, rule: TriggerRule,
         facts_key: str, summary: str, evidence_ids: Sequence[int],
         version: PolicyVersion | None, details: dict | None = None) -> Trigger | None:
    """Record a trigger once per facts; act on it (support or recognition). Returns the new
    trigger, or None when these facts had fired it already."""
    if session.exec(select(Trigger.id).where(Trigger.facts_key == facts_key)).first():
        return None
    trigger = Trigger(person_id=person.id, direction=direction.value, rule=rule.value,  # type: ignore[arg-type]
                      policy_version_id=version.id if version else None,
                      evidence_ids=list(evidence_ids), facts_key=facts_key, summary=summary,
                      details=details or {})
    try:
        with session.begin_nested():
            session.add(trigger)
    except IntegrityError:
        return None  # a concurrent evaluation recorded the same facts first
    if direction is TriggerDirection.negative:
        interventions.propose_support(session, trigger=trigger, person=person)
    else:
        interventions.recognise(session, trigger=trigger, person=person)
    return trigger


def on_objective_completed(session: Session, *, objective: Objective, owner: Person) -> None:
    fire(session, person=owner, direction=TriggerDirection.positive,
         rule=TriggerRule.objective_completed, facts_key=f"objective-completed:{objective.id}",
         summary=f"completed the objective “{objective.title}” ({objective.quarter})",
         evidence_ids=[], version=policies.in_force(session, date.today()),
         details={"objective_id": objective.id, "quarter": objective.quarter,
                  "twenty_percent_time": objective.twenty_percent_time})


def on_qualification(session: Session, *, evidence: Evidence, person: Person) -> None:
    fire(session, person=person, direction=TriggerDirection.positive,
         rule=TriggerRule.qualification_obtained, facts_key=f"qualification:{evidence.id}",
         summary=f"obtained a qualification: {evidence.title}", evidence_ids=[evidence.id],  # type: ignore[list-item]
         version=policies.in_force(session, evidence.occurred_on))


def after_evaluation(session: Session, *, version: PolicyVersion, period: Period,
                     people: list[Person]) -> None:
    """Fire what this period's results (and the runs they end) call for."""
    if not people:
        return
    ids = [p.id for p in people]
    longest = max(version.missed_streak_periods, version.production_streak_sprints) + 2
    since = period.start - timedelta(days=_LOOKBACK[period.type] * longest)
    if period.type is PeriodType.quarter:
        since = min(since, period.start)
    rows = list(session.exec(select(TargetResult).where(
        TargetResult.person_id.in_(ids), TargetResult.period_start >= since,  # type: ignore[attr-defined]
        TargetResult.period_start <= period.start)))
    by_person: dict[int, list[TargetResult]] = defaultdict(list)
    for row in rows:
        by_person[row.person_id].append(row)
    # Every result inside the quarter (its weeks and sprints too), for everyone at once: one
    # statement, not one a person.
    in_quarter: dict[int, list[TargetResult]] = defaultdict(list)
    quarter = quarter_containing(period.start)
    if period.type is PeriodType.quarter:
        for row in session.exec(select(TargetResult).where(
                TargetResult.person_id.in_(ids), TargetResult.period_start >= quarter.start,  # type: ignore[attr-defined]
                TargetResult.period_end <= quarter.end)):
            in_quarter[row.person_id].append(row)
    for person in people:
        mine = by_person[person.id]  # type: ignore[index]
        _missed_streaks(session, version, period, person, mine)
        if period.type is PeriodType.sprint:
            _production_streak(session, version, person, mine)
        if period.type is PeriodType.quarter:
            _quarter_all_met(session, version, quarter, person,
                             in_quarter[person.id])  # type: ignore[index]


def _past(rows: list[TargetResult]) -> list[rules.PastResult]:
    return [rules.PastResult(r.period_key, r.period_start, Outcome(r.outcome),
                             tuple(r.evidence_ids)) for r in rows]


def _missed_streaks(session: Session, version: PolicyVersion, period: Period, person: Person,
                    rows: list[TargetResult]) -> None:
    series: dict[str, list[TargetResult]] = defaultdict(list)
    for row in rows:
        if row.period_type == period.type.value and not row.stretch:
            series[row.metric].append(row)
    for metric, results in series.items():
        if not any(r.period_key == period.key for r in results):
            continue
        run = rules.missed_streak(_past(results), version.missed_streak_periods)
        if run is None or run[-1].period_key != period.key:
            continue
        what = metric.replace("_", " ")
        fire(session, person=person, direction=TriggerDirection.negative,
             rule=TriggerRule.target_missed_streak,
             facts_key=f"missed:{person.id}:{metric}:{period.type.value}:{run[0].period_key}",
             summary=f"{what[0].upper()}{what[1:]} under target for {len(run)} "
                     f"{period.type.value}s running ({run[0].period_key} to {run[-1].period_key})",
             evidence_ids=[i for r in run for i in r.evidence_ids], version=version,
             details={"metric": metric, "period_type": period.type.value,
                      "periods": [r.period_key for r in run]})


def _production_streak(session: Session, version: PolicyVersion, person: Person,
                       rows: list[TargetResult]) -> None:
    results = [r for r in rows if r.period_type == PeriodType.sprint.value
               and r.metric == Metric.production_changes.value]
    run = rules.met_streak(_past(results), version.production_streak_sprints)
    if run is None:
        return
    # One trigger per N sprints shipped: a run of 2N fires twice, never more for the same sprints.
    n = version.production_streak_sprints
    block = run[(len(run) // n - 1) * n:(len(run) // n) * n]
    fire(session, person=person, direction=TriggerDirection.positive,
         rule=TriggerRule.production_streak,
         facts_key=f"prod-streak:{person.id}:{block[0].period_key}",
         summary=f"shipped to production {n} sprints in a row", version=version,
         evidence_ids=[i for r in block for i in r.evidence_ids],
         details={"sprints": [r.period_key for r in block]})


def _quarter_all_met(session: Session, version: PolicyVersion, quarter: Period, person: Person,
                     rows: list[TargetResult]) -> None:
    person_id = person.id
    results = [rules.Result(r.target_id, Metric(r.metric), Outcome(r.outcome), r.measured,
                            r.threshold, r.evidence_ids, r.stretch) for r in rows]
    if not rules.all_met(results):
        return
    fire(session, person=person, direction=TriggerDirection.positive,
         rule=TriggerRule.quarter_all_met, facts_key=f"quarter-all-met:{person_id}:{quarter.key}",
         summary=f"met every target in {quarter.key}", version=version,
         evidence_ids=sorted({i for r in rows for i in r.evidence_ids}),
         details={"quarter": quarter.key})


def list_triggers(session: Session, actor: Actor, *, person_id: int | None,
                  direction: TriggerDirection | None, cursor: str | None,
                  limit: int) -> Page[Trigger]:
    """A person's triggers (the caller's own by default)."""
    require_scope(actor, Scope.growth)
    subject = people.subject_for(session, actor, person_id, record=Record.target_result,
                                 action=Action.read)
    stmt = select(Trigger).where(Trigger.person_id == subject.id)
    if direction is not None:
        stmt = stmt.where(Trigger.direction == direction.value)
    return keyset_page(session, stmt, Trigger.id, cursor=cursor, limit=limit)

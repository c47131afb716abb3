"""Triggers: rules that fire on evaluation results and on events, each recorded with the
evidence and policy version behind it, and never twice for the same facts.

A negative trigger only ever *proposes* support to the person's line manager; a positive one
becomes a recognition. Nothing here opens a formal case. A trigger whose facts no longer hold
(results re-run on changed facts, an objective reopened, evidence deleted) is *withdrawn*:
kept, with when and why, and its proposed support and recognitions are withdrawn with it.
Should the same facts hold again, the same trigger is reinstated.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Select, or_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from app.db.growth import Evidence, Objective
from app.db.models import Person, id_column, id_of
from app.db.support import PolicyVersion, TargetResult, Trigger
from app.db.types import utcnow
from app.domain import targets as rules
from app.domain.periods import Period, quarter_containing
from app.domain.quarters import MIN_YEAR
from app.domain.access import Action, Actor, Record, require_scope
from app.domain.scopes import Scope
from app.domain.vocabulary import (Metric, Outcome, PeriodType, TriggerDirection,
                                   TriggerRule)
from app.services.org import people
from app.services.support import interventions, policies
from app.services.kit.pagination import Page, keyset_page

# How far back to look for runs of results (periods), beyond the longest run a policy asks.
_LOOKBACK = {PeriodType.week: 7, PeriodType.sprint: 14, PeriodType.quarter: 92}
# Facts keys looked up at once (well inside every database's limit on bound parameters).
_CHUNK = 500


@dataclass(frozen=True)
class Firing:
    """A rule the facts call for, about one person, before it is recorded."""

    person: Person
    direction: TriggerDirection
    rule: TriggerRule
    facts_key: str
    summary: str
    evidence_ids: Sequence[int] = ()
    objective_ids: Sequence[int] = ()
    version: PolicyVersion | None = None
    details: dict = field(default_factory=dict)


def fire(session: Session, *, person: Person, direction: TriggerDirection, rule: TriggerRule,
         facts_key: str, summary: str, evidence_ids: Sequence[int],
         version: PolicyVersion | None, details: dict | None = None,
         objective_ids: Sequence[int] = ()) -> None:
    """Record a trigger once per facts and act on it (support or recognition)."""
    fire_all(session, [Firing(person, direction, rule, facts_key, summary, evidence_ids,
                              objective_ids, version, details or {})])


def fire_all(session: Session, firings: Sequence[Firing]) -> None:
    """Record each trigger the facts call for, once per facts, and act on the new ones, in a
    fixed number of statements however many there are. A trigger withdrawn before whose facts
    hold again is reinstated; one recorded already (by this run, an earlier one, or a
    concurrent evaluation) is left as it is."""
    wanted = {f.facts_key: f for f in firings}  # the same facts twice in one run: once
    if not wanted:
        return
    existing: dict[str, Trigger] = {}
    keys = list(wanted)
    for i in range(0, len(keys), _CHUNK):
        for trigger in session.exec(select(Trigger).where(
                col(Trigger.facts_key).in_(keys[i:i + _CHUNK]))):
            existing[trigger.facts_key] = trigger
    for key, trigger in existing.items():
        if trigger.withdrawn_at is not None:
            f = wanted[key]
            _reinstate(session, trigger, f.person, summary=f.summary,
                       evidence_ids=f.evidence_ids, objective_ids=f.objective_ids,
                       details=f.details)
    new = [f for key, f in wanted.items() if key not in existing]
    if not new:
        return
    now = utcnow()
    rows = [dict(person_id=f.person.id, direction=f.direction.value, rule=f.rule.value,
                 policy_version_id=f.version.id if f.version else None,
                 evidence_ids=list(dict.fromkeys(f.evidence_ids)),
                 objective_ids=list(dict.fromkeys(f.objective_ids)), facts_key=f.facts_key,
                 summary=f.summary, details=f.details, fired_at=now, withdrawn_at=None,
                 withdrawn_reason=None) for f in new]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    recorded = session.execute(
        insert(Trigger).on_conflict_do_nothing(index_elements=["facts_key"])
        .returning(id_column(Trigger.id), col(Trigger.facts_key)), rows).all()
    interventions.act_on(session, [
        interventions.Fired(trigger_id, id_of(wanted[key].person),
                            wanted[key].person.line_manager_id, wanted[key].direction,
                            wanted[key].summary, wanted[key].details)
        for trigger_id, key in recorded], now=now)


def withdraw(session: Session, trigger: Trigger, *, reason: str,
             now: datetime | None = None) -> None:
    """Withdraw a trigger whose facts no longer hold, and what it proposed or recognised."""
    if trigger.withdrawn_at is not None:
        return
    now = now or utcnow()
    trigger.withdrawn_at, trigger.withdrawn_reason = now, reason
    session.add(trigger)
    interventions.on_trigger_withdrawn(session, trigger=trigger, reason=reason, now=now)


def _reinstate(session: Session, trigger: Trigger, person: Person, *, summary: str,
               evidence_ids: Sequence[int], objective_ids: Sequence[int],
               details: dict) -> Trigger:
    history = list(trigger.details.get("withdrawals", []))
    assert trigger.withdrawn_at is not None  # only a withdrawn trigger is reinstated
    history.append({"withdrawn_at": trigger.withdrawn_at.isoformat(),
                    "reason": trigger.withdrawn_reason, "reinstated_at": utcnow().isoformat(),
                    "stood_on": {k: v for k, v in trigger.details.items()
                                 if k != "withdrawals"}})
    trigger.details = {**details, "withdrawals": history}
    trigger.summary = summary
    trigger.evidence_ids = list(dict.fromkeys(evidence_ids))
    trigger.objective_ids = list(dict.fromkeys(objective_ids))
    trigger.withdrawn_at, trigger.withdrawn_reason = None, None
    session.add(trigger)
    interventions.on_trigger_reinstated(session, trigger=trigger, person=person)
    return trigger


def _withdraw_key(session: Session, facts_key: str, reason: str) -> None:
    found = session.exec(select(Trigger).where(Trigger.facts_key == facts_key)).first()
    if found is not None:
        withdraw(session, found, reason=reason)


def on_objective_completed(session: Session, *, objective: Objective, owner: Person) -> None:
    fire(session, person=owner, direction=TriggerDirection.positive,
         rule=TriggerRule.objective_completed, facts_key=f"objective-completed:{objective.id}",
         summary=f"completed the objective “{objective.title}” ({objective.quarter})",
         evidence_ids=[], objective_ids=[id_of(objective)],
         version=policies.in_force(session, date.today()),
         details={"objective_id": objective.id, "quarter": objective.quarter,
                  "twenty_percent_time": objective.twenty_percent_time})


def on_objective_reopened(session: Session, *, objective: Objective, reason: str) -> None:
    """A reopened objective is no longer completed: its recognition no longer stands."""
    _withdraw_key(session, f"objective-completed:{objective.id}",
                  f"the objective was reopened: {reason}")


def on_qualification(session: Session, *, evidence: Evidence, person: Person) -> None:
    fire(session, person=person, direction=TriggerDirection.positive,
         rule=TriggerRule.qualification_obtained, facts_key=f"qualification:{evidence.id}",
         summary=f"obtained a qualification: {evidence.title}", evidence_ids=[id_of(evidence)],
         version=policies.in_force(session, evidence.occurred_on))


def on_qualification_gone(session: Session, *, evidence: Evidence, why: str) -> None:
    """The qualification's evidence was deleted, retracted or changed into something else."""
    _withdraw_key(session, f"qualification:{evidence.id}", f"its evidence was {why}")


def after_evaluation(session: Session, *, version: PolicyVersion, period: Period,
                     people: list[Person], today: date, who: Select | None = None) -> None:
    """Withdraw what this period's results no longer support, then fire what they (and the
    runs they end) call for. People who have left are no longer sent support."""
    if not people:
        return
    ids = [id_of(p) for p in people]
    among = ids if who is None else who  # a subquery reads better than thousands of ids
    longest = max(version.missed_streak_periods, version.production_streak_sprints) + 2
    reach = timedelta(days=_LOOKBACK[period.type] * longest)
    by_person = _results_around(session, ids, among, period, reach)
    # Shipping streaks run over each person's whole sprint timeline, so that the same sprints
    # always make the same blocks; quarters look at every result inside them.
    shipped: dict[int, list[TargetResult]] = defaultdict(list)
    if period.type is PeriodType.sprint:
        for row in session.exec(select(TargetResult).where(
                col(TargetResult.person_id).in_(among),
                TargetResult.period_type == PeriodType.sprint.value,
                TargetResult.metric == Metric.production_changes.value)):
            shipped[row.person_id].append(row)
    quarters = {quarter_containing(period.start).key: quarter_containing(period.start),
                quarter_containing(period.end).key: quarter_containing(period.end)}
    in_quarter: dict[tuple[int, str], list[TargetResult]] = defaultdict(list)
    for quarter in quarters.values():
        for row in session.exec(select(TargetResult).where(
                col(TargetResult.person_id).in_(among), TargetResult.period_start >= quarter.start,
                TargetResult.period_end <= quarter.end)):
            in_quarter[(row.person_id, quarter.key)].append(row)
    live = _live_triggers(session, among)
    pending: list[Firing] = []
    for person in people:
        mine = live[id_of(person)]
        employed = person.left_on is None or person.left_on >= today
        _missed_streaks(session, version, period, person, by_person[id_of(person)], mine,
                        pending if employed else None)
        if period.type is PeriodType.sprint:
            _production_streaks(session, version, person, shipped[id_of(person)], mine,
                                pending if employed else None)
        for quarter in quarters.values():
            _quarter_all_met(session, version, quarter, person, period,
                             in_quarter[(id_of(person), quarter.key)], mine,
                             pending if employed else None)
    fire_all(session, pending)


def _results_around(session: Session, ids: list[int], among: list[int] | Select,
                    period: Period, reach: timedelta) -> dict[int, list[TargetResult]]:
    """Each person's results of this kind of period around it; further back, for whoever's
    earliest loaded result was a miss, until the run of misses it belongs to starts (so a run
    is named by its real first period, whichever period is being evaluated)."""
    by_person: dict[int, list[TargetResult]] = defaultdict(list)
    lower, upper, wanted = period.start - reach, period.end + reach, ids
    while wanted:
        rows = list(session.exec(select(TargetResult).where(
            col(TargetResult.person_id).in_(among if wanted is ids else wanted),
            TargetResult.period_type == period.type.value, TargetResult.period_start >= lower,
            TargetResult.period_start <= upper)))
        for row in rows:
            by_person[row.person_id].append(row)
        reaching_back = {p for p in wanted if _may_start_earlier(by_person[p])}
        if not reaching_back or lower.year <= MIN_YEAR:
            break
        wanted = sorted(reaching_back)
        upper = lower - timedelta(days=1)
        lower = lower - reach * 4
        if not session.exec(select(TargetResult.id).where(
                col(TargetResult.person_id).in_(wanted),
                TargetResult.period_type == period.type.value,
                TargetResult.period_start <= upper).limit(1)).first():
            break
    return by_person


def _may_start_earlier(rows: list[TargetResult]) -> bool:
    """Whether a run of misses may begin before the earliest of these results: the earliest
    that counts is a miss, or none counts yet."""
    counted = [r for r in rows if _current(r) in (Outcome.met, Outcome.missed)]
    if not counted:
        return bool(rows)
    earliest = min(r.period_start for r in counted)
    return any(r.period_start == earliest and _current(r) is Outcome.missed for r in counted)


def _live_triggers(session: Session, ids: list[int] | Select) -> dict[int, list[Trigger]]:
    found: dict[int, list[Trigger]] = defaultdict(list)
    for trigger in session.exec(select(Trigger).where(
            col(Trigger.person_id).in_(ids), col(Trigger.withdrawn_at).is_(None),
            or_(col(Trigger.rule) == TriggerRule.target_missed_streak.value,
                col(Trigger.rule) == TriggerRule.production_streak.value,
                col(Trigger.rule) == TriggerRule.quarter_all_met.value))):
        found[trigger.person_id].append(trigger)
    return found


def _current(row: TargetResult) -> Outcome:
    # A closed result's correction says what it is on today's facts.
    return Outcome(row.correction["outcome"] if row.correction else row.outcome)


def _current_ids(row: TargetResult) -> tuple[int, ...]:
    return tuple((row.correction or {}).get("evidence_ids", row.evidence_ids))


def _past(rows: list[TargetResult]) -> list[rules.PastResult]:
    return [rules.PastResult(r.period_key, r.period_start, _current(r), _current_ids(r),
                             r.period_end) for r in rows]


def _missed_streaks(session: Session, version: PolicyVersion, period: Period, person: Person,
                    rows: list[TargetResult], live: list[Trigger],
                    pending: list[Firing] | None) -> None:
    """Runs of K misses of one target, over the periods around this one: a trigger stands
    while its K periods are still the start of such a run on today's facts; a run that
    includes this period and has no trigger fires one."""
    series: dict[str, list[TargetResult]] = defaultdict(list)
    for row in rows:
        if not row.stretch:
            series[row.metric].append(row)
    k = version.missed_streak_periods
    for trigger in live:  # a run whose periods have no results left is looked at too
        if trigger.rule == TriggerRule.target_missed_streak.value \
                and trigger.details.get("period_type") == period.type.value:
            series.setdefault(str(trigger.details.get("metric")), [])
    for metric, results in series.items():
        past = _past(results)
        standing = rules.standing_misses(past, k)
        seen = {r.period_key for r in results}
        current = {r.period_key: r.outcome for r in past}
        for trigger in live:
            named = trigger.details.get("periods") or []
            if trigger.rule != TriggerRule.target_missed_streak.value \
                    or trigger.details.get("metric") != metric \
                    or trigger.details.get("period_type") != period.type.value \
                    or not named or not (period.key in named or set(named) <= seen):
                continue  # its periods are not all in view: a run about them decides
            steps = standing.get(named[0])
            if steps is None or [key for s in steps for key in s.period_keys] != named:
                changed = [key for key in named if current.get(key) is not Outcome.missed]
                withdraw(session, trigger, reason="the facts changed: " + (
                    ", ".join(f"{key} is now {current.get(key, Outcome.not_applicable).value}"
                              for key in changed) if changed
                    else "those periods are no longer the start of a run of misses"))
        if pending is None:
            continue
        for run in rules.missed_runs(past, k):
            if not any(period.key in step.period_keys for step in run):
                continue
            first, steps = run[0].period_keys[0], run[:k]
            keys = [key for step in steps for key in step.period_keys]
            what = metric.replace("_", " ")
            pending.append(Firing(
                person, TriggerDirection.negative, TriggerRule.target_missed_streak,
                facts_key=f"missed:{person.id}:{metric}:{period.type.value}:{first}",
                summary=f"{what[0].upper()}{what[1:]} under target for {len(steps)} "
                        f"{period.type.value}s running ({keys[0]} to {keys[-1]})",
                evidence_ids=[i for step in steps for i in step.evidence_ids],
                version=version, details={"metric": metric, "period_type": period.type.value,
                                          "periods": keys, "steps": len(steps)}))


def _production_streaks(session: Session, version: PolicyVersion, person: Person,
                        rows: list[TargetResult], live: list[Trigger],
                        pending: list[Firing] | None) -> None:
    """One recognition per N steps shipped in a row on the person's own sprint timeline
    (overlapping sprints of two teams are one step); withdrawn when the block is gone."""
    n = version.production_streak_sprints
    blocks = {f"prod-streak:{person.id}:{block[0].period_keys[0]}": block
              for block in rules.met_blocks(_past(rows), n)}
    for trigger in live:
        if trigger.rule == TriggerRule.production_streak.value \
                and trigger.facts_key not in blocks:
            withdraw(session, trigger, reason="the facts changed: those sprints no longer "
                                              f"make {n} in a row with a change shipped")
    if pending is None:
        return
    for key, block in blocks.items():
        pending.append(Firing(
            person, TriggerDirection.positive, TriggerRule.production_streak, facts_key=key,
            summary=f"shipped to production {n} sprints in a row", version=version,
            evidence_ids=[i for step in block for i in step.evidence_ids],
            details={"sprints": [k for step in block for k in step.period_keys]}))


def _quarter_all_met(session: Session, version: PolicyVersion, quarter: Period, person: Person,
                     period: Period, rows: list[TargetResult], live: list[Trigger],
                     pending: list[Firing] | None) -> None:
    results = [rules.Result(r.target_id, Metric(r.metric), _current(r), r.measured,
                            r.threshold, list(_current_ids(r)), r.stretch) for r in rows]
    key = f"quarter-all-met:{person.id}:{quarter.key}"
    if not rules.all_met(results):
        for trigger in live:
            if trigger.facts_key == key:
                withdraw(session, trigger, reason=f"the facts changed: not every target in "
                                                  f"{quarter.key} is met any more")
        return
    if pending is None or period.type is not PeriodType.quarter or period.key != quarter.key:
        return  # fired when the quarter itself is evaluated
    pending.append(Firing(
        person, TriggerDirection.positive, TriggerRule.quarter_all_met, facts_key=key,
        summary=f"met every target in {quarter.key}", version=version,
        evidence_ids=sorted({i for r in results for i in r.evidence_ids}),
        objective_ids=sorted({i for r in rows for i in (
            (r.correction or {}).get("objective_ids", r.objective_ids))}),
        details={"quarter": quarter.key}))


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

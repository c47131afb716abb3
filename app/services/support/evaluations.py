"""Evaluating a period: everyone employed for the whole of it whom a target applies to, with
the band, kind and teams they had then, under the policy in force.

Only a period that has ended (in the department's time zone) is evaluated. Re-running an open
evaluation recomputes it from the facts as they stand (the same facts give the same results);
re-running a closed one leaves its results as decided and records beside each what it would
be now (a correction). Either way, any trigger that no longer stands on the facts is withdrawn.
Two evaluations of one period at once queue on the evaluation's row, so nothing is doubled.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Select, delete, func, insert, or_
from sqlalchemy import select as core_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from app.db.growth import Evidence, Objective, OneToOne
from app.db.models import Absence, BandPeriod, Person, TeamMembership, id_column, id_of
from app.db.support import Evaluation, PolicyTarget, PolicyVersion, TargetResult
from app.db.types import utcnow
from app.domain import targets as rules
from app.domain.employment import Dated, Span, as_of
from app.domain.errors import Conflict, NotFound, RuleViolation
from app.domain.periods import Period
from app.domain.access import Action, Actor, Record, authorize, require_scope
from app.domain.scopes import Scope
from app.domain.vocabulary import EvidenceKind, Metric, ObjectiveStatus, Outcome, PeriodType
from app.services.org import people, periods
from app.services.support import policies, triggers
from app.services.kit.pagination import Page, keyset_page
from app.services.access.relationships import relations_to
from app.services.kit.working_calendar import DepartmentCalendar


@dataclass(frozen=True)
class EvaluationView:
    evaluation: Evaluation
    counts: dict[str, int]
    corrected: int = 0  # closed evaluations: results the facts have since changed


def _claim(session: Session, period: Period, version_id: int) -> Evaluation:
    """Get the period's evaluation row, creating it once, and hold it for this transaction."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(Evaluation).values(
        period_type=period.type.value, period_key=period.key, period_start=period.start,
        period_end=period.end, policy_version_id=version_id, status="open", runs=0)
        .on_conflict_do_nothing(index_elements=["period_type", "period_key"]))
    stmt = select(Evaluation).where(Evaluation.period_type == period.type.value,
                                    Evaluation.period_key == period.key)
    if dialect == "postgresql":
        stmt = stmt.with_for_update()
    return session.exec(stmt.execution_options(populate_existing=True)).one()


def _employed_during(period: Period) -> Select:
    """The ids of everyone employed on at least one day of the period (in the team, for a
    team's sprint, on at least one of its days): who is judged is decided per person after.
    Queries filter by this subquery rather than by a list of thousands of ids."""
    stmt = select(Person.id).where(Person.started_on <= period.end,
                                   or_(col(Person.left_on).is_(None),
                                       col(Person.left_on) >= period.start))
    if period.type is PeriodType.sprint and period.team_id is not None:
        stmt = stmt.where(col(Person.id).in_(select(TeamMembership.person_id).where(
            TeamMembership.team_id == period.team_id, TeamMembership.started_on <= period.end,
            or_(col(TeamMembership.ended_on).is_(None),
                col(TeamMembership.ended_on) >= period.start))))
    return stmt


def _people(session: Session, who: Select) -> list[Person]:
    return list(session.exec(select(Person).where(col(Person.id).in_(who))
                             .order_by(col(Person.id))))


def _as_they_were(session: Session, everyone: list[Person], period: Period,
                  who: Select) -> dict[int, rules.PersonFacts]:
    """Each person with the band and kind they had when the period began, and the part of the
    period they were employed for (in the team too, for a team's sprint)."""
    history: dict[int, list[Dated[tuple[str | None, str]]]] = defaultdict(list)
    for row in session.exec(select(BandPeriod).where(col(BandPeriod.person_id).in_(who))):
        history[row.person_id].append(Dated(Span(row.started_on, row.ended_on),
                                            (row.band, row.kind)))
    in_team: dict[int, list[Span]] = defaultdict(list)
    if period.type is PeriodType.sprint and period.team_id is not None:
        for m in session.exec(select(TeamMembership).where(
                TeamMembership.team_id == period.team_id, col(TeamMembership.person_id).in_(who))):
            in_team[m.person_id].append(Span(m.started_on, m.ended_on))
    found = {}
    for person in everyone:
        band, kind = as_of(history[id_of(person)], max(period.start, person.started_on)) \
            or (person.band, person.kind)
        window = Span(person.started_on, person.left_on)
        if period.type is PeriodType.sprint and period.team_id is not None \
                and not any(span.covers(period) for span in in_team[id_of(person)]):
            window = Span(period.end + timedelta(days=1))  # not in the team for all of it
        found[id_of(person)] = rules.PersonFacts(id_of(person), band, kind, window)
    return found


def _facts(session: Session, people: list[int], who: Select, period: Period,
           holidays: frozenset, metrics: set[Metric]) -> dict[int, rules.ActivityFacts]:
    """What the period's targets count, for everyone at once (a fixed number of queries):
    only the kinds of evidence some target counts (a quarter's targets count none)."""
    # Tickets done in a Jira sprint count in it whatever their day, so look wider for sprints.
    margin = timedelta(days=60 if period.type is PeriodType.sprint else 0)
    evidence: dict[int, list[rules.EvidenceFact]] = defaultdict(list)
    kinds = [counted.value for m in metrics if (counted := rules.evidence_kind(m))]
    # The columns evaluation counts, not whole records: no objects to build and track.
    for evidence_id, person_id, kind, occurred_on, hours, details in session.execute(
            core_select(id_column(Evidence.id), col(Evidence.person_id), col(Evidence.kind),
                        col(Evidence.occurred_on), col(Evidence.hours),
                        col(Evidence.details)).where(
            col(Evidence.person_id).in_(who), col(Evidence.retracted_at).is_(None),
            col(Evidence.kind).in_(kinds),
            col(Evidence.occurred_on) >= period.start - margin,
            col(Evidence.occurred_on) <= period.end + margin)) if kinds else ():
        sprint = (details or {}).get("sprint") or {}
        evidence[person_id].append(rules.EvidenceFact(
            evidence_id, EvidenceKind(kind), occurred_on,
            Decimal(str(hours)) if hours is not None else None,
            sprint.get("id") if isinstance(sprint.get("id"), int) else None))
    held: dict[int, list[tuple[int, date]]] = defaultdict(list)
    if Metric.one_to_ones_held in metrics:
        for o in session.exec(select(OneToOne).where(
                col(OneToOne.person_id).in_(who), col(OneToOne.status) == "held",
                OneToOne.on >= period.start, OneToOne.on <= period.end)):
            held[o.person_id].append((id_of(o), o.on))
    done: dict[int, list[tuple[int, str]]] = defaultdict(list)
    if period.type is PeriodType.quarter and Metric.objectives_completed in metrics:
        for objective in session.exec(select(Objective).where(
                col(Objective.person_id).in_(who), col(Objective.quarter) == period.key,
                Objective.status == ObjectiveStatus.completed.value,
                col(Objective.twenty_percent_time).is_(True))):
            done[objective.person_id].append((id_of(objective), objective.quarter))
    away: dict[int, list[tuple[date, date]]] = defaultdict(list)
    for a in session.exec(select(Absence).where(
            col(Absence.person_id).in_(who), col(Absence.confirmed_at).is_not(None),
            Absence.start_date <= period.end,
            Absence.end_date >= period.start)):
        away[a.person_id].append((a.start_date, a.end_date))
    return {i: rules.ActivityFacts(evidence[i], held[i], done[i], away[i],
                                   holidays) for i in people}


def _rule(target: PolicyTarget) -> rules.TargetRule:
    return rules.TargetRule(id=id_of(target), metric=Metric(target.metric),
                            period=PeriodType(target.period),
                            threshold=Decimal(str(target.threshold)),
                            bands=frozenset(target.bands), kinds=frozenset(target.kinds),
                            stretch=target.stretch)


def evaluate(session: Session, actor: Actor, *, period_type: PeriodType, period_key: str,
             calendar: DepartmentCalendar) -> EvaluationView:
    """Evaluate (or re-evaluate) a period and fire or withdraw the triggers its results call
    for."""
    require_scope(actor, Scope.evaluations)
    return run(session, period_type=period_type, period_key=period_key, calendar=calendar)


def run(session: Session, *, period_type: PeriodType, period_key: str,
        calendar: DepartmentCalendar) -> EvaluationView:
    """The evaluation itself, for the API and for `gps evaluate`."""
    period = periods.resolve(session, period_type, period_key)
    today = calendar.today()
    if not period.has_ended(today):
        raise RuleViolation(
            detail=f"{period.type.value} {period.key} ends on {period.end.isoformat()}: nobody "
                   f"is judged on a period that has not ended. Evaluate it from "
                   f"{(period.end + timedelta(days=1)).isoformat()}.",
            rule="PERIOD-NOT-ENDED",
            extra={"field": "period_key", "ends_on": period.end.isoformat()})
    version = policies.in_force(session, period.start)
    if version is None:
        raise RuleViolation(detail=f"No policy version is in force on "
                                   f"{period.start.isoformat()}.", rule="POLICY-IN-FORCE")
    evaluation = _claim(session, period, id_of(version))
    closed = evaluation.status == "closed"
    if closed:  # judged as decided then: the version it was closed under
        version = session.get(PolicyVersion, evaluation.policy_version_id) or version
    elif evaluation.policy_version_id != version.id:
        evaluation.policy_version_id = id_of(version)
    targets = [_rule(t) for t in policies.targets_of(session, [id_of(version)])[id_of(version)]
               if t.period == period.type.value]
    who = _employed_during(period)
    everyone = _people(session, who)
    facts = _facts(session, [id_of(p) for p in everyone], who, period,
                   calendar.holidays(period.start, period.end), {t.metric for t in targets})
    subjects = _as_they_were(session, everyone, period, who)
    results: list[dict] = []
    for person in everyone:
        subject = subjects[id_of(person)]
        for target in targets:
            r = rules.evaluate(target, subject, period, facts[id_of(person)],
                               excused_share=Decimal(str(version.excused_share)))
            if r.outcome is Outcome.not_applicable and not rules.applies(target, subject):
                continue  # the target is not for this person: no row
            results.append(dict(
                evaluation_id=evaluation.id, person_id=person.id, target_id=target.id,
                policy_version_id=version.id, metric=target.metric.value, stretch=r.stretch,
                period_type=period.type.value, period_key=period.key,
                period_start=period.start, period_end=period.end, outcome=r.outcome.value,
                measured=r.measured, threshold=r.threshold, evidence_ids=r.evidence_ids,
                objective_ids=r.objective_ids, one_to_one_ids=r.one_to_one_ids))
    # Whoever this period judged before but no longer does (their employment changed): their
    # triggers are looked at again too.
    gone = list(session.exec(select(Person).where(
        col(Person.id).in_(select(TargetResult.person_id).where(
            TargetResult.evaluation_id == evaluation.id)), col(Person.id).not_in(who))))
    if closed:
        _record_corrections(session, evaluation, results)
    else:
        session.execute(delete(TargetResult).where(
            col(TargetResult.evaluation_id) == evaluation.id))
        if results:  # one statement (executemany), however many people
            session.execute(insert(TargetResult), results)
    evaluation.runs += 1
    evaluation.evaluated_at = utcnow()
    evaluation.stale_since = None
    session.add(evaluation)
    session.flush()
    triggers.after_evaluation(session, version=version, period=period,
                              people=everyone + gone,
                              who=who if not gone else None, today=today)
    return _views(session, [evaluation])[0]


_COMPARED = ("outcome", "measured", "evidence_ids", "objective_ids", "one_to_one_ids")


def _record_corrections(session: Session, evaluation: Evaluation, results: list[dict]) -> None:
    """Leave a closed evaluation's results as decided; note beside each one what it would be
    on today's facts, or clear the note when the facts agree again."""
    now = {(r["person_id"], r["target_id"]): r for r in results}
    for row in session.exec(select(TargetResult).where(
            TargetResult.evaluation_id == evaluation.id)):
        fresh = now.get((row.person_id, row.target_id)) or dict(
            outcome=Outcome.not_applicable.value, measured=Decimal(0), evidence_ids=[],
            objective_ids=[], one_to_one_ids=[])
        differs = (fresh["outcome"] != row.outcome
                   or Decimal(str(fresh["measured"])) != Decimal(str(row.measured))
                   or any(list(fresh[k]) != list(getattr(row, k)) for k in _COMPARED[2:]))
        correction = None
        if differs:
            correction = {k: fresh[k] for k in _COMPARED}
            correction["measured"] = float(fresh["measured"])
            previous = row.correction or {}
            same = {k: v for k, v in previous.items() if k != "at"} == correction
            correction["at"] = previous["at"] if same else utcnow().isoformat()
        if correction != row.correction:
            row.correction = correction
            session.add(row)


def close(session: Session, actor: Actor, evaluation_id: int) -> EvaluationView:
    """Close an evaluation: its results are frozen, and so is the policy version it used."""
    require_scope(actor, Scope.evaluations)
    evaluation = _get(session, evaluation_id)
    if evaluation.status == "closed":
        raise Conflict(detail="This evaluation is already closed.", code="evaluation-closed")
    evaluation.status, evaluation.closed_at = "closed", utcnow()
    version = session.get(PolicyVersion, evaluation.policy_version_id)
    if version is not None and version.locked_at is None:
        version.locked_at = evaluation.closed_at
        session.add(version)
    session.add(evaluation)
    session.flush()
    return view(session, actor, evaluation_id)


def _get(session: Session, evaluation_id: int) -> Evaluation:
    evaluation = session.get(Evaluation, evaluation_id)
    if evaluation is None:
        raise NotFound(detail=f"No evaluation with id {evaluation_id}.")
    return evaluation


def _views(session: Session, evaluations: list[Evaluation]) -> list[EvaluationView]:
    """Evaluations with their results counted by outcome: one statement for a whole page."""
    ids = [id_of(e) for e in evaluations]
    counts: dict[int, dict[str, int]] = {i: {o.value: 0 for o in Outcome} for i in ids}
    corrected: dict[int, int] = defaultdict(int)
    if ids:
        for evaluation_id, outcome, fixed, n in session.exec(
                select(TargetResult.evaluation_id, TargetResult.outcome,
                       col(TargetResult.correction).is_not(None), func.count())
                .where(col(TargetResult.evaluation_id).in_(ids))
                .group_by(col(TargetResult.evaluation_id), col(TargetResult.outcome),
                          col(TargetResult.correction).is_not(None))):
            counts[evaluation_id][outcome] += n
            if fixed:
                corrected[evaluation_id] += n
    return [EvaluationView(e, counts[id_of(e)], corrected[id_of(e)]) for e in evaluations]


def view(session: Session, actor: Actor, evaluation_id: int) -> EvaluationView:
    require_scope(actor, Scope.evaluations)
    return _views(session, [_get(session, evaluation_id)])[0]


def list_evaluations(session: Session, actor: Actor, *, cursor: str | None,
                     limit: int) -> Page[EvaluationView]:
    require_scope(actor, Scope.evaluations)
    page = keyset_page(session, select(Evaluation), Evaluation.id, cursor=cursor, limit=limit)
    return Page(items=_views(session, page.items), next_cursor=page.next_cursor)


def results_for(session: Session, actor: Actor, person_id: int, *, start: date | None,
                end: date | None, cursor: str | None, limit: int) -> Page[TargetResult]:
    """A person's target results (the person, their management chain, coach, buddy)."""
    subject = people.get_or_404(session, person_id)
    authorize(actor, Record.target_result, Action.read, relations_to(session, actor, subject),
              what="person")
    stmt = select(TargetResult).where(TargetResult.person_id == person_id)
    if start is not None:
        stmt = stmt.where(TargetResult.period_end >= start)
    if end is not None:
        stmt = stmt.where(TargetResult.period_start <= end)
    return keyset_page(session, stmt, TargetResult.id, cursor=cursor, limit=limit)

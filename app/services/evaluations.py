"""Evaluating a period: every active person a target applies to, under the policy in force.

Re-running an open evaluation recomputes it (the same facts give the same results); two
evaluations of one period at once queue on the evaluation's row, so nothing is doubled;
closing an evaluation freezes its results and the policy version it used.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import delete, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from app.db.growth import Evidence, Objective, OneToOne
from app.db.models import Absence, Person, TeamMember
from app.db.support import Evaluation, PolicyTarget, PolicyVersion, TargetResult
from app.db.types import utcnow
from app.domain import targets as rules
from app.domain.errors import Conflict, NotFound, RuleViolation
from app.domain.periods import Period
from app.domain.policy import Action, Actor, Record, authorize, require_scope
from app.domain.scopes import Scope
from app.domain.vocabulary import EvidenceKind, Metric, ObjectiveStatus, Outcome, PeriodType
from app.services import people, periods, policies, triggers
from app.services.pagination import Page, keyset_page
from app.services.relationships import relations_to


@dataclass(frozen=True)
class EvaluationView:
    evaluation: Evaluation
    counts: dict[str, int]


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


def _people(session: Session, period: Period) -> list[Person]:
    stmt = select(Person).where(Person.active.is_(True))  # type: ignore[attr-defined]
    if period.type is PeriodType.sprint and period.team_id is not None:
        stmt = stmt.where(Person.id.in_(select(TeamMember.person_id).where(  # type: ignore[union-attr]
            TeamMember.team_id == period.team_id)))
    return list(session.exec(stmt.order_by(Person.id)))


def _facts(session: Session, ids: list[int], period: Period) -> dict[int, rules.ActivityFacts]:
    """Everything evaluation counts, for everyone at once (a fixed number of queries)."""
    # Tickets done in a Jira sprint count in it whatever their day, so look wider for sprints.
    margin = timedelta(days=60 if period.type is PeriodType.sprint else 0)
    evidence: dict[int, list[rules.EvidenceFact]] = defaultdict(list)
    # The columns evaluation counts, not whole records: no objects to build and track.
    for e in session.exec(select(Evidence.id, Evidence.person_id, Evidence.kind,
                                 Evidence.occurred_on, Evidence.hours, Evidence.details).where(
            Evidence.person_id.in_(ids), Evidence.retracted_at.is_(None),  # type: ignore[union-attr]
            Evidence.occurred_on >= period.start - margin,
            Evidence.occurred_on <= period.end + margin)):
        sprint = (e.details or {}).get("sprint") or {}
        evidence[e.person_id].append(rules.EvidenceFact(
            e.id, EvidenceKind(e.kind), e.occurred_on,  # type: ignore[arg-type]
            Decimal(str(e.hours)) if e.hours is not None else None,
            sprint.get("id") if isinstance(sprint.get("id"), int) else None))
    held: dict[int, list[tuple[int, object]]] = defaultdict(list)
    for o in session.exec(select(OneToOne).where(
            OneToOne.person_id.in_(ids), OneToOne.status == "held",  # type: ignore[attr-defined]
            OneToOne.on >= period.start, OneToOne.on <= period.end)):
        held[o.person_id].append((o.id, o.on))  # type: ignore[arg-type]
    done: dict[int, list[tuple[int, str]]] = defaultdict(list)
    if period.type is PeriodType.quarter:
        for o in session.exec(select(Objective).where(
                Objective.person_id.in_(ids), Objective.quarter == period.key,  # type: ignore[attr-defined]
                Objective.status == ObjectiveStatus.completed.value,
                Objective.twenty_percent_time.is_(True))):  # type: ignore[attr-defined]
            done[o.person_id].append((o.id, o.quarter))  # type: ignore[arg-type]
    away: dict[int, list[tuple[object, object]]] = defaultdict(list)
    for a in session.exec(select(Absence).where(
            Absence.person_id.in_(ids), Absence.start_date <= period.end,  # type: ignore[attr-defined]
            Absence.end_date >= period.start)):
        away[a.person_id].append((a.start_date, a.end_date))
    return {i: rules.ActivityFacts(evidence[i], held[i], done[i], away[i])  # type: ignore[arg-type]
            for i in ids}


def _rule(target: PolicyTarget) -> rules.TargetRule:
    return rules.TargetRule(id=target.id, metric=Metric(target.metric),  # type: ignore[arg-type]
                            period=PeriodType(target.period),
                            threshold=Decimal(str(target.threshold)),
                            bands=frozenset(target.bands), kinds=frozenset(target.kinds),
                            stretch=target.stretch)


def evaluate(session: Session, actor: Actor, *, period_type: PeriodType,
             period_key: str) -> EvaluationView:
    """Evaluate (or re-evaluate) a period and fire the triggers its results call for."""
    require_scope(actor, Scope.evaluations)
    return run(session, period_type=period_type, period_key=period_key)


def run(session: Session, *, period_type: PeriodType, period_key: str) -> EvaluationView:
    """The evaluation itself, for the API and for `gps evaluate`."""
    period = periods.resolve(session, period_type, period_key)
    version = policies.in_force(session, period.start)
    if version is None:
        raise RuleViolation(detail=f"No policy version is in force on "
                                   f"{period.start.isoformat()}.", rule="POLICY-IN-FORCE")
    evaluation = _claim(session, period, version.id)  # type: ignore[arg-type]
    if evaluation.status == "closed":
        raise Conflict(detail=f"{period.type.value} {period.key} was closed on "
                              f"{evaluation.closed_at.date().isoformat()}; its results are "  # type: ignore[union-attr]
                              "frozen.", code="evaluation-closed")
    if evaluation.policy_version_id != version.id:
        evaluation.policy_version_id = version.id
    session.execute(delete(TargetResult).where(TargetResult.evaluation_id == evaluation.id))
    targets = [_rule(t) for t in policies.targets_of(session, [version.id])[version.id]  # type: ignore[index]
               if t.period == period.type.value]
    everyone = _people(session, period)
    facts = _facts(session, [p.id for p in everyone], period)  # type: ignore[misc]
    results: list[dict] = []
    for person in everyone:
        subject = rules.PersonFacts(person.id, person.band, person.kind)  # type: ignore[arg-type]
        for target in targets:
            r = rules.evaluate(target, subject, period, facts[person.id],  # type: ignore[index]
                               excused_share=Decimal(str(version.excused_share)))
            if r.outcome is Outcome.not_applicable and not rules.applies(target, subject):
                continue  # the target is not for this person: no row
            results.append(dict(
                evaluation_id=evaluation.id, person_id=person.id, target_id=target.id,
                policy_version_id=version.id, metric=target.metric.value, stretch=r.stretch,
                period_type=period.type.value, period_key=period.key,
                period_start=period.start, period_end=period.end, outcome=r.outcome.value,
                measured=r.measured, threshold=r.threshold, evidence_ids=r.evidence_ids))
    if results:  # one statement (executemany), however many people
        session.execute(insert(TargetResult), results)
    evaluation.runs += 1
    evaluation.evaluated_at = utcnow()
    session.add(evaluation)
    session.flush()
    triggers.after_evaluation(session, version=version, period=period, people=everyone)
    return EvaluationView(evaluation, _counts(results))


def _counts(results: list[dict]) -> dict[str, int]:
    counts = {o.value: 0 for o in Outcome}
    for r in results:
        counts[r["outcome"]] += 1
    return counts


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


def view(session: Session, actor: Actor, evaluation_id: int) -> EvaluationView:
    require_scope(actor, Scope.evaluations)
    evaluation = _get(session, evaluation_id)
    rows = session.exec(select(TargetResult.outcome).where(
        TargetResult.evaluation_id == evaluation_id)).all()
    counts = {o.value: 0 for o in Outcome}
    for outcome in rows:
        counts[outcome] += 1
    return EvaluationView(evaluation, counts)


def list_evaluations(session: Session, actor: Actor, *, cursor: str | None,
                     limit: int) -> Page[Evaluation]:
    require_scope(actor, Scope.evaluations)
    return keyset_page(session, select(Evaluation), Evaluation.id, cursor=cursor, limit=limit)


def results_for(session: Session, actor: Actor, person_id: int, *, start, end,  # type: ignore[no-untyped-def]
                cursor: str | None, limit: int) -> Page[TargetResult]:
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

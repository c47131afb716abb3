"""Routes: policy versions, periods, evaluations, target results and triggers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from app.api.auth import (EvaluationsActor, GrowthActor, IfMatch, Paging, PeopleReadActor,
                          PolicyWriteActor)
from app.api.conditional import expected_version, set_etag
from app.api.deps import API_PREFIX, SessionDep, SettingsDep
from app.api.links import location
from app.api.problems import problem_responses
from app.api.schemas.common import IsoDate, Page, PathId
from app.api.schemas.targets import (EvaluationRead, EvaluationRequest, PeriodRead, PolicyCreate,
                                     PolicyRead, PolicyUpdate, TargetRead, TargetResultRead,
                                     TriggerRead)
from app.db.support import Trigger
from app.db.models import id_of
from app.domain.vocabulary import PeriodType, TriggerDirection, TriggerStatus
from app.services.org import periods
from app.services.support import evaluations, policies, triggers
from app.services.kit.working_calendar import department_calendar

router = APIRouter(prefix=API_PREFIX)


def _policy(found: policies.PolicyView) -> PolicyRead:
    version = found.version
    return PolicyRead(**{k: getattr(version, k) for k in (
        "id", "name", "effective_from", "effective_to", "production_streak_sprints",
        "missed_streak_periods", "case_window_days", "case_min_interventions",
        "case_min_support_days", "absence_confirm_days", "created_at", "updated_at")}, excused_share=float(version.excused_share),
        locked=version.locked_at is not None,
        targets=[TargetRead(id=t.id, metric=t.metric, period=t.period,
                            threshold=float(t.threshold), bands=t.bands, kinds=t.kinds,
                            stretch=t.stretch) for t in found.targets])


@router.get("/policies", operation_id="list_policies", response_model=Page[PolicyRead],
            tags=["policies"], responses=problem_responses(401, 403, 422))
def list_policies(session: SessionDep, actor: PeopleReadActor, paging: Paging) -> Page[PolicyRead]:
    """List policy versions with their targets (anyone signed in: the targets are public)."""
    page = policies.list_versions(session, actor, cursor=paging.cursor, limit=paging.limit)
    return Page(items=[_policy(v) for v in page.items], next_cursor=page.next_cursor)


@router.post("/policies", operation_id="create_policy", status_code=status.HTTP_201_CREATED,
             response_model=PolicyRead, tags=["policies"],
             responses=problem_responses(401, 403, 409, 413, 422))
def create_policy(body: PolicyCreate, request: Request, response: Response, session: SessionDep,
                  actor: PolicyWriteActor) -> PolicyRead:
    """Add a policy version (admin). Exactly one version is in force on any date: a version
    starting inside the open-ended current one ends it the day before (unless a closed
    evaluation depends on those days); any other overlap is a 422."""
    version = policies.create(session, actor, values=body.values(),
                              targets=[t.values() for t in body.targets])
    response.headers["Location"] = location(request, "get_policy", policy_id=version.id)
    set_etag(response, "policy", id_of(version), version.version)
    return _policy(policies.views(session, [version])[0])


@router.get("/policies/{policy_id:int}", operation_id="get_policy", response_model=PolicyRead,
            tags=["policies"], responses=problem_responses(401, 403, 404, 422))
def get_policy(policy_id: PathId, response: Response, session: SessionDep,
               actor: PeopleReadActor) -> PolicyRead:
    """Read a policy version and its targets."""
    version = policies.get_or_404(session, policy_id)
    set_etag(response, "policy", policy_id, version.version)
    return _policy(policies.views(session, [version])[0])


@router.patch("/policies/{policy_id:int}", operation_id="update_policy",
              response_model=PolicyRead, tags=["policies"],
              responses=problem_responses(401, 403, 404, 409, 412, 413, 422, 428))
def update_policy(policy_id: PathId, body: PolicyUpdate, response: Response,
                  session: SessionDep, actor: PolicyWriteActor,
                  if_match: IfMatch = None) -> PolicyRead:
    """Change a policy version (admin; needs `If-Match`). A version used by a closed
    evaluation cannot change (409): a change of policy is a new version."""
    version = policies.update(
        session, actor, policy_id, changes=body.changes(),
        targets=[t.values() for t in body.targets] if body.targets is not None else None,
        expected_version=expected_version(if_match, "policy", policy_id))
    set_etag(response, "policy", policy_id, version.version)
    return _policy(policies.views(session, [version])[0])


@router.get("/periods", operation_id="list_periods", response_model=list[PeriodRead],
            tags=["evaluations"], responses=problem_responses(401, 403, 404, 422))
def list_periods(session: SessionDep, actor: PeopleReadActor, type: PeriodType,
                 start: Annotated[IsoDate, Query(alias="from")],
                 end: Annotated[IsoDate, Query(alias="to")],
                 team_id: Annotated[PathId | None, Query()] = None) -> list[PeriodRead]:
    """The evaluation periods overlapping `from`..`to`: ISO weeks, calendar quarters, or each
    team's sprints (Jira's where recorded, else the team's cadence)."""
    found = periods.list_periods(session, period_type=type, start=start, end=end,
                                 team_id=team_id)
    return [PeriodRead(type=p.type, key=p.key, start=p.start, end=p.end, team_id=p.team_id,
                       sprint_id=p.sprint_id) for p in found]


def _evaluation(view: evaluations.EvaluationView) -> EvaluationRead:
    e = view.evaluation
    return EvaluationRead(id=e.id, period_type=e.period_type, period_key=e.period_key,
                          period_start=e.period_start, period_end=e.period_end,
                          policy_version_id=e.policy_version_id, status=e.status, runs=e.runs,
                          evaluated_at=e.evaluated_at, closed_at=e.closed_at,
                          stale_since=e.stale_since,
                          counts=view.counts, corrected=view.corrected)


@router.post("/evaluations", operation_id="run_evaluation", response_model=EvaluationRead,
             tags=["evaluations"], responses=problem_responses(401, 403, 404, 409, 413, 422))
def run_evaluation(body: EvaluationRequest, session: SessionDep, settings: SettingsDep,
                   actor: EvaluationsActor) -> EvaluationRead:
    """Evaluate a period that has ended (admin; also `gps evaluate`): the result per target
    (met, missed, excused, not_applicable) of everyone employed during it, with the figure and
    the records behind it, under the policy in force. A period that has not ended yet is 422.

    Running it again recomputes the results from the facts as they stand, and withdraws any
    trigger they no longer support. A closed evaluation keeps its results as decided; a run
    records beside each result what it would be now (`correction`), and still withdraws the
    triggers that no longer stand."""
    return _evaluation(evaluations.evaluate(session, actor, period_type=body.period_type,
                                            period_key=body.period_key,
                                            calendar=department_calendar(settings)))


@router.get("/evaluations", operation_id="list_evaluations",
            response_model=Page[EvaluationRead], tags=["evaluations"],
            responses=problem_responses(401, 403, 422))
def list_evaluations(session: SessionDep, actor: EvaluationsActor,
                     paging: Paging) -> Page[EvaluationRead]:
    """List evaluations with their results counted by outcome (admin)."""
    page = evaluations.list_evaluations(session, actor, cursor=paging.cursor, limit=paging.limit)
    return Page(items=[_evaluation(v) for v in page.items], next_cursor=page.next_cursor)


@router.get("/evaluations/{evaluation_id:int}", operation_id="get_evaluation",
            response_model=EvaluationRead, tags=["evaluations"],
            responses=problem_responses(401, 403, 404, 422))
def get_evaluation(evaluation_id: PathId, session: SessionDep,
                   actor: EvaluationsActor) -> EvaluationRead:
    """Read an evaluation with its results counted by outcome (admin)."""
    return _evaluation(evaluations.view(session, actor, evaluation_id))


@router.post("/evaluations/{evaluation_id:int}/close", operation_id="close_evaluation",
             response_model=EvaluationRead, tags=["evaluations"],
             responses=problem_responses(401, 403, 404, 409, 422))
def close_evaluation(evaluation_id: PathId, session: SessionDep,
                     actor: EvaluationsActor) -> EvaluationRead:
    """Close an evaluation (admin): its results are frozen, and so is its policy version."""
    return _evaluation(evaluations.close(session, actor, evaluation_id))


@router.get("/people/{person_id:int}/target-results", operation_id="list_target_results",
            response_model=Page[TargetResultRead], tags=["evaluations"],
            responses=problem_responses(401, 403, 404, 422))
def list_target_results(person_id: PathId, session: SessionDep, actor: GrowthActor,
                        start: Annotated[IsoDate | None, Query(alias="from")] = None,
                        end: Annotated[IsoDate | None, Query(alias="to")] = None,
                        *, paging: Paging) -> Page[TargetResultRead]:
    """A person's target results in periods overlapping `from`..`to` (the person, their
    management chain, coach and buddy)."""
    page = evaluations.results_for(session, actor, person_id, start=start, end=end,
                                   cursor=paging.cursor, limit=paging.limit)
    return Page(items=[TargetResultRead.model_validate(r) for r in page.items],
                next_cursor=page.next_cursor)


@router.get("/triggers", operation_id="list_triggers", response_model=Page[TriggerRead],
            tags=["evaluations"], responses=problem_responses(401, 403, 404, 422))
def list_triggers(session: SessionDep, actor: GrowthActor,
                  person_id: Annotated[PathId | None, Query(description="Yours by default")] = None,
                  kind: Annotated[TriggerDirection | None, Query(
                      description="positive or negative")] = None,
                  *, paging: Paging) -> Page[TriggerRead]:
    """A person's triggers, each with its rule, policy version and the records it stands on;
    withdrawn ones too, with when and why."""
    page = triggers.list_triggers(session, actor, person_id=person_id, direction=kind,
                                  cursor=paging.cursor, limit=paging.limit)
    return Page(items=[_trigger(t) for t in page.items], next_cursor=page.next_cursor)


def _trigger(trigger: Trigger) -> TriggerRead:
    status = TriggerStatus.withdrawn if trigger.withdrawn_at else TriggerStatus.live
    return TriggerRead.model_validate(
        {name: getattr(trigger, name) for name in TriggerRead.model_fields if name != "status"}
        | {"status": status})



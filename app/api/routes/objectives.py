"""Routes: objectives, their lifecycle actions and check-ins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from app.api.auth import GrowthActor, IfMatch, Paging
from app.api.conditional import expected_version, set_etag
from app.api.deps import API_PREFIX, SessionDep
from app.api.links import location
from app.api.problems import problem_responses
from app.api.schemas.common import Page, PathId, RecordChangeRead
from app.api.schemas.objectives import (CheckInCreate, CheckInRead, CompleteRequest,
                                        DropRequest, ObjectiveCreate, ObjectiveRead,
                                        ObjectiveUpdate, QuarterText, ReasonRequest,
                                        RequestChangesRequest)
from app.db.models import id_of
from app.domain.vocabulary import ObjectiveStatus
from app.services.growth import objectives

router = APIRouter(prefix=f"{API_PREFIX}/objectives", tags=["objectives"])

ACTION_ERRORS = problem_responses(401, 403, 404, 409, 413, 422)


def _answer(response: Response, found: objectives.ObjectiveView) -> ObjectiveRead:
    set_etag(response, "objective", id_of(found.objective), found.objective.version)
    return ObjectiveRead.of(found)


@router.post("", operation_id="create_objective", status_code=status.HTTP_201_CREATED,
             response_model=ObjectiveRead, responses=problem_responses(401, 403, 404, 413, 422))
def create_objective(body: ObjectiveCreate, request: Request, response: Response,
                     session: SessionDep, actor: GrowthActor) -> ObjectiveRead:
    """Draft an objective for a quarter: only its owner writes it (anyone else is refused, 403
    `OBJECTIVE-OWNER-WRITES`). `warnings` says,
    softly, when the owner has more or fewer than three 20%-time objectives that quarter."""
    found = objectives.create_objective(session, actor, person_id=body.person_id,
                                        values=body.values())
    response.headers["Location"] = location(request, "get_objective",
                                                       objective_id=found.objective.id)
    return _answer(response, found)


@router.get("", operation_id="list_objectives", response_model=Page[ObjectiveRead],
            responses=problem_responses(401, 403, 404, 422))
def list_objectives(session: SessionDep, actor: GrowthActor, paging: Paging,
                    person_id: Annotated[PathId | None, Query(description="Yours by default")] = None,
                    quarter: Annotated[QuarterText | None, Query()] = None,
                    status: ObjectiveStatus | None = None,
                    twenty_percent_time: bool | None = None) -> Page[ObjectiveRead]:
    """List a person's objectives, filtered by quarter, status and 20% time."""
    page = objectives.list_objectives(session, actor, person_id=person_id, quarter=quarter,
                                      status=status, twenty_percent_time=twenty_percent_time,
                                      cursor=paging.cursor, limit=paging.limit)
    return Page(items=[ObjectiveRead.of(v) for v in page.items], next_cursor=page.next_cursor)


@router.get("/{objective_id:int}", operation_id="get_objective", response_model=ObjectiveRead,
            responses=problem_responses(401, 403, 404, 422))
def get_objective(objective_id: PathId, response: Response, session: SessionDep,
                  actor: GrowthActor) -> ObjectiveRead:
    """Read an objective (owner, line manager, chain, coach, buddy)."""
    return _answer(response, objectives.view(session, actor, objective_id))


@router.patch("/{objective_id:int}", operation_id="update_objective",
              response_model=ObjectiveRead,
              responses=problem_responses(401, 403, 404, 409, 412, 413, 422, 428))
def update_objective(objective_id: PathId, body: ObjectiveUpdate, response: Response,
                     session: SessionDep, actor: GrowthActor,
                     if_match: IfMatch = None) -> ObjectiveRead:
    """Change a draft, changes_requested or agreed objective's wording (the owner only; JSON
    merge patch; needs `If-Match`). An objective sent back for changes returns to draft."""
    version = expected_version(if_match, "objective", objective_id)
    return _answer(response, objectives.update_objective(
        session, actor, objective_id, changes=body.changes(), expected_version=version))


@router.post("/{objective_id:int}/agree", operation_id="agree_objective",
             response_model=ObjectiveRead, responses=ACTION_ERRORS)
def agree_objective(objective_id: PathId, response: Response, session: SessionDep,
                    actor: GrowthActor) -> ObjectiveRead:
    """Agree a draft objective (the owner's line manager): draft → agreed."""
    return _answer(response, objectives.agree(session, actor, objective_id))


@router.post("/{objective_id:int}/request_changes", operation_id="request_objective_changes",
             response_model=ObjectiveRead, responses=ACTION_ERRORS)
def request_objective_changes(objective_id: PathId, body: RequestChangesRequest,
                              response: Response, session: SessionDep,
                              actor: GrowthActor) -> ObjectiveRead:
    """Ask the owner to change a draft objective, saying what (the owner's line manager):
    draft → changes_requested. The owner's next edit returns it to draft."""
    return _answer(response, objectives.request_changes(session, actor, objective_id,
                                                        note=body.note))


@router.post("/{objective_id:int}/complete", operation_id="complete_objective",
             response_model=ObjectiveRead, responses=ACTION_ERRORS)
def complete_objective(objective_id: PathId, body: CompleteRequest, response: Response,
                       session: SessionDep, actor: GrowthActor) -> ObjectiveRead:
    """Complete an agreed objective (the owner), with a note or linked evidence: agreed →
    completed. Publishes `objective.completed` on the HR feed."""
    return _answer(response, objectives.complete(session, actor, objective_id, note=body.note,
                                                 evidence_ids=body.evidence_ids))


@router.post("/{objective_id:int}/drop", operation_id="drop_objective",
             response_model=ObjectiveRead, responses=ACTION_ERRORS)
def drop_objective(objective_id: PathId, body: DropRequest, response: Response,
                   session: SessionDep, actor: GrowthActor) -> ObjectiveRead:
    """Drop a draft, changes_requested or agreed objective, with a reason (the owner). An
    admin may drop someone's objective (a leaver's, or one made in error) only as an override
    with `override_reason`, kept in the history and the audit log."""
    return _answer(response, objectives.drop(session, actor, objective_id, reason=body.reason,
                                             override_reason=body.override_reason))


@router.post("/{objective_id:int}/reopen", operation_id="reopen_objective",
             response_model=ObjectiveRead, responses=ACTION_ERRORS)
def reopen_objective(objective_id: PathId, body: ReasonRequest, response: Response,
                     session: SessionDep, actor: GrowthActor) -> ObjectiveRead:
    """Reopen a completed objective (the owner's line manager): completed → agreed.
    Publishes `objective.reopened` on the HR feed."""
    return _answer(response, objectives.reopen(session, actor, objective_id,
                                               reason=body.reason))


@router.post("/{objective_id:int}/check-ins", operation_id="create_check_in",
             status_code=status.HTTP_201_CREATED, response_model=CheckInRead,
             responses=problem_responses(401, 403, 404, 409, 413, 422))
def create_check_in(objective_id: PathId, body: CheckInCreate, session: SessionDep,
                    actor: GrowthActor) -> CheckInRead:
    """Record a dated progress note on an objective (owner or line manager); `author_id` says
    who wrote it."""
    check_in = objectives.add_check_in(session, actor, objective_id, on=body.on,
                                       note=body.note, progress=body.progress)
    return CheckInRead.model_validate(check_in)


@router.get("/{objective_id:int}/check-ins", operation_id="list_check_ins",
            response_model=Page[CheckInRead], responses=problem_responses(401, 403, 404, 422))
def list_check_ins(objective_id: PathId, session: SessionDep, actor: GrowthActor,
                   paging: Paging) -> Page[CheckInRead]:
    """List an objective's check-ins, oldest first."""
    page = objectives.list_check_ins(session, actor, objective_id, cursor=paging.cursor,
                                     limit=paging.limit)
    return Page(items=[CheckInRead.model_validate(c) for c in page.items],
                next_cursor=page.next_cursor)


@router.get("/{objective_id:int}/history", operation_id="list_objective_history",
            response_model=Page[RecordChangeRead],
            responses=problem_responses(401, 403, 404, 422))
def list_objective_history(objective_id: PathId, session: SessionDep, actor: GrowthActor,
                           paging: Paging) -> Page[RecordChangeRead]:
    """Who did what to an objective and when, oldest first (whoever may read it)."""
    page = objectives.list_history(session, actor, objective_id, cursor=paging.cursor,
                                   limit=paging.limit)
    return Page(items=[RecordChangeRead.model_validate(c) for c in page.items],
                next_cursor=page.next_cursor)

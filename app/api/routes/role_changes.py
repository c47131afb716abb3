"""Role changes that take two admins: `admin` and `case_manager`."""

from __future__ import annotations


from fastapi import APIRouter, Request, Response, status

from app.api.auth import Paging, PeopleWriteActor
from app.api.deps import API_PREFIX, SessionDep
from app.api.problems import problem_responses
from app.api.schemas.common import Page, PathId
from app.api.schemas.duties import RoleChangeCreate, RoleChangeDecision, RoleChangeRead
from app.domain.vocabulary import RoleChangeStatus
from app.services.identity import role_changes

router = APIRouter(prefix=f"{API_PREFIX}/role-changes", tags=["people"])


@router.post("", operation_id="propose_role_change", status_code=status.HTTP_201_CREATED,
             response_model=RoleChangeRead,
             responses=problem_responses(401, 403, 404, 409, 413, 422))
def propose_role_change(body: RoleChangeCreate, request: Request, response: Response,
                        session: SessionDep, actor: PeopleWriteActor) -> RoleChangeRead:
    """Propose granting or removing `admin` or `case_manager` (admin). Nothing changes until
    another admin approves it; nobody approves their own proposal or a change to their own
    roles. Other roles change in one step with PATCH /v1/people/{person_id}."""
    found = role_changes.propose(session, actor, person_id=body.person_id, role=body.role,
                                 change=body.change.value, reason=body.reason)
    response.headers["Location"] = str(request.url_for("get_role_change",
                                                       role_change_id=found.id))
    return RoleChangeRead.model_validate(found)


@router.get("", operation_id="list_role_changes", response_model=Page[RoleChangeRead],
            responses=problem_responses(401, 403, 422))
def list_role_changes(session: SessionDep, actor: PeopleWriteActor, paging: Paging,
                      status: RoleChangeStatus | None = None) -> Page[RoleChangeRead]:
    """List role changes (admin), oldest first; `status=pending` for those awaiting a
    decision."""
    page = role_changes.list_requests(session, actor, status=status.value if status else None,
                                      cursor=paging.cursor, limit=paging.limit)
    return Page(items=[RoleChangeRead.model_validate(r) for r in page.items],
                next_cursor=page.next_cursor)


@router.get("/{role_change_id:int}", operation_id="get_role_change",
            response_model=RoleChangeRead, responses=problem_responses(401, 403, 404, 422))
def get_role_change(role_change_id: PathId, session: SessionDep,
                    actor: PeopleWriteActor) -> RoleChangeRead:
    """Read one role change (admin)."""
    return RoleChangeRead.model_validate(role_changes.get(session, actor, role_change_id))


@router.post("/{role_change_id:int}/approve", operation_id="approve_role_change",
             response_model=RoleChangeRead,
             responses=problem_responses(401, 403, 404, 409, 413, 422))
def approve_role_change(role_change_id: PathId, body: RoleChangeDecision, session: SessionDep,
                        actor: PeopleWriteActor) -> RoleChangeRead:
    """Approve and apply a proposed role change (an admin other than its proposer and the
    person it is about). Removing the role from the only case manager who can work on an
    open case is refused (409) until the case has another."""
    return RoleChangeRead.model_validate(
        role_changes.approve(session, actor, role_change_id, reason=body.reason))


@router.post("/{role_change_id:int}/reject", operation_id="reject_role_change",
             response_model=RoleChangeRead,
             responses=problem_responses(401, 403, 404, 409, 413, 422))
def reject_role_change(role_change_id: PathId, body: RoleChangeDecision, session: SessionDep,
                       actor: PeopleWriteActor) -> RoleChangeRead:
    """Reject a proposed role change (an admin other than its proposer and the person it is
    about)."""
    return RoleChangeRead.model_validate(
        role_changes.reject(session, actor, role_change_id, reason=body.reason))

"""Routes: consultation on policy versions before they take effect."""

from __future__ import annotations


from fastapi import APIRouter, status

from app.api.auth import ConsultationActor, PolicyWriteActor
from app.api.deps import API_PREFIX, SessionDep
from app.api.problems import problem_responses
from app.api.schemas.common import PathId
from app.api.schemas.consultations import (CommentCreate, CommentRead, ConsultationOpen,
                                           ConsultationRead, ReplyCreate)
from app.services.support import consultations

router = APIRouter(prefix=API_PREFIX)


@router.post("/policies/{policy_id:int}/consultation", operation_id="open_consultation",
             status_code=status.HTTP_201_CREATED, response_model=ConsultationRead,
             tags=["consultation"], responses=problem_responses(401, 403, 404, 409, 413, 422))
def open_consultation(policy_id: PathId, body: ConsultationOpen, session: SessionDep,
                      actor: PolicyWriteActor) -> ConsultationRead:
    """Open a draft policy version for comment (admin), for `days` (default 30) from
    `opens_at` (default now). Once per version (409); not a locked version (409); and not if
    the version would take effect before the window closes (409 naming the window's end)."""
    return ConsultationRead.of(consultations.open_consultation(
        session, actor, policy_id, days=body.days, opens_at=body.opens_at))


@router.get("/policies/{policy_id:int}/consultation", operation_id="get_consultation",
            response_model=ConsultationRead, tags=["consultation"],
            responses=problem_responses(401, 403, 404, 422))
def get_consultation(policy_id: PathId, session: SessionDep,
                     actor: ConsultationActor) -> ConsultationRead:
    """A version's consultation window and its comments (anyone signed in). Anonymous
    comments name no author, except to policy admins."""
    return ConsultationRead.of(consultations.view_consultation(session, actor, policy_id))


@router.post("/policies/{policy_id:int}/consultation/comments", operation_id="add_comment",
             status_code=status.HTTP_201_CREATED, response_model=CommentRead,
             tags=["consultation"], responses=problem_responses(401, 403, 404, 409, 413, 422))
def add_comment(policy_id: PathId, body: CommentCreate, session: SessionDep,
                actor: ConsultationActor) -> CommentRead:
    """Comment on a version while its consultation is open (anyone signed in); before or
    after the window is 409 naming it."""
    view, comment_id = consultations.add_comment(session, actor, policy_id, body=body.body,
                                                 anonymous=body.anonymous)
    return CommentRead.of(next(c for c in view.comments if c.comment.id == comment_id))


@router.post("/policies/{policy_id:int}/consultation/comments/{comment_id:int}/reply",
             operation_id="reply_to_comment", response_model=CommentRead,
             tags=["consultation"], responses=problem_responses(401, 403, 404, 413, 422))
def reply_to_comment(policy_id: PathId, comment_id: PathId, body: ReplyCreate,
                     session: SessionDep, actor: PolicyWriteActor) -> CommentRead:
    """Reply to a comment (admin); a second reply replaces the first."""
    view = consultations.reply(session, actor, policy_id, comment_id, text=body.reply)
    return CommentRead.of(next(c for c in view.comments if c.comment.id == comment_id))

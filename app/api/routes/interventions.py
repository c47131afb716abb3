"""Routes: supportive interventions and recognition, the recognition digest, and the praise
preference."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from app.api.auth import DigestActor, InterventionsActor, Paging
from app.api.conditional import set_etag
from app.api.deps import API_PREFIX, SessionDep
from app.api.links import location
from app.api.problems import problem_responses
from app.api.render.digest import digest_markdown
from app.api.negotiation import MARKDOWN
from app.api.routes.cpd import QueryDate, wants_markdown
from app.api.schemas.common import Page, PathId, RecordChangeRead
from app.api.schemas.interventions import (CompleteRequest, DeclineRequest, InterventionCreate,
                                           InterventionRead, PraisePreference,
                                           PraisePreferenceUpdate, RecognitionDigest,
                                           SupportRequestCreate, SupportRequestSharing)
from app.db.models import id_of
from app.domain.vocabulary import InterventionKind, InterventionStatus
from app.services.oversight import digest
from app.services.support import interventions

router = APIRouter(prefix=API_PREFIX)

ACTION_ERRORS = problem_responses(401, 403, 404, 409, 413, 422)


def _answer(response: Response, found: interventions.InterventionView) -> InterventionRead:
    set_etag(response, "intervention", id_of(found.intervention),
             found.intervention.version)
    return InterventionRead.of(found)


@router.post("/interventions", operation_id="create_intervention", tags=["interventions"],
             status_code=status.HTTP_201_CREATED, response_model=InterventionRead,
             responses=problem_responses(401, 403, 404, 413, 422))
def create_intervention(body: InterventionCreate, request: Request, response: Response,
                        session: SessionDep, actor: InterventionsActor) -> InterventionRead:
    """Propose support for one of your reports, or recognise them (the person's line
    manager). Support starts `proposed`, for the person to agree to or decline; it is never
    imposed. A `recognition` is recorded as completed and appears in the recognition digest
    unless the person opted out of public praise."""
    found = interventions.create_intervention(session, actor, person_id=body.person_id,
                                              kind=body.kind, summary=body.summary,
                                              notes=body.notes)
    response.headers["Location"] = location(request, "get_intervention",
                                            intervention_id=found.intervention.id)
    return _answer(response, found)


@router.post("/me/support-requests", operation_id="request_support", tags=["interventions"],
             status_code=status.HTTP_201_CREATED, response_model=InterventionRead,
             responses=problem_responses(401, 403, 404, 413, 422))
def request_support(body: SupportRequestCreate, request: Request, response: Response,
                    session: SessionDep, actor: InterventionsActor) -> InterventionRead:
    """Ask for support yourself, in your own words: it is proposed to your line manager as
    coming from you, and they agree to it or decline it (`/agree`, `/decline`), then start
    and complete it. Only you and your line manager see it unless you share it (`shared`);
    it never counts as support tried before a formal case."""
    found = interventions.request_support(session, actor, interventions.NewSupportRequest(
        kind=body.kind, words=body.words, shared=body.shared))
    response.headers["Location"] = location(request, "get_intervention",
                                            intervention_id=found.intervention.id)
    return _answer(response, found)


@router.put("/me/support-requests/{intervention_id:int}/sharing",
            operation_id="share_support_request", tags=["interventions"],
            response_model=InterventionRead, responses=problem_responses(401, 403, 404, 413, 422))
def share_support_request(intervention_id: PathId, body: SupportRequestSharing,
                          response: Response, session: SessionDep,
                          actor: InterventionsActor) -> InterventionRead:
    """Share support you asked for with those who read your interventions (your management
    chain, coach and buddy), or make it private to you and your line manager again (the
    person who asked only)."""
    return _answer(response, interventions.set_sharing(session, actor, intervention_id,
                                                       shared=body.shared))


@router.get("/interventions", operation_id="list_interventions", tags=["interventions"],
            response_model=Page[InterventionRead], responses=problem_responses(401, 403, 404, 422))
def list_interventions(session: SessionDep, actor: InterventionsActor, paging: Paging,
                       person_id: Annotated[PathId | None,
                                            Query(description="Yours by default")] = None,
                       status: InterventionStatus | None = None,
                       kind: InterventionKind | None = None) -> Page[InterventionRead]:
    """List a person's interventions, oldest first, filtered by status and kind (the person,
    their line manager and management chain; their coach and buddy read)."""
    page = interventions.list_interventions(session, actor, person_id=person_id, status=status,
                                            kind=kind, cursor=paging.cursor, limit=paging.limit)
    return Page(items=[InterventionRead.of(v) for v in page.items],
                next_cursor=page.next_cursor)


@router.get("/interventions/{intervention_id:int}", operation_id="get_intervention",
            tags=["interventions"], response_model=InterventionRead,
            responses=problem_responses(401, 403, 404, 422))
def get_intervention(intervention_id: PathId, response: Response, session: SessionDep,
                     actor: InterventionsActor) -> InterventionRead:
    """Read an intervention (the person, line manager, chain, coach, buddy)."""
    return _answer(response, interventions.view(session, actor, intervention_id))


@router.post("/interventions/{intervention_id:int}/agree", operation_id="agree_intervention",
             tags=["interventions"], response_model=InterventionRead, responses=ACTION_ERRORS)
def agree_intervention(intervention_id: PathId, response: Response, session: SessionDep,
                       actor: InterventionsActor) -> InterventionRead:
    """Agree to the support proposed to you (the person it is for), or to support your report
    asked for themselves (their line manager): proposed → agreed."""
    return _answer(response, interventions.agree(session, actor, intervention_id))


@router.post("/interventions/{intervention_id:int}/decline",
             operation_id="decline_intervention", tags=["interventions"],
             response_model=InterventionRead, responses=ACTION_ERRORS)
def decline_intervention(intervention_id: PathId, body: DeclineRequest, response: Response,
                         session: SessionDep, actor: InterventionsActor) -> InterventionRead:
    """Decline proposed or agreed support, with a reason (the person it is for): → declined.
    Declining is always open to you and is never held against you. Support a person asked for
    themselves is answered by their line manager, who declines it with a reason."""
    return _answer(response, interventions.decline(session, actor, intervention_id,
                                                   reason=body.reason))


@router.post("/interventions/{intervention_id:int}/start", operation_id="start_intervention",
             tags=["interventions"], response_model=InterventionRead, responses=ACTION_ERRORS)
def start_intervention(intervention_id: PathId, response: Response, session: SessionDep,
                       actor: InterventionsActor) -> InterventionRead:
    """Start agreed support (the person's line manager): agreed → in_progress."""
    return _answer(response, interventions.start(session, actor, intervention_id))


@router.post("/interventions/{intervention_id:int}/complete",
             operation_id="complete_intervention", tags=["interventions"],
             response_model=InterventionRead, responses=ACTION_ERRORS)
def complete_intervention(intervention_id: PathId, body: CompleteRequest, response: Response,
                          session: SessionDep, actor: InterventionsActor) -> InterventionRead:
    """Record support as completed, with an optional note (the person's line manager):
    in_progress → completed."""
    return _answer(response, interventions.complete(session, actor, intervention_id,
                                                    note=body.note))


@router.get("/interventions/{intervention_id:int}/history",
            operation_id="list_intervention_history", tags=["interventions"],
            response_model=Page[RecordChangeRead], responses=problem_responses(401, 403, 404, 422))
def list_intervention_history(intervention_id: PathId, session: SessionDep,
                              actor: InterventionsActor, paging: Paging) -> Page[RecordChangeRead]:
    """Who did what to an intervention and when, oldest first (whoever may read it). Changes
    the trigger engine made have no actor."""
    page = interventions.list_history(session, actor, intervention_id, cursor=paging.cursor,
                                      limit=paging.limit)
    return Page(items=[RecordChangeRead.model_validate(c) for c in page.items],
                next_cursor=page.next_cursor)


@router.get(
    "/digests/recognition", operation_id="get_recognition_digest", tags=["recognition"],
    response_model=RecognitionDigest,
    responses={200: {"description": "The digest: JSON by default, Markdown with "
                                    "`Accept: text/markdown`",
                     "content": {MARKDOWN: {"schema": {"type": "string"}}},
                     "headers": {"Vary": {"description": "Accept",
                                          "schema": {"type": "string"}}}},
               **problem_responses(401, 403, 422)},
)
def get_recognition_digest(
        request: Request, response: Response, session: SessionDep, actor: DigestActor,
        start: Annotated[QueryDate | None, Query(alias="from", description=(
            "First day (YYYY-MM-DD); default 30 days ending on `to`"))] = None,
        end: Annotated[QueryDate | None, Query(alias="to", description=(
            "Last day (YYYY-MM-DD); default today"))] = None) -> RecognitionDigest | Response:
    """The period's recognitions, team by team, for the head of department's update:
    completed objectives, new qualifications, production streaks, quarters with every target
    met, and recognition recorded by line managers. A person in several teams appears under
    each; people in no team under “Across the department”. Nobody is ranked, and people who
    opted out of public praise are left out.

    Send `Accept: text/markdown` for paragraphs of good news ready to paste into an update;
    anything else answers JSON."""
    found = digest.recognition_digest(session, actor, start=start, end=end)
    if wants_markdown(request.headers.get("accept")):
        return Response(content=digest_markdown(found),
                        media_type=f"{MARKDOWN}; charset=utf-8", headers={"Vary": "Accept"})
    response.headers["Vary"] = "Accept"
    return RecognitionDigest.of(found)


@router.get("/people/{person_id:int}/praise-preference", operation_id="get_praise_preference",
            tags=["recognition"], response_model=PraisePreference,
            responses=problem_responses(401, 403, 404, 422))
def get_praise_preference(person_id: PathId, session: SessionDep,
                          actor: InterventionsActor) -> PraisePreference:
    """Whether you are left out of the recognition digest (the person themselves)."""
    person = digest.praise_preference(session, actor, person_id)
    return PraisePreference(person_id=person.id, opt_out=person.praise_opt_out)


@router.put("/people/{person_id:int}/praise-preference", operation_id="set_praise_preference",
            tags=["recognition"], response_model=PraisePreference,
            responses=problem_responses(401, 403, 404, 413, 422))
def set_praise_preference(person_id: PathId, body: PraisePreferenceUpdate, session: SessionDep,
                          actor: InterventionsActor) -> PraisePreference:
    """Choose whether you are named in the recognition digest (the person themselves; nobody
    may choose for you). Opting out leaves your recognitions on your own record."""
    person = digest.set_praise_preference(session, actor, person_id, opt_out=body.opt_out)
    return PraisePreference(person_id=person.id, opt_out=person.praise_opt_out)

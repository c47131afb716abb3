"""Routes: coaching programmes, enrolments and sessions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from app.api.auth import CoachingManageActor, GrowthActor, IfMatch, Paging
from app.api.conditional import expected_version, set_etag
from app.api.deps import API_PREFIX, SessionDep
from app.api.links import location
from app.api.problems import problem_responses
from app.api.schemas.coaching import (EnrolmentCreate, EnrolmentRead, ProgrammeCreate,
                                      ProgrammeRead, ProgrammeUpdate, SessionCreate,
                                      SessionRead, SessionUpdate)
from app.api.schemas.common import Page, PathId
from app.db.models import id_of
from app.services.growth import coaching
from app.services.growth.coaching import EnrolmentView

router = APIRouter(prefix=f"{API_PREFIX}/coaching", tags=["coaching"])

FilterId = Annotated[PathId | None, Query()]


def _enrolment_etag(response: Response, found: EnrolmentView) -> None:
    # An enrolment changes once, when it is withdrawn.
    set_etag(response, "coaching-enrolment", id_of(found.enrolment),
             1 if found.enrolment.active else 2)


# --- programmes -------------------------------------------------------------------------------


@router.post("/programmes", operation_id="create_coaching_programme",
             status_code=status.HTTP_201_CREATED, response_model=ProgrammeRead,
             responses=problem_responses(401, 403, 409, 413, 422))
def create_coaching_programme(body: ProgrammeCreate, request: Request, response: Response,
                              session: SessionDep, actor: CoachingManageActor) -> ProgrammeRead:
    """Create a coaching programme (admin): its cohort of bands, start and end, planned
    sessions and their length, and planned content."""
    programme = coaching.create_programme(session, actor, values=body.values())
    response.headers["Location"] = location(request, "get_coaching_programme",
                                                       programme_id=programme.id)
    set_etag(response, "coaching-programme", id_of(programme), programme.version)
    return ProgrammeRead.model_validate(programme)


@router.get("/programmes", operation_id="list_coaching_programmes",
            response_model=Page[ProgrammeRead], responses=problem_responses(401, 403, 422))
def list_coaching_programmes(session: SessionDep, actor: GrowthActor,
                             paging: Paging) -> Page[ProgrammeRead]:
    """List coaching programmes."""
    page = coaching.list_programmes(session, actor, cursor=paging.cursor, limit=paging.limit)
    return Page(items=[ProgrammeRead.model_validate(p) for p in page.items],
                next_cursor=page.next_cursor)


@router.get("/programmes/{programme_id:int}", operation_id="get_coaching_programme",
            response_model=ProgrammeRead, responses=problem_responses(401, 403, 404, 422))
def get_coaching_programme(programme_id: PathId, response: Response, session: SessionDep,
                           actor: GrowthActor) -> ProgrammeRead:
    """Read a coaching programme."""
    programme = coaching.view_programme(session, actor, programme_id)
    set_etag(response, "coaching-programme", programme_id, programme.version)
    return ProgrammeRead.model_validate(programme)


@router.patch("/programmes/{programme_id:int}", operation_id="update_coaching_programme",
              response_model=ProgrammeRead,
              responses=problem_responses(401, 403, 404, 409, 412, 413, 422, 428))
def update_coaching_programme(programme_id: PathId, body: ProgrammeUpdate, response: Response,
                              session: SessionDep, actor: CoachingManageActor,
                              if_match: IfMatch = None) -> ProgrammeRead:
    """Change a coaching programme (admin; JSON merge patch; needs `If-Match`). Enrolments
    already made stand."""
    version = expected_version(if_match, "coaching-programme", programme_id)
    programme = coaching.update_programme(session, actor, programme_id, changes=body.changes(),
                                          expected_version=version)
    set_etag(response, "coaching-programme", programme_id, programme.version)
    return ProgrammeRead.model_validate(programme)


# --- enrolments -------------------------------------------------------------------------------


@router.post("/enrolments", operation_id="create_coaching_enrolment",
             status_code=status.HTTP_201_CREATED, response_model=EnrolmentRead,
             responses=problem_responses(401, 403, 409, 413, 422))
def create_coaching_enrolment(body: EnrolmentCreate, request: Request, response: Response,
                              session: SessionDep, actor: CoachingManageActor) -> EnrolmentRead:
    """Enrol a coachee on a programme with a coach (admin). The coachee's band must be in the
    programme's cohort; coach and coachee are two different active people; a coachee is
    enrolled once per programme. While the enrolment is active the coach reads the
    coachee's growth records."""
    found = coaching.create_enrolment(session, actor, programme_id=body.programme_id,
                                      coachee_id=body.coachee_id, coach_id=body.coach_id)
    response.headers["Location"] = location(request, "get_coaching_enrolment",
                                                       enrolment_id=found.enrolment.id)
    _enrolment_etag(response, found)
    return EnrolmentRead.of(found)


@router.get("/enrolments", operation_id="list_coaching_enrolments",
            response_model=Page[EnrolmentRead], responses=problem_responses(401, 403, 422))
def list_coaching_enrolments(session: SessionDep, actor: GrowthActor, paging: Paging,
                             programme_id: FilterId = None,
                             coachee_id: FilterId = None,
                             coach_id: FilterId = None) -> Page[EnrolmentRead]:
    """List the enrolments you may see, with their progress: your own, those of people you
    line manage (directly or through the chain), and those you are the coach on. Admins see
    every enrolment."""
    page = coaching.list_enrolments(session, actor, programme_id=programme_id,
                                    coachee_id=coachee_id, coach_id=coach_id,
                                    cursor=paging.cursor, limit=paging.limit)
    return Page(items=[EnrolmentRead.of(v) for v in page.items], next_cursor=page.next_cursor)


@router.get("/enrolments/{enrolment_id:int}", operation_id="get_coaching_enrolment",
            response_model=EnrolmentRead, responses=problem_responses(401, 403, 404, 422))
def get_coaching_enrolment(enrolment_id: PathId, response: Response, session: SessionDep,
                           actor: GrowthActor) -> EnrolmentRead:
    """Read an enrolment and its progress against the programme's plan."""
    found = coaching.view_enrolment(session, actor, enrolment_id)
    _enrolment_etag(response, found)
    return EnrolmentRead.of(found)


@router.post("/enrolments/{enrolment_id:int}/withdraw", operation_id="withdraw_coaching_enrolment",
             response_model=EnrolmentRead, responses=problem_responses(401, 403, 404, 422))
def withdraw_coaching_enrolment(enrolment_id: PathId, response: Response, session: SessionDep,
                                actor: CoachingManageActor) -> EnrolmentRead:
    """Withdraw an enrolment (admin): the coach no longer coaches the coachee, and sessions
    still scheduled are cancelled. Withdrawing again changes nothing."""
    found = coaching.withdraw_enrolment(session, actor, enrolment_id)
    _enrolment_etag(response, found)
    return EnrolmentRead.of(found)


# --- sessions ---------------------------------------------------------------------------------


@router.post("/sessions", operation_id="schedule_coaching_session",
             status_code=status.HTTP_201_CREATED, response_model=SessionRead,
             responses=problem_responses(401, 403, 404, 409, 413, 422))
def schedule_coaching_session(body: SessionCreate, request: Request, response: Response,
                              session: SessionDep, actor: GrowthActor) -> SessionRead:
    """Schedule a coaching session (the coach or the coachee of an active enrolment)."""
    found = coaching.schedule_session(session, actor, enrolment_id=body.enrolment_id,
                                      scheduled_for=body.scheduled_for, topics=body.topics)
    response.headers["Location"] = location(request, "get_coaching_session",
                                                       session_id=found.record.id)
    set_etag(response, "coaching-session", id_of(found.record), found.record.version)
    return SessionRead.of(found)


@router.get("/sessions", operation_id="list_coaching_sessions", response_model=Page[SessionRead],
            responses=problem_responses(401, 403, 404, 422))
def list_coaching_sessions(enrolment_id: Annotated[PathId, Query()], session: SessionDep,
                           actor: GrowthActor, paging: Paging) -> Page[SessionRead]:
    """List an enrolment's sessions (the coachee, their management chain and their coach).
    Notes are shown to the coach and the coachee only."""
    page = coaching.list_sessions(session, actor, enrolment_id=enrolment_id,
                                  cursor=paging.cursor, limit=paging.limit)
    return Page(items=[SessionRead.of(v) for v in page.items], next_cursor=page.next_cursor)


@router.get("/sessions/{session_id:int}", operation_id="get_coaching_session",
            response_model=SessionRead, responses=problem_responses(401, 403, 404, 422))
def get_coaching_session(session_id: PathId, response: Response, session: SessionDep,
                         actor: GrowthActor) -> SessionRead:
    """Read a coaching session. Notes are shown to the coach and the coachee only."""
    found = coaching.view_session(session, actor, session_id)
    set_etag(response, "coaching-session", session_id, found.record.version)
    return SessionRead.of(found)


@router.patch("/sessions/{session_id:int}", operation_id="update_coaching_session",
              response_model=SessionRead,
              responses=problem_responses(401, 403, 404, 409, 412, 413, 422, 428))
def update_coaching_session(session_id: PathId, body: SessionUpdate, response: Response,
                            session: SessionDep, actor: GrowthActor,
                            if_match: IfMatch = None) -> SessionRead:
    """Record a session as held or cancelled, and its topics and notes (the coach or the
    coachee; JSON merge patch; needs `If-Match`). A held or cancelled session is settled: it
    cannot go back to scheduled."""
    version = expected_version(if_match, "coaching-session", session_id)
    found = coaching.update_session(session, actor, session_id, changes=body.changes(),
                                    expected_version=version)
    set_etag(response, "coaching-session", session_id, found.record.version)
    return SessionRead.of(found)

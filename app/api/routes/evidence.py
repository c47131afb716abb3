"""Routes: evidence."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from app.api.auth import GrowthActor, IfMatch, Paging
from app.api.conditional import expected_version, set_etag
from app.api.deps import API_PREFIX, SessionDep
from app.api.links import location
from app.api.problems import problem_responses
from app.api.schemas.common import Page, PathId
from app.api.schemas.evidence import Day, EvidenceCreate, EvidenceRead, EvidenceUpdate
from app.db.models import id_of
from app.domain.vocabulary import EvidenceKind, EvidenceSource
from app.services.growth import evidence

router = APIRouter(prefix=f"{API_PREFIX}/evidence", tags=["evidence"])


@router.post("", operation_id="record_evidence", status_code=status.HTTP_201_CREATED,
             response_model=EvidenceRead, responses=problem_responses(401, 403, 404, 413, 422))
def record_evidence(body: EvidenceCreate, request: Request, response: Response,
                    session: SessionDep, actor: GrowthActor) -> EvidenceRead:
    """Record evidence about yourself: an accomplishment (the weekly log), training (with
    `hours` and `topic`), a qualification, user feedback, a retrospective action, or other.
    Evidence is written by the person it is about; delivery evidence (`ticket_done`,
    `production_change`) arrives only from Jira and GitHub."""
    found = evidence.record_evidence(session, actor, **body.values())
    response.headers["Location"] = location(request, "get_evidence", evidence_id=found.id)
    set_etag(response, "evidence", id_of(found), found.version)
    return EvidenceRead.of(found)


@router.get("", operation_id="list_evidence", response_model=Page[EvidenceRead],
            responses=problem_responses(401, 403, 404, 422))
def list_evidence(
    session: SessionDep, actor: GrowthActor, paging: Paging,
    person_id: Annotated[PathId | None, Query(description="Whose (default: yours)")] = None,
    kind: EvidenceKind | None = None, source: EvidenceSource | None = None,
    start: Annotated[Day | None, Query(alias="from", description="On or after this date")] = None,
    end: Annotated[Day | None, Query(alias="to", description="On or before this date")] = None,
    objective_id: Annotated[PathId | None, Query()] = None,
    include_retracted: Annotated[bool, Query(
        description="Include evidence its integration has retracted")] = False,
) -> Page[EvidenceRead]:
    """List a person's evidence (the person, their management chain, coach and buddy),
    filtered by kind, source, objective and `occurred_on` from..to (inclusive)."""
    page = evidence.list_evidence(session, actor, person_id=person_id, kind=kind, source=source,
                                  start=start, end=end, objective_id=objective_id,
                                  include_retracted=include_retracted, cursor=paging.cursor,
                                  limit=paging.limit)
    return Page(items=[EvidenceRead.of(e) for e in page.items], next_cursor=page.next_cursor)


@router.get("/{evidence_id:int}", operation_id="get_evidence", response_model=EvidenceRead,
            responses=problem_responses(401, 403, 404, 422))
def get_evidence(evidence_id: PathId, response: Response, session: SessionDep,
                 actor: GrowthActor) -> EvidenceRead:
    """Read one piece of evidence."""
    found = evidence.get_visible(session, actor, evidence_id)
    set_etag(response, "evidence", evidence_id, found.version)
    return EvidenceRead.of(found)


@router.patch("/{evidence_id:int}", operation_id="update_evidence", response_model=EvidenceRead,
              responses=problem_responses(401, 403, 404, 409, 412, 413, 422, 428))
def update_evidence(evidence_id: PathId, body: EvidenceUpdate, response: Response,
                    session: SessionDep, actor: GrowthActor,
                    if_match: IfMatch = None) -> EvidenceRead:
    """Change your own evidence (JSON merge patch; needs `If-Match`). Evidence from Jira or
    GitHub cannot be changed here: it changes only when the integration says so."""
    version = expected_version(if_match, "evidence", evidence_id)
    found = evidence.update_evidence(session, actor, evidence_id, changes=body.changes(),
                                     expected_version=version)
    set_etag(response, "evidence", evidence_id, found.version)
    return EvidenceRead.of(found)


@router.delete("/{evidence_id:int}", operation_id="delete_evidence",
               status_code=status.HTTP_204_NO_CONTENT,
               responses=problem_responses(401, 403, 404, 409, 422))
def delete_evidence(evidence_id: PathId, session: SessionDep, actor: GrowthActor) -> Response:
    """Delete your own evidence recorded in error. Evidence from Jira or GitHub cannot be
    deleted here."""
    evidence.delete_evidence(session, actor, evidence_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

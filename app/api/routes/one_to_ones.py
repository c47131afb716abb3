"""Routes: one-to-ones."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from app.api.auth import GrowthActor, IfMatch, Paging
from app.api.conditional import expected_version, set_etag
from app.api.deps import API_PREFIX, SessionDep
from app.api.links import location
from app.api.problems import problem_responses
from app.api.schemas.common import Page, PathId
from app.api.schemas.evidence import Day
from app.api.schemas.one_to_ones import OneToOneCreate, OneToOneRead, OneToOneUpdate
from app.db.models import id_of
from app.services.growth import one_to_ones

router = APIRouter(prefix=f"{API_PREFIX}/one-to-ones", tags=["one-to-ones"])


@router.post("", operation_id="record_one_to_one", status_code=status.HTTP_201_CREATED,
             response_model=OneToOneRead,
             responses=problem_responses(401, 403, 404, 409, 413, 422))
def record_one_to_one(body: OneToOneCreate, request: Request, response: Response,
                      session: SessionDep, actor: GrowthActor) -> OneToOneRead:
    """Record a one-to-one, held or cancelled (the person or their line manager). The
    person's current line manager is recorded as the other participant. One record per
    person per date."""
    found = one_to_ones.record_one_to_one(session, actor, person_id=body.person_id, on=body.on,
                                          status=body.status, notes=body.notes)
    record = found.one_to_one
    response.headers["Location"] = location(request, "get_one_to_one",
                                                       one_to_one_id=record.id)
    set_etag(response, "one-to-one", id_of(record), record.version)
    return OneToOneRead.of(found)


@router.get("", operation_id="list_one_to_ones", response_model=Page[OneToOneRead],
            responses=problem_responses(401, 403, 404, 422))
def list_one_to_ones(
    session: SessionDep, actor: GrowthActor, paging: Paging,
    person_id: Annotated[PathId | None, Query(description="Whose (default: yours)")] = None,
    start: Annotated[Day | None, Query(alias="from", description="On or after this date")] = None,
    end: Annotated[Day | None, Query(alias="to", description="On or before this date")] = None,
) -> Page[OneToOneRead]:
    """List a person's one-to-ones (the person and their management chain). Notes are shown
    only to the two participants."""
    page = one_to_ones.list_one_to_ones(session, actor, person_id=person_id, start=start,
                                        end=end, cursor=paging.cursor, limit=paging.limit)
    return Page(items=[OneToOneRead.of(v) for v in page.items], next_cursor=page.next_cursor)


@router.get("/{one_to_one_id:int}", operation_id="get_one_to_one", response_model=OneToOneRead,
            responses=problem_responses(401, 403, 404, 422))
def get_one_to_one(one_to_one_id: PathId, response: Response, session: SessionDep,
                   actor: GrowthActor) -> OneToOneRead:
    """Read a one-to-one; the notes only if you were one of the two people in it."""
    found = one_to_ones.get_one_to_one(session, actor, one_to_one_id)
    set_etag(response, "one-to-one", one_to_one_id, found.one_to_one.version)
    return OneToOneRead.of(found)


@router.patch("/{one_to_one_id:int}", operation_id="update_one_to_one",
              response_model=OneToOneRead,
              responses=problem_responses(401, 403, 404, 409, 412, 413, 422, 428))
def update_one_to_one(one_to_one_id: PathId, body: OneToOneUpdate, response: Response,
                      session: SessionDep, actor: GrowthActor,
                      if_match: IfMatch = None) -> OneToOneRead:
    """Change a one-to-one (its two participants only; JSON merge patch; needs `If-Match`)."""
    version = expected_version(if_match, "one-to-one", one_to_one_id)
    found = one_to_ones.update_one_to_one(session, actor, one_to_one_id,
                                          changes=body.changes(), expected_version=version)
    set_etag(response, "one-to-one", one_to_one_id, found.one_to_one.version)
    return OneToOneRead.of(found)

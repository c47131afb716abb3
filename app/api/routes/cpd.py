"""Routes: a person's CPD record, as JSON or Markdown."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.api.auth import GrowthActor
from app.api.deps import API_PREFIX, SessionDep
from app.api.negotiation import MARKDOWN, prefers
from app.api.problems import problem_responses
from app.api.render.cpd import cpd_markdown
from app.api.schemas.common import PathId, IsoDate
from app.api.schemas.cpd import CpdRecord
from app.services.growth import cpd

router = APIRouter(prefix=f"{API_PREFIX}/people", tags=["cpd"])

JSON = "application/json"
QueryDate = IsoDate  # YYYY-MM-DD only
From = Annotated[QueryDate | None, Query(alias="from", description="First day (YYYY-MM-DD); "
                                                                  "default a year before `to`")]
To = Annotated[QueryDate | None, Query(alias="to", description="Last day (YYYY-MM-DD); "
                                                              "default today")]


def wants_markdown(accept: str | None) -> bool:
    """Markdown when the caller prefers it to JSON; JSON on a tie or anything unknown."""
    return prefers(accept, MARKDOWN)


@router.get(
    "/{person_id:int}/cpd", operation_id="get_cpd_record", response_model=CpdRecord,
    responses={200: {"description": "The CPD record: JSON by default, Markdown with "
                                    "`Accept: text/markdown`",
                     "content": {MARKDOWN: {"schema": {"type": "string"}}},
                     "headers": {"Vary": {"description": "Accept",
                                          "schema": {"type": "string"}}}},
               **problem_responses(401, 403, 404, 422)},
)
def get_cpd_record(person_id: PathId, request: Request, response: Response, session: SessionDep,
                   actor: GrowthActor, start: From = None, end: To = None) -> CpdRecord | Response:
    """A person's continuing-professional-development record for a date range, to help them
    prepare for promotion (the person and their management chain): objectives of the
    quarters the range overlaps with their check-ins, evidence, training, qualifications,
    accomplishments by week and coaching, with totals.

    Send `Accept: text/markdown` for a document to read and share; anything else answers JSON.
    """
    record = cpd.cpd_record(session, actor, person_id, start=start, end=end)
    if wants_markdown(request.headers.get("accept")):
        return Response(content=cpd_markdown(record),
                        media_type=f"{MARKDOWN}; charset=utf-8", headers={"Vary": "Accept"})
    response.headers["Vary"] = "Accept"
    return CpdRecord.of(record)

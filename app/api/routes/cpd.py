"""Routes: a person's CPD record, as JSON or Markdown."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, Security
from pydantic import BeforeValidator

from app.api.deps import API_PREFIX, SessionDep, current_actor
from app.api.problems import problem_responses
from app.api.schemas.common import PathId
from app.api.schemas.cpd import CpdRecord
from app.domain.policy import Actor
from app.domain.scopes import Scope
from app.services import cpd

router = APIRouter(prefix=f"{API_PREFIX}/people", tags=["cpd"])

Member = Annotated[Actor, Security(current_actor, scopes=[Scope.growth])]
JSON = "application/json"
MARKDOWN = "text/markdown"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date(value: object) -> object:
    # Only YYYY-MM-DD: a bare number would otherwise be read as a Unix time.
    if isinstance(value, str) and not _ISO_DATE.match(value):
        raise ValueError("a date is written YYYY-MM-DD")
    return value


QueryDate = Annotated[date, BeforeValidator(_iso_date)]
From = Annotated[QueryDate | None, Query(alias="from", description="First day (YYYY-MM-DD); "
                                                                  "default a year before `to`")]
To = Annotated[QueryDate | None, Query(alias="to", description="Last day (YYYY-MM-DD); "
                                                              "default today")]


def _quality(accept: str, offered: str) -> float:
    """The q-value an Accept header gives a media type (the most specific range wins)."""
    kind = offered.split("/")[0]
    best: tuple[int, float] | None = None
    for part in accept.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        media = media.lower()
        if media == offered:
            specificity = 2
        elif media == f"{kind}/*":
            specificity = 1
        elif media == "*/*":
            specificity = 0
        else:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        if best is None or specificity > best[0]:
            best = (specificity, q)
    return best[1] if best else 0.0


def wants_markdown(accept: str | None) -> bool:
    """Markdown when the caller prefers it to JSON; JSON on a tie or anything unknown."""
    if not accept:
        return False
    markdown = _quality(accept, MARKDOWN)
    return markdown > 0 and markdown > _quality(accept, JSON)


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
                   actor: Member, start: From = None, end: To = None) -> CpdRecord | Response:
    """A person's continuing-professional-development record for a date range, to help them
    prepare for promotion (the person and their management chain): objectives of the
    quarters the range overlaps with their check-ins, evidence, training, qualifications,
    accomplishments by week and coaching, with totals.

    Send `Accept: text/markdown` for a document to read and share; anything else answers JSON.
    """
    record = cpd.cpd_record(session, actor, person_id, start=start, end=end)
    if wants_markdown(request.headers.get("accept")):
        return Response(content=cpd.render_markdown(record),
                        media_type=f"{MARKDOWN}; charset=utf-8", headers={"Vary": "Accept"})
    response.headers["Vary"] = "Accept"
    return CpdRecord.of(record)

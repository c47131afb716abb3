"""People: the directory, personal details, line management, import, time allocation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool

from app.api.auth import IfMatch, Paging, PeopleReadActor, PeopleWriteActor
from app.api.conditional import expected_version, set_etag
from app.api.deps import API_PREFIX, SessionDep, SettingsDep
from app.api.links import location
from app.api.problems import problem, problem_responses
from app.api.schemas.common import Page, PathId
from app.api.schemas.duties import PasswordLinkRead
from app.api.schemas.people import (ImportReport, PersonCreate, PersonRead,
                                    PersonUpdate, RankedActivity, TimeAllocation,
                                    TimeAllocationRequest)
from app.db.models import id_of
from app.domain import bands as band_rules
from app.domain.errors import InvalidInput, RuleViolation
from app.domain.vocabulary import Band
from app.services.identity import credentials
from app.services.integrations import replay
from app.services.org import people, people_import
from app.services.org.people import PersonView

router = APIRouter(prefix=f"{API_PREFIX}/people", tags=["people"])


@router.post("", operation_id="create_person", status_code=status.HTTP_201_CREATED,
             response_model=PersonRead,
             responses=problem_responses(401, 403, 409, 413, 422))
def create_person(body: PersonCreate, request: Request, response: Response,
                  session: SessionDep, settings: SettingsDep,
                  actor: PeopleWriteActor) -> PersonRead:
    """Create a person (admin). Line-management rules apply; an admin may override a matrix
    rule by giving `override_reason`, which is recorded."""
    person = people.create_person(session, actor, values=body.values(),
                                  override_reason=body.override_reason,
                                  on_identity_change=replay.on_identity_change(session, settings))
    response.headers["Location"] = location(request, "get_person", person_id=person.id)
    set_etag(response, "person", id_of(person), person.version)
    return PersonRead.of(PersonView(person, [], True))


@router.get("", operation_id="list_people", response_model=Page[PersonRead],
            responses=problem_responses(401, 403, 422))
def list_people(session: SessionDep, actor: PeopleReadActor, paging: Paging,
                team_id: Annotated[PathId | None, Query()] = None,
                line_manager_id: Annotated[PathId | None, Query()] = None,
                band: Band | None = None, active: bool | None = None) -> Page[PersonRead]:
    """List the directory, filtered by team, line manager, band or active."""
    page = people.list_people(session, actor, team_id=team_id, line_manager_id=line_manager_id,
                              band=band, active=active, cursor=paging.cursor, limit=paging.limit)
    return Page(items=[PersonRead.of(v) for v in page.items], next_cursor=page.next_cursor)


@router.post(
    "/import", operation_id="import_people", response_model=ImportReport,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": ImportReport, "description": "Dry run: checked, nothing stored"},
               **problem_responses(401, 403, 413, 415, 422)},
    openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {
        "schema": {"type": "string", "maxLength": 1048576},
        "example": "name,email,kind,band,line_manager_email,roles,employee_number\n"
                   "Ada Lovelace,ada@example.org,employee,8a,,,000123\n"}}}},
)
async def import_people(request: Request, response: Response, session: SessionDep,
                        settings: SettingsDep, actor: PeopleWriteActor,
                        dry_run: bool = False) -> ImportReport | Response:
    """Import people from CSV (`Content-Type: text/csv`): every row or none.

    Columns: `name`, `email`, `kind` (required), `band`, `line_manager_email`, `buddy_email`,
    `roles` (separated by `;`), `employee_number`, `jira_account_id`, `github_login`. A line
    manager may be someone already in GPS or a row earlier or later in the file. With
    `dry_run=true` the file is checked and nothing is stored. Problems come back in `errors`,
    one per row and field.
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in {"text/csv", "application/csv"}:
        return problem(request, 415, code="unsupported-media-type",
                       detail="Send the file with `Content-Type: text/csv`.")
    raw = await request.body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(detail="The CSV is not UTF-8 text.") from None
    # In a worker thread: a slow or unreachable database must not stall the event loop.
    created = await run_in_threadpool(people_import.import_people, session, actor,
                                      csv_text=text, dry_run=dry_run,
                                      on_identity_change=replay.on_identity_change(session, settings))
    if dry_run:
        response.status_code = status.HTTP_200_OK
    return ImportReport(created=0 if dry_run else len(created), dry_run=dry_run,
                        people=[PersonRead.of(PersonView(p, [], True)) for p in created])


@router.get("/{person_id:int}", operation_id="get_person", response_model=PersonRead,
            responses=problem_responses(401, 403, 404, 422))
def get_person(person_id: PathId, response: Response, session: SessionDep,
               actor: PeopleReadActor) -> PersonRead:
    """Read a person: the directory entry for everyone, personal fields for the person,
    their management chain and admins."""
    found = people.view(session, actor, person_id)
    set_etag(response, "person", person_id, found.person.version)
    return PersonRead.of(found)


@router.patch("/{person_id:int}", operation_id="update_person", response_model=PersonRead,
              responses=problem_responses(401, 403, 404, 409, 412, 413, 422, 428))
def update_person(person_id: PathId, body: PersonUpdate, response: Response,
                  session: SessionDep, settings: SettingsDep, actor: PeopleWriteActor,
                  if_match: IfMatch = None) -> PersonRead:
    """Change a person (admin; JSON merge patch; needs `If-Match`). Deactivating a person
    stops their tokens at once."""
    version = expected_version(if_match, "person", person_id)
    person = people.update_person(session, actor, person_id, changes=body.changes(),
                                  expected_version=version,
                                  override_reason=body.override_reason,
                                  on_identity_change=replay.on_identity_change(session, settings))
    set_etag(response, "person", person_id, person.version)
    return PersonRead.of(people.view(session, actor, person_id))


@router.post("/{person_id:int}/password-link", operation_id="create_password_link",
             status_code=status.HTTP_201_CREATED, response_model=PasswordLinkRead,
             responses=problem_responses(401, 403, 404, 409, 422))
def create_password_link(person_id: PathId, session: SessionDep, settings: SettingsDep,
                         actor: PeopleWriteActor) -> PasswordLinkRead:
    """Issue a one-time set-password link for a person (admin): the token is shown once,
    valid once, for `GPS_PASSWORD_LINK_HOURS`; an earlier unused link stops working. Nobody
    sets another person's password: the person chooses their own with the link.

    Refused (409) for holders of `admin` or `case_manager`, for people whose password is a
    matter for themselves or the service desk, and for the admin's own reports. A repeated
    request issues a new link (the token is never stored, so `Idempotency-Key` is not
    honoured here)."""
    issued = credentials.issue_link(session, actor, person_id=person_id, settings=settings)
    return PasswordLinkRead(person_id=issued.person_id, token=issued.token,
                            expires_at=issued.expires_at)


@router.get("/{person_id:int}/reports", operation_id="list_reports", response_model=list[PersonRead],
            responses=problem_responses(401, 403, 404, 422))
def list_reports(person_id: PathId, session: SessionDep,
                 actor: PeopleReadActor) -> list[PersonRead]:
    """List a person's current direct reports."""
    return [PersonRead.of(v) for v in people.direct_reports(session, actor, person_id)]


@router.post("/{person_id:int}/time-allocation", operation_id="order_activities",
             response_model=TimeAllocation, responses=problem_responses(401, 403, 404, 413, 422))
def order_activities(person_id: PathId, body: TimeAllocationRequest, session: SessionDep,
                     actor: PeopleReadActor) -> TimeAllocation:
    """Order candidate activities by the time-allocation rule: "prioritise those activities
    delivering the most benefit to others" — own column first, then preceding columns,
    nearest first; activities outside the person's role last."""
    person = people.view(session, actor, person_id).person
    if person.band is None:
        raise RuleViolation(detail="This person has no band, so the responsibility matrix does "
                                   "not apply to them.", rule="BAND-REQUIRED")
    band = Band(person.band)
    ranked = band_rules.order_activities(band, [band_rules.Activity(a.name, a.responsibility)
                                                for a in body.activities])
    return TimeAllocation(
        person_id=person_id, band=band,
        rule="Prioritise those activities delivering the most benefit to others",
        activities=[RankedActivity(rank=r.rank, name=r.activity.name,
                                   responsibility=r.activity.responsibility, column=r.column,
                                   distance=r.distance) for r in ranked])

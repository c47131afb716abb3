"""Bands (reference data), teams, absences and service accounts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from app.api.auth import (AbsencesActor, IfMatch, Paging, PeopleReadActor,
                          ServiceAccountsActor, TeamsWriteActor)
from app.api.conditional import expected_version, set_etag
from app.api.deps import API_PREFIX, SessionDep
from app.api.links import location
from app.api.problems import problem_responses
from app.api.schemas.common import IsoDate, Page, PathId
from app.api.schemas.org import (AbsenceCreate, AbsenceRead, BandRead, ServiceAccountCreate,
                                 ServiceAccountCreated, ServiceAccountRead, TeamCreate, TeamRead,
                                 TeamUpdate)
from app.db.models import id_of
from app.domain import bands as band_rules
from app.domain.vocabulary import Band
from app.services.identity import service_accounts
from app.services.org import teams
from app.services.support import absences

router = APIRouter(prefix=API_PREFIX)

RecordId = Annotated[int, Query(ge=1, le=2**31 - 1)]


@router.get("/bands", operation_id="list_bands", response_model=list[BandRead], tags=["bands"],
            responses=problem_responses(401, 403))
def list_bands(actor: PeopleReadActor) -> list[BandRead]:
    """List the bands with their title, focus, own responsibilities and cumulative role."""
    return [BandRead.of(p) for p in band_rules.all_profiles()]


@router.get("/bands/{band}", operation_id="get_band", response_model=BandRead, tags=["bands"],
            responses=problem_responses(401, 403, 404, 422))
def get_band(band: Band, actor: PeopleReadActor) -> BandRead:
    """Read one band: its own column of the matrix and its whole (cumulative) role."""
    return BandRead.of(band_rules.profile(band))


@router.post("/teams", operation_id="create_team", status_code=status.HTTP_201_CREATED,
             response_model=TeamRead, tags=["teams"],
             responses=problem_responses(401, 403, 409, 413, 422))
def create_team(body: TeamCreate, request: Request, response: Response, session: SessionDep,
                actor: TeamsWriteActor) -> TeamRead:
    """Create a team (admin): members, delivery manager, product owner, Jira boards, sprint
    cadence."""
    found = teams.create_team(session, actor, values=body.values())
    response.headers["Location"] = location(request, "get_team", team_id=found.team.id)
    set_etag(response, "team", id_of(found.team), found.team.version)
    return TeamRead.of(found)


@router.get("/teams", operation_id="list_teams", response_model=Page[TeamRead], tags=["teams"],
            responses=problem_responses(401, 403, 422))
def list_teams(session: SessionDep, actor: PeopleReadActor, paging: Paging) -> Page[TeamRead]:
    """List teams."""
    page = teams.list_teams(session, actor, cursor=paging.cursor, limit=paging.limit)
    return Page(items=[TeamRead.of(v) for v in page.items], next_cursor=page.next_cursor)


@router.get("/teams/{team_id:int}", operation_id="get_team", response_model=TeamRead,
            tags=["teams"], responses=problem_responses(401, 403, 404, 422))
def get_team(team_id: PathId, response: Response, session: SessionDep,
             actor: PeopleReadActor) -> TeamRead:
    """Read a team."""
    found = teams.view(session, actor, team_id)
    set_etag(response, "team", team_id, found.team.version)
    return TeamRead.of(found)


@router.patch("/teams/{team_id:int}", operation_id="update_team", response_model=TeamRead,
              tags=["teams"], responses=problem_responses(401, 403, 404, 409, 412, 413, 422, 428))
def update_team(team_id: PathId, body: TeamUpdate, response: Response, session: SessionDep,
                actor: TeamsWriteActor, if_match: IfMatch = None) -> TeamRead:
    """Change a team (admin; JSON merge patch; needs `If-Match`). `member_ids` and
    `jira_board_ids`, when sent, replace the whole list."""
    version = expected_version(if_match, "team", team_id)
    found = teams.update_team(session, actor, team_id, changes=body.changes(),
                              expected_version=version)
    set_etag(response, "team", team_id, found.team.version)
    return TeamRead.of(found)


@router.post("/absences", operation_id="record_absence", status_code=status.HTTP_201_CREATED,
             response_model=AbsenceRead, tags=["absences"],
             responses=problem_responses(401, 403, 404, 413, 422))
def record_absence(body: AbsenceCreate, session: SessionDep, actor: AbsencesActor) -> AbsenceRead:
    """Record a period of absence (the person, their line manager, or an admin). Periods
    mostly covered by absence are excused from target evaluation. An absence the person
    records that is longer than the policy's `absence_confirm_days`, or covers a whole
    quarter, excuses nothing until their line manager confirms it (`confirmed_at` null until
    then); one the line manager or an admin records is confirmed as it is recorded."""
    absence = absences.record_absence(session, actor, person_id=body.person_id, kind=body.kind,
                                      start_date=body.start_date, end_date=body.end_date,
                                      note=body.note)
    return AbsenceRead.model_validate(absence)


@router.post("/absences/{absence_id:int}/confirm", operation_id="confirm_absence",
             response_model=AbsenceRead, tags=["absences"],
             responses=problem_responses(401, 403, 404, 409, 422))
def confirm_absence(absence_id: PathId, session: SessionDep,
                    actor: AbsencesActor) -> AbsenceRead:
    """Confirm a long absence of a report (their line manager, or an admin), so that it
    excuses the periods it covers. The evaluations of those periods become stale."""
    return AbsenceRead.model_validate(absences.confirm_absence(session, actor, absence_id))


@router.get("/absences", operation_id="list_absences", response_model=Page[AbsenceRead],
            tags=["absences"], responses=problem_responses(401, 403, 404, 422))
def list_absences(person_id: RecordId, session: SessionDep, actor: AbsencesActor,
                  start: Annotated[IsoDate | None, Query(alias="from")] = None,
                  end: Annotated[IsoDate | None, Query(alias="to")] = None,
                  *, paging: Paging) -> Page[AbsenceRead]:
    """List a person's absences (the person, their management chain, admins), optionally
    those overlapping `from`..`to`."""
    page = absences.list_absences(session, actor, person_id=person_id, start=start, end=end,
                                  cursor=paging.cursor, limit=paging.limit)
    return Page(items=[AbsenceRead.model_validate(a) for a in page.items],
                next_cursor=page.next_cursor)


@router.delete("/absences/{absence_id:int}", operation_id="delete_absence",
               status_code=status.HTTP_204_NO_CONTENT, tags=["absences"],
               responses=problem_responses(401, 403, 404, 422))
def delete_absence(absence_id: PathId, session: SessionDep, actor: AbsencesActor) -> Response:
    """Delete an absence recorded in error."""
    absences.delete_absence(session, actor, absence_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/service-accounts", operation_id="create_service_account",
             status_code=status.HTTP_201_CREATED, response_model=ServiceAccountCreated,
             tags=["service accounts"], responses=problem_responses(401, 403, 413, 422))
def create_service_account(body: ServiceAccountCreate, session: SessionDep,
                           actor: ServiceAccountsActor) -> ServiceAccountCreated:
    """Create a service account (admin). The `client_secret` is shown only in this answer
    and stored hashed."""
    account, secret = service_accounts.create(session, actor, name=body.name, scopes=body.scopes)
    return ServiceAccountCreated(**ServiceAccountRead.model_validate(account).model_dump(),
                                 client_secret=secret)


@router.get("/service-accounts", operation_id="list_service_accounts",
            response_model=Page[ServiceAccountRead], tags=["service accounts"],
            responses=problem_responses(401, 403, 422))
def list_service_accounts(session: SessionDep, actor: ServiceAccountsActor,
                          paging: Paging) -> Page[ServiceAccountRead]:
    """List service accounts (admin), revoked ones included."""
    page = service_accounts.list_accounts(session, actor, cursor=paging.cursor,
                                          limit=paging.limit)
    return Page(items=[ServiceAccountRead.model_validate(a) for a in page.items],
                next_cursor=page.next_cursor)


@router.delete("/service-accounts/{account_id:int}", operation_id="revoke_service_account",
               status_code=status.HTTP_204_NO_CONTENT, tags=["service accounts"],
               responses=problem_responses(401, 403, 404, 422))
def revoke_service_account(account_id: PathId, session: SessionDep,
                           actor: ServiceAccountsActor) -> Response:
    """Revoke a service account (admin): its tokens stop working at once."""
    service_accounts.revoke(session, actor, account_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

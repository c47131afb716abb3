"""Who is calling, and what every route declares about its caller and its request.

Where a scope is checked
------------------------
A route declares the scope it needs with one of the actor aliases below, one per member of
`app.domain.scopes.Scope` and named after it (`Scope.growth` → `GrowthActor`,
`Scope.people_write` → `PeopleWriteActor`); `SignedIn` needs no scope. That one declaration
does two things: it puts the scope in the route's OpenAPI security requirement, and it hands
the scope to `current_actor`, which signs the caller in and passes them to `check_scopes`.

`check_scopes`, in this module, is the one place the edge checks a scope: a token without the
declared scope is refused (403) before the route runs. It leaves two scopes alone,
`SERVICE_CHECKED_SCOPES` (`cases` and `concerns`): the case services in
`app/services/cases/` check those themselves, because every refused attempt at case work is
written to the audit log with the action and the case or person it was aimed at, which only
the service knows (the refusal carries that note to `app.api.deps`, which records it as the
request's unit of work rolls back).

Most services also call `require_scope` (`app/domain/access.py`) on the scope of their use
case. For a request that came through a route this repeats the edge's check, and it stays
on purpose: it is defence in depth, and the only check for callers that never pass through a
route (the `gps` command and the demo data, other services, tests), so that no use case
depends on every route remembering its alias. Both refuse with the same error, because
`check_scopes` refuses with `require_scope`.

Besides the caller, routes share two request parameters, declared here once: `IfMatch` (the
ETag a change is based on) and `Paging` (`limit` and `cursor`, with the default page size).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from fastapi import Depends, Header, Query, Request, Security
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlowPassword, OAuthFlows
from fastapi.security import OAuth2, SecurityScopes
from pydantic import BaseModel, ConfigDict

from app.api.deps import API_PREFIX, SessionDep, SettingsDep
from app.domain.access import Actor, require_scope
from app.domain.errors import Unauthenticated
from app.domain.scopes import DESCRIPTIONS, Scope
from app.services.identity import auth

TOKEN_URL = f"{API_PREFIX}/auth/token"

oauth2 = OAuth2(
    flows=OAuthFlows(
        password=OAuthFlowPassword(tokenUrl=TOKEN_URL, scopes=DESCRIPTIONS),
        clientCredentials=OAuthFlowClientCredentials(tokenUrl=TOKEN_URL, scopes=DESCRIPTIONS),
    ),
    scheme_name="OAuth2",
    description="Sign in with an e-mail address and password (people) or a client id and "
                "secret (service accounts) at POST /v1/auth/token. Where GPS is configured "
                "to trust the department's identity provider (GPS_OIDC_ISSUER), that "
                "provider's access tokens are accepted as bearer tokens too.",
    auto_error=False,
)

# Checked by the case services, which write each refusal to the case audit log.
SERVICE_CHECKED_SCOPES: frozenset[str] = frozenset({Scope.cases, Scope.concerns})


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        # Another scheme, or none: no bearer token was sent (RFC 6750 section 3.1).
        raise Unauthenticated(detail="Send the access token as `Authorization: Bearer <token>`.",
                              error=None)
    return token.strip()


def check_scopes(actor: Actor, declared: Iterable[str]) -> None:
    """The edge's scope check: refuse a caller whose token lacks a scope the route declares
    (except those the case services check, see the module docstring)."""
    for scope in declared:
        if scope not in SERVICE_CHECKED_SCOPES:
            require_scope(actor, scope)


def current_actor(security_scopes: SecurityScopes, request: Request, session: SessionDep,
                  settings: SettingsDep, _: Annotated[str | None, Depends(oauth2)]) -> Actor:
    """Authenticate the caller and check the scopes the route declares."""
    token = bearer_token(request)
    if token is None:
        raise Unauthenticated(detail="Sign in first: get a token at POST /v1/auth/token and "
                                     "send it as `Authorization: Bearer <token>`.", error=None)
    actor = auth.actor_from_token(session, settings, token)
    check_scopes(actor, security_scopes.scopes)
    return actor


# --- the caller: one alias per scope, named after it ----------------------------------------

SignedIn = Annotated[Actor, Security(current_actor)]
PeopleReadActor = Annotated[Actor, Security(current_actor, scopes=[Scope.people_read])]
PeopleWriteActor = Annotated[Actor, Security(current_actor, scopes=[Scope.people_write])]
TeamsWriteActor = Annotated[Actor, Security(current_actor, scopes=[Scope.teams_write])]
AbsencesActor = Annotated[Actor, Security(current_actor, scopes=[Scope.absences])]
ServiceAccountsActor = Annotated[Actor, Security(current_actor,
                                                 scopes=[Scope.service_accounts])]
HrFeedReadActor = Annotated[Actor, Security(current_actor, scopes=[Scope.hr_feed_read])]
GrowthActor = Annotated[Actor, Security(current_actor, scopes=[Scope.growth])]
CoachingManageActor = Annotated[Actor, Security(current_actor, scopes=[Scope.coaching_manage])]
IntegrationsActor = Annotated[Actor, Security(current_actor, scopes=[Scope.integrations])]
PolicyWriteActor = Annotated[Actor, Security(current_actor, scopes=[Scope.policy_write])]
EvaluationsActor = Annotated[Actor, Security(current_actor, scopes=[Scope.evaluations])]
# Declared for the contract; checked by the case services (SERVICE_CHECKED_SCOPES).
CasesActor = Annotated[Actor, Security(current_actor, scopes=[Scope.cases])]
ConcernsActor = Annotated[Actor, Security(current_actor, scopes=[Scope.concerns])]
InterventionsActor = Annotated[Actor, Security(current_actor, scopes=[Scope.interventions])]
DigestActor = Annotated[Actor, Security(current_actor, scopes=[Scope.digest])]
ReportsOrgActor = Annotated[Actor, Security(current_actor, scopes=[Scope.reports_org])]
ReportsTeamActor = Annotated[Actor, Security(current_actor, scopes=[Scope.reports_team])]
ConsultationActor = Annotated[Actor, Security(current_actor, scopes=[Scope.consultation])]
MetricsReadActor = Annotated[Actor, Security(current_actor, scopes=[Scope.metrics_read])]


# --- the request: the version a change is based on, and the page of a list ------------------

# Changes that need it (428 without it; `app.api.conditional.expected_version`).
IfMatch = Annotated[str | None, Header(max_length=200,
                                       description="The ETag from your last read")]
# Case actions: checked when sent, never required.
OptionalIfMatch = Annotated[str | None, Header(
    max_length=200, description="The ETag from your last read (optional)")]

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200

# Also declared alone by the HR feed, whose pages are sized its own way.
Cursor = Annotated[str | None, Query(max_length=200,
                                     description="Opaque cursor from a previous page's next_cursor")]


class PageRequest(BaseModel):
    """Which page of a list: at most `limit` items, after `cursor`."""

    model_config = ConfigDict(frozen=True)

    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE,
                                description=f"Page size (at most {MAX_PAGE_SIZE})")] \
        = DEFAULT_PAGE_SIZE
    cursor: Cursor = None


# The `limit` and `cursor` query parameters, documented where the route declares them (after
# parameters with defaults, keyword-only: `*, paging: Paging`).
Paging = Annotated[PageRequest, Query()]

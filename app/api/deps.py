"""Dependencies every route shares: the unit of work, the settings, the caller, paging."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import anyio
import anyio.to_thread
from fastapi import Depends, Query, Request
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlowPassword, OAuthFlows
from fastapi.security import OAuth2, SecurityScopes
from sqlmodel import Session

from app.domain.errors import DomainError, Unauthenticated
from app.domain.access import Actor, require_scope
from app.domain.scopes import DESCRIPTIONS
from app.services.identity import auth
from app.services.kit import audit
from app.settings import Settings

API_PREFIX = "/v1"
TOKEN_URL = f"{API_PREFIX}/auth/token"
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200

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


async def get_settings(request: Request) -> Settings:
    # Async because it does no I/O: a plain function would cost a trip to a worker thread.
    return request.app.state.settings


async def get_session(request: Request) -> AsyncIterator[Session]:
    """Open the request's unit of work; commit once after the route, roll back on error.

    Scoped to the route function, so the commit happens before the answer is sent: a write
    that fails to commit can never be answered with success.

    Opening a session does no I/O (it connects on its first statement, in the route's worker
    thread), so it happens on the event loop; only the ending, which talks to the database,
    goes to a worker thread, in one trip. That trip is shielded from cancellation and has a
    capacity of its own, so a connection is always returned to the pool, even when every
    worker thread is busy waiting for one.
    """
    read_only = request.method in ("GET", "HEAD", "OPTIONS")
    factory = request.app.state.read_session_factory if read_only else request.app.state.session_factory
    session: Session = factory()
    failure: BaseException | None = None
    try:
        yield session
    except BaseException as exc:
        failure = exc
        raise
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(_finish, session, failure,
                                           limiter=anyio.CapacityLimiter(1))


def _finish(session: Session, failure: BaseException | None) -> None:
    """Commit (no failure) or roll back, recording a refused action in the audit log; then
    give the connection back."""
    try:
        if failure is None:
            session.commit()
            return
        session.rollback()
        if isinstance(failure, DomainError) and failure.audit is not None:
            audit.record_refusal(session, failure.audit)
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


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


def current_actor(security_scopes: SecurityScopes, request: Request, session: SessionDep,
                  settings: SettingsDep, _: Annotated[str | None, Depends(oauth2)]) -> Actor:
    """Authenticate the caller and check the scopes the route declares."""
    token = bearer_token(request)
    if token is None:
        raise Unauthenticated(detail="Sign in first: get a token at POST /v1/auth/token and "
                                     "send it as `Authorization: Bearer <token>`.", error=None)
    actor = auth.actor_from_token(session, settings, token)
    for scope in security_scopes.scopes:
        require_scope(actor, scope)
    request.state.actor_label = actor.label
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE,
                             description=f"Page size (at most {MAX_PAGE_SIZE})")]
Cursor = Annotated[str | None, Query(max_length=200,
                                     description="Opaque cursor from a previous page's next_cursor")]

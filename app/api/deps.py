"""Dependencies every route shares: the unit of work, the settings, and the session factories
and engine for the routes that manage their own units of work (the caller and the parameters
routes share are declared in `app.api.auth`).

Only this module reads `app.state`; routes get what it holds from these dependencies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import anyio
import anyio.to_thread
from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.domain.errors import DomainError
from app.services.kit import audit
from app.settings import Settings

API_PREFIX = "/v1"


async def get_settings(request: Request) -> Settings:
    # Async because it does no I/O: a plain function would cost a trip to a worker thread.
    return request.app.state.settings


async def get_engine(request: Request) -> Engine:
    return request.app.state.engine


async def get_session_factory(request: Request) -> sessionmaker[Session]:
    """Sessions for units of work a route opens and commits itself (webhook deliveries)."""
    return request.app.state.session_factory


async def get_read_session_factory(request: Request) -> sessionmaker[Session]:
    """Read-only sessions for work outlasting the route (a streamed CSV export)."""
    return request.app.state.read_session_factory


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
EngineDep = Annotated[Engine, Depends(get_engine)]
SessionFactory = Annotated[sessionmaker[Session], Depends(get_session_factory)]
ReadSessionFactory = Annotated[sessionmaker[Session], Depends(get_read_session_factory)]

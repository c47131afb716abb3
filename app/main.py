"""The application factory: `gps serve`, or `uvicorn --factory app.main:create_app`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles

from app.api import links, problems
from app.api.deps import API_PREFIX
from app.api.idempotency import IdempotencyMiddleware
from app.api.idempotency import applies as idempotency_applies
from app.api.middleware import ConcurrencyLimitMiddleware, EdgeMiddleware
from app.api.routes import (auth, calendar, cases, checklists, coaching, consultations, cpd,
                            docs, evidence, hr, integrations, interventions, objectives,
                            one_to_ones, ops, org, people, reports, role_changes,
                            targets)
from app.db.engine import make_engine, make_session_factory
from app.settings import DEVELOPMENT_JWT_SECRET, Settings, get_settings

log = logging.getLogger("gps.startup")

VERSION = "1.0.0"

DESCRIPTION = """\
**GPS — Grow Perform Succeed** turns the department's growth policy into software: people and
bands, objectives and evidence, light targets that trigger *support* (never punishment) when
missed and recognition when met, and formal cases from which the person's line manager is
structurally excluded.

**Signing in.** Press *Authorize*, choose the password flow and give your e-mail address and
password (service accounts use client credentials). Tokens are short-lived bearer JWTs.

**Conventions.** Errors are `application/problem+json` (RFC 9457). Lists are paged with
`limit` and an opaque `cursor`, answering `{"items", "next_cursor"}`. Single records carry an
`ETag`; changes need `If-Match` (428 without, 412 when stale). Unknown fields in a body are
refused (422). Times are RFC 3339 in UTC. A POST may carry an `Idempotency-Key`: repeated
with the same key and body it answers once, from storage (`Idempotent-Replayed: true`).
Repeated failed sign-ins are refused for a while (429 with `Retry-After`).
"""

TAGS = [
    {"name": "identity", "description": "Sign in and out; who am I"},
    {"name": "people", "description": "The directory, personal details and line management"},
    {"name": "bands", "description": "The responsibility matrix (reference data)"},
    {"name": "teams", "description": "Teams, their leads, Jira boards and sprint cadence"},
    {"name": "absences", "description": "Periods away, which excuse target evaluation"},
    {"name": "objectives", "description": "Quarterly objectives, their lifecycle and check-ins"},
    {"name": "evidence", "description": "Weekly accomplishments, training, qualifications, "
                                        "feedback and delivery evidence"},
    {"name": "one-to-ones", "description": "Weekly one-to-ones; notes for the two participants"},
    {"name": "coaching", "description": "Coaching programmes, enrolments and sessions"},
    {"name": "cpd", "description": "A person's continuing-professional-development record"},
    {"name": "integrations", "description": "Jira and GitHub webhooks; stored deliveries"},
    {"name": "hr", "description": "The HR system's objective-completions feed"},
    {"name": "policies", "description": "Policy versions and their light targets"},
    {"name": "evaluations", "description": "Periods, evaluations, target results, triggers"},
    {"name": "interventions", "description": "Support offered (and agreed or declined), and "
                                             "recognition"},
    {"name": "recognition", "description": "The head of department's recognition digest and "
                                           "each person's praise preference"},
    {"name": "concerns", "description": "A line manager raises a concern; case managers act "
                                        "on it"},
    {"name": "cases", "description": "Formal cases: fair by construction, and invisible to "
                                     "the subject's line manager"},
    {"name": "audit", "description": "The audit log of case work, for case managers"},
    {"name": "reports", "description": "Participation roll-ups and team dashboards: aggregates, "
                                       "never individual rankings"},
    {"name": "checklists", "description": "Situational checklists that tick themselves"},
    {"name": "calendar", "description": "The programme's key dates, as JSON and iCalendar"},
    {"name": "consultation", "description": "Comment on policy versions before they take effect"},
    {"name": "service accounts", "description": "Machine clients such as the HR system"},
    {"name": "operations", "description": "Liveness and readiness"},
]


def warn_about_settings(settings: Settings) -> None:
    """Say loudly, as a server starts, what makes it unsafe to expose."""
    if settings.jwt_secret.get_secret_value() == DEVELOPMENT_JWT_SECRET:
        log.warning("GPS_JWT_SECRET is not set: tokens are signed with the development secret "
                    "written in GPS's source code, so anyone who reads the source can forge a "
                    "token for any person, admin included. Never expose this server; set "
                    "GPS_JWT_SECRET to a random value (production refuses to start without "
                    "one).")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        warn_about_settings(settings)
        yield

    app = FastAPI(title="GPS — Grow Perform Succeed", version=VERSION, description=DESCRIPTION,
                  openapi_url=docs.OPENAPI_URL, docs_url=None, redoc_url=None,
                  openapi_tags=TAGS, separate_input_output_schemas=False, lifespan=lifespan)
    app.state.settings = settings
    app.state.engine = make_engine(settings)
    app.state.session_factory = make_session_factory(app.state.engine)
    app.state.read_session_factory = make_session_factory(app.state.engine, read_only=True)

    # Each router carries the /v1 prefix itself, so route templates (metrics) are complete.
    for router in (auth.router, people.router, org.router, objectives.router, evidence.router,
                   one_to_ones.router, coaching.router, cpd.router, integrations.router,
                   hr.router, targets.router, interventions.router, cases.router,
                   reports.router, checklists.router, calendar.router, consultations.router,
                   role_changes.router):
        app.include_router(router)
    app.include_router(ops.router)
    app.include_router(docs.router)
    app.mount("/static", StaticFiles(directory=docs.STATIC_DIR), name="static")
    problems.install(app)
    # Added first, so it runs inside the edge (request id, body limit).
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(ConcurrencyLimitMiddleware, limit=settings.request_concurrency,
                       wait_seconds=settings.database_pool_timeout_seconds)
    app.add_middleware(EdgeMiddleware, max_body_bytes=settings.max_body_bytes,
                       allowed_hosts=settings.allowed_host_names)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]  # FastAPI's documented way
    return app


IDEMPOTENCY_KEY: dict[str, Any] = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": "Makes a retry safe: a repeat with the same key and body (within "
                   "GPS_IDEMPOTENCY_KEY_HOURS) answers the first success again, with "
                   "`Idempotent-Replayed: true`, without running twice. The same key with a "
                   "different body is 422; while the first is still running, 409.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
}


def _openapi(app: FastAPI) -> dict[str, Any]:
    """Build the contract once: the routes' own document plus what every route shares."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description,
                         routes=app.routes, tags=app.openapi_tags)
    schema.setdefault("components", {}).setdefault("schemas", {}).update(
        problems.component_schemas())
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if idempotency_applies(method.upper(), path):
                operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY)
                operation["responses"].setdefault("409", problems.problem_responses(409)[409])
                operation["responses"].setdefault("422", problems.problem_responses(422)[422])
            if path.startswith(API_PREFIX) or path == "/readyz":
                # Any route that reaches the database may find it unavailable.
                operation["responses"].setdefault("503", problems.problem_responses(503)[503])
            if "requestBody" in operation:
                # A body that is not decodable JSON (or form) never reaches validation.
                operation["responses"].setdefault("400", problems.problem_responses(400)[400])
    links.add_links(schema)
    app.openapi_schema = schema
    return schema


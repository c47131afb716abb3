"""Operations: liveness, readiness and Prometheus metrics (outside the versioned API)."""

from __future__ import annotations

import os

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client import multiprocess

from app.api.auth import MetricsReadActor
from app.api.deps import EngineDep
from app.api.problems import problem, problem_responses
from app.services.kit import health

router = APIRouter(tags=["operations"])


@router.get("/healthz", operation_id="healthz", responses={200: {"content": {
    "application/json": {"example": {"status": "ok"}}}}})
async def healthz() -> JSONResponse:
    """Liveness: the process answers."""
    # On the event loop, not a worker thread: when every worker thread waits on a database
    # that went away, the process is still alive and must not be restarted for it.
    return JSONResponse({"status": "ok"})


@router.get("/readyz", operation_id="readyz", responses=problem_responses(503))
def readyz(request: Request, engine: EngineDep) -> Response:
    """Readiness: the database answers and its schema is at the latest migration."""
    result = health.check(engine)
    if not result.ready:
        return problem(request, 503, code="not-ready", detail=result.detail,
                       headers={"Retry-After": "5"}, database=result.database,
                       schema_current=result.schema_current)
    return JSONResponse({"status": "ready", "database": True, "schema_current": True})


@router.get("/metrics", operation_id="metrics", responses={
    200: {"description": "Prometheus text exposition format",
          "content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}}},
    **problem_responses(401, 403)})
def metrics(_: MetricsReadActor) -> Response:
    """Prometheus metrics (all worker processes when PROMETHEUS_MULTIPROC_DIR is set).

    Needs a token with the `metrics:read` scope, which only a service account can hold: a
    monitoring system signs in with client credentials. Requests to case, concern and audit
    routes are counted together, under one label, so no series follows casework.
    """
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

"""Every error as application/problem+json (RFC 9457), rendered in one place."""

from __future__ import annotations

import logging
from http import HTTPStatus
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount

from app.db.engine import is_unavailable
from app.domain import errors
from app.services.kit.context import current_request_id

log = logging.getLogger("gps.errors")

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_SECONDS = 5
BEARER_REALM = 'Bearer realm="gps"'
# The scope key holding the method the client sent, when the edge answers it as another
# (HEAD is served by the GET route).
REQUESTED_METHOD = "gps.requested_method"
ALL_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


class FieldError(BaseModel):
    field: str = Field(description="Where the problem is: a dotted path into the body or a "
                                   "query/header name, or a CSV column")
    message: str
    row: int | None = Field(default=None, description="CSV row number (imports only)")


class Problem(BaseModel):
    """An error, as RFC 9457 problem details."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="A URI reference naming the kind of problem",
                      examples=["/problems/not-found"])
    title: str
    status: int
    detail: str = Field(description="What went wrong and what to do about it")
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldError] | None = Field(
        default=None, description="What is wrong, field by field: at most 20 are listed")
    errors_omitted: int | None = Field(
        default=None, description="How many more errors there were beyond those listed")


class OAuthProblem(Problem):
    """A refused token request: problem details that also carry RFC 6749 section 5.2 fields."""

    error: str = Field(examples=["invalid_grant"])
    error_description: str


_DESCRIPTIONS = {
    400: "Bad request",
    401: "Not signed in, or the token is not valid",
    403: "Signed in, but this function needs a scope you do not hold",
    404: "No such record (or you may not know it exists)",
    409: "Conflicts with the record's current state",
    412: "The record changed since you read it (stale If-Match)",
    413: "The request body is too large",
    415: "Unsupported content type",
    422: "The input is not valid or breaks a rule",
    428: "This change needs an If-Match header with the record's ETag",
    429: "Too many attempts, or too much in progress at once; wait for Retry-After seconds",
    503: "The database is unavailable, or the service is busy; retry after Retry-After seconds",
}


def bearer_challenge(error: str | None) -> str:
    """The RFC 6750 challenge: an error code only when a token was sent and refused."""
    return f'{BEARER_REALM}, error="{error}"' if error else BEARER_REALM


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Declare problem answers for a route's OpenAPI document."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        out[status] = {"description": _DESCRIPTIONS[status],
                       "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        if status in (429, 503):
            out[status]["headers"] = {"Retry-After": {
                "description": "Seconds to wait before retrying", "schema": {"type": "integer"}}}
        if status == 401:
            out[status]["headers"] = {"WWW-Authenticate": {
                "description": f'`{BEARER_REALM}` when no token was sent; '
                               f'`{BEARER_REALM}, error="invalid_token"` when the token sent '
                               "is refused (RFC 6750)", "schema": {"type": "string"}}}
    return out


def component_schemas() -> dict[str, Any]:
    """The problem schemas, for the OpenAPI document's components."""
    schemas: dict[str, Any] = {}
    for model in (Problem, OAuthProblem):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return schemas


def problem(request: Request | None, status: int, *, code: str, detail: str,
            title: str | None = None, headers: dict[str, str] | None = None,
            **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"/problems/{code}",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path if request is not None else None,
        "request_id": current_request_id(),
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


_RESERVED = frozenset({"type", "title", "status", "detail", "instance", "request_id", "code",
                       "headers", "request"})

_STATUS: dict[type[errors.DomainError], int] = {
    errors.NotFound: 404,
    errors.Forbidden: 403,
    errors.Unauthenticated: 401,
    errors.Conflict: 409,
    errors.RuleViolation: 422,
    errors.InvalidInput: 422,
    errors.PreconditionRequired: 428,
    errors.PreconditionFailed: 412,
    errors.Unavailable: 503,
    errors.BadRequest: 400,
    errors.TooManyRequests: 429,
}


def _domain_error(request: Request, exc: errors.DomainError) -> JSONResponse:
    if isinstance(exc, errors.OAuthError):
        status = 401 if exc.error == "invalid_client" else 400
        oauth_headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        if status == 401:
            oauth_headers["WWW-Authenticate"] = 'Basic realm="gps"'
        return problem(request, status, code=f"oauth-{exc.error}", title=exc.title,
                       detail=exc.detail, headers=oauth_headers, error=exc.error,
                       error_description=exc.detail)
    status = next(s for cls, s in _STATUS.items() if isinstance(exc, cls)) \
        if any(isinstance(exc, cls) for cls in _STATUS) else 400
    headers = None
    if isinstance(exc, errors.Unavailable):
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if isinstance(exc, errors.Unauthenticated):
        headers = {"WWW-Authenticate": bearer_challenge(exc.error)}
    if isinstance(exc, errors.TooManyRequests):
        headers = {"Retry-After": str(exc.retry_after)}
    # Extension members never overwrite the standard ones.
    extra = {k: v for k, v in exc.extra.items() if k not in _RESERVED}
    if isinstance(exc, errors.RuleViolation) and exc.rule:
        extra["rule"] = exc.rule
    detail = exc.detail
    if exc.problems:
        extra["errors"], omitted = _listed(
            [{"field": p.field, "message": p.message, "row": p.row} for p in exc.problems])
        if omitted:
            extra["errors_omitted"] = omitted
            detail += f" (the first {MAX_LISTED_ERRORS} problems are listed; {omitted} more "
            detail += "were left out)"
    return problem(request, status, code=exc.code, title=exc.title, detail=detail,
                   headers=headers, **extra)


# An error answer stays small whatever the input: a body of many bad items (or long field
# names) must not come back many times larger. At most this many errors are listed, each
# text cut to this many characters; the answer says how many were left out.
MAX_LISTED_ERRORS = 20
MAX_ERROR_TEXT = 120


def _clip(text: str) -> str:
    return text if len(text) <= MAX_ERROR_TEXT else text[:MAX_ERROR_TEXT - 1] + "…"


def _listed(items: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """The errors to list (texts clipped), and how many were left out."""
    shown = [{k: _clip(v) if isinstance(v, str) else v for k, v in item.items()}
             for item in items[:MAX_LISTED_ERRORS]]
    return shown, max(0, len(items) - MAX_LISTED_ERRORS)


def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    items = []
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ())]
        if loc and loc[0] in {"body", "query", "path", "header"}:
            where = loc[0]
            loc = loc[1:]
        else:
            where = "body"
        message = err.get("msg", "invalid")
        if err.get("type") == "extra_forbidden":
            message = "This field is not accepted here (unknown, or set by the server)."
        items.append({"field": ".".join(loc) or where, "message": message, "in": where})
    listed, omitted = _listed(items)
    named = sorted({i["field"] for i in listed})
    fields = ", ".join(named[:5]) + (", …" if len(named) > 5 else "") or "the request"
    more = f" ({omitted} more errors were left out)" if omitted else ""
    detail = f"Some of the input is not valid: {fields}{more}. See `errors`."
    if len(items) == 1 and items[0]["field"] == "body":
        # A rule about the body as a whole says itself what to do.
        # (Our own words, not the caller's input: kept whole, within reason.)
        detail = str(items[0]["message"]).removeprefix("Value error, ")[:500]
    return problem(request, 422, code="validation", title="Invalid input", detail=detail,
                   errors=listed, errors_omitted=omitted or None)


def _allowed_methods(request: Request) -> str:
    """Every method some route offers at this path: each is tried against the routes (which
    name only their own), and HEAD goes with GET."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, Mount):  # static files: read only
            if request.url.path.startswith(route.path + "/"):
                methods.add("GET")
            continue
        methods |= {method for method in ALL_METHODS
                    if route.matches({**request.scope, "method": method})[0] is Match.FULL}
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


# What FastAPI says of a body it could not parse.
_FRAMEWORK_400 = "There was an error parsing the body"


def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    method = request.scope.get(REQUESTED_METHOD, request.method)
    details = {
        404: "There is nothing at this URL. The API lives under /v1; see /docs.",
        405: f"{method} is not allowed on this URL.",
        413: "The request body is larger than this server accepts.",
    }
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail not in (
        HTTPStatus(exc.status_code).phrase,) else details.get(exc.status_code, str(exc.detail))
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request)
        detail = f"{method} is not allowed on this URL; use {headers['Allow']}."
    if exc.status_code == 400 and detail in (_FRAMEWORK_400, HTTPStatus(400).phrase):
        detail = "The request body could not be read as JSON (is it UTF-8 JSON?)."
    return problem(request, exc.status_code, code=HTTPStatus(exc.status_code).phrase.lower()
                   .replace(" ", "-"), detail=detail, headers=headers or None)


def database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """The answer while the database is down, unreachable or locked: the caller may retry."""
    log.warning("database unavailable: %s", type(exc).__name__)
    return problem(request, 503, code="database-unavailable",
                   detail="The database is unavailable just now. Nothing was changed; retry "
                          f"in {RETRY_AFTER_SECONDS} seconds.",
                   headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def service_busy(request: Request) -> JSONResponse:
    """The answer to a request that waited too long for its turn: the caller may retry."""
    return problem(request, 503, code="busy",
                   detail="GPS is serving as many requests as it can just now. Nothing was "
                          f"changed; retry in {RETRY_AFTER_SECONDS} seconds.",
                   headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def _integrity_error(request: Request, exc: IntegrityError) -> JSONResponse:
    # A unique constraint lost a race with a concurrent write; nothing of this request stays.
    log.info("integrity error: %s", exc.orig.__class__.__name__ if exc.orig else "unknown")
    return problem(request, 409, code="conflict",
                   detail="This conflicts with a record written at the same time. Nothing was "
                          "changed; read the current state and retry.")


def _dbapi_error(request: Request, exc: DBAPIError) -> JSONResponse:
    if is_unavailable(exc):
        return database_unavailable(request, exc)
    if isinstance(exc, DataError):
        # Input the database cannot hold (e.g. a NUL character in a query string or form).
        return problem(request, 422, code="unstorable-input", title="Invalid input",
                       detail="Some of the input cannot be stored (for example it contains a "
                              "NUL character or a number out of range). Nothing was changed.")
    return _unexpected(request, exc)


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error", exc_info=exc)
    return problem(request, 500, code="internal",
                   detail="Something went wrong on our side. Nothing was changed. Quote the "
                          "request_id if you report it.")


_E = TypeVar("_E", bound=Exception)


def _handle(app: FastAPI, kind: type[_E], handler: Callable[[Request, _E], JSONResponse]) -> None:
    # Starlette types every handler as taking any Exception, but calls each for its `kind` only.
    app.add_exception_handler(kind, handler)  # type: ignore[arg-type]  # called for `kind` only


def install(app: FastAPI) -> None:
    _handle(app, errors.DomainError, _domain_error)
    _handle(app, RequestValidationError, _validation_error)
    _handle(app, StarletteHTTPException, _http_error)
    _handle(app, IntegrityError, _integrity_error)
    _handle(app, DBAPIError, _dbapi_error)
    _handle(app, PoolTimeout, database_unavailable)
    _handle(app, Exception, _unexpected)

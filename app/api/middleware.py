"""The edge every request passes: request id, body size limit, no-store, metrics, access log;
then the bound on how many requests a process serves at once."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
import weakref

from prometheus_client import Counter, Gauge, Histogram
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.problems import REQUESTED_METHOD, problem, service_busy
from app.domain.json_nesting import TOO_DEEP, NestingGauge
from app.services.kit.context import request_id_var

access_log = logging.getLogger("gps.access")
_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

REQUESTS = Counter("gps_http_requests_total", "HTTP requests answered",
                   ["method", "route", "status"])
LATENCY = Histogram("gps_http_request_duration_seconds", "Time to answer HTTP requests",
                    ["method", "route"])
WAITING = Gauge("gps_http_requests_waiting", "Requests waiting for a turn (GPS_MAX_CONCURRENT_"
                "REQUESTS are being served)", multiprocess_mode="livesum")
TURNED_AWAY = Counter("gps_http_requests_turned_away_total",
                      "Requests answered 503 because no turn came free in time")


# On every answer: no content sniffing (a JSON body is never run as a script or page), and
# no URL of GPS's (ids, a calendar link's token) leaks to another site as a referrer.
SECURITY_HEADERS = ((b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"))

# Routes whose traffic would tell an outsider that casework happens (a case opened, a concern
# raised): counted together, without method or status, so no series follows them.
CASEWORK_TAGS = frozenset({"cases", "concerns", "audit"})
CASEWORK = "casework"


def metric_labels(scope: Scope, status: int) -> tuple[str, str, str]:
    """(method, route, status) for the request counters."""
    route = scope.get("route")
    if CASEWORK_TAGS.intersection(getattr(route, "tags", None) or ()):
        return CASEWORK, CASEWORK, CASEWORK
    return scope["method"], getattr(route, "path", None) or "unmatched", str(status)


# Routes that check a signature over the raw body before reading it: they measure the
# nesting themselves, after the signature (an unsigned delivery is a 401, whatever it holds).
SIGNED_BODY_PATHS = frozenset({"/v1/integrations/jira/webhook",
                               "/v1/integrations/github/webhook"})


def is_json(content_type: str | None) -> bool:
    """Whether FastAPI would parse the body as JSON (it does when no type is given)."""
    if not content_type:
        return True
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind == "application/json" or (kind.startswith("application/")
                                          and kind.endswith("+json"))


# Answered whatever the Host: probes and scrapers address a replica by its own address.
PROBES = frozenset({"/healthz", "/readyz", "/metrics"})


_HOST = re.compile(r"(?P<name>\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::[0-9]{1,5})?")


def host_allowed(host: str, allowed: frozenset[str]) -> bool:
    """Whether a `Host` header names this server: an exact name, or `*.example.org` for its
    subdomains, or `*` for any (the port is not compared)."""
    if "*" in allowed:
        return True
    parsed = _HOST.fullmatch(host.lower())
    if parsed is None:
        return False
    name = parsed["name"]
    return name in allowed or any(
        pattern.startswith("*.") and name.endswith(pattern[1:]) for pattern in allowed)


class EdgeMiddleware:
    """Pure ASGI middleware (no buffering of response bodies, so streams stay streams)."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int,
                 allowed_hosts: frozenset[str] = frozenset({"*"})) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.allowed_hosts = allowed_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        supplied = headers.get("x-request-id", "")
        request_id = supplied if _CLIENT_REQUEST_ID.match(supplied) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status_holder = {"status": 500, "started": False}
        path: str = scope.get("path", "")
        method: str = scope["method"]
        head = method == "HEAD"
        if head:
            # HEAD is GET without the body (RFC 9110 9.3.2): the GET route answers, with its
            # status and headers, and the body is dropped here.
            scope["method"] = "GET"
            scope[REQUESTED_METHOD] = "HEAD"

        async def send_wrapper(message: Message) -> None:
            if head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["started"] = True
                extra = [(b"x-request-id", request_id.encode()), *SECURITY_HEADERS]
                if path.startswith("/v1/"):
                    names = {k.lower() for k, _ in message.get("headers", [])}
                    if b"cache-control" not in names:
                        extra.append((b"cache-control", b"no-store"))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        declared = headers.get("content-length")
        received = 0
        gauge = NestingGauge() if is_json(headers.get("content-type")) \
            and path not in SIGNED_BODY_PATHS else None

        async def receive_wrapper() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                received += len(chunk)
                # Both rendered as problem+json by the app's handler for HTTP errors.
                if received > self.max_body_bytes:
                    raise HTTPException(413, detail=self._too_large_detail())
                if gauge is not None and gauge.feed(chunk):
                    raise HTTPException(400, detail=TOO_DEEP)
            return message

        try:
            if path not in PROBES and not host_allowed(headers.get("host", ""),
                                                       self.allowed_hosts):
                # A forged Host could poison caches or links built from it: refused first.
                await problem(Request(scope), 400, code="bad-host", title="Unknown host",
                              detail="This server does not answer to the host name in the "
                                     "Host header.")(scope, receive, send_wrapper)
            elif declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
                await self._too_large(scope, send_wrapper, request_id)
            else:
                await self.app(scope, receive_wrapper, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            scope["method"] = method
            label_method, route, status = metric_labels(scope, int(status_holder["status"]))
            REQUESTS.labels(label_method, route, status).inc()
            LATENCY.labels(label_method, route).observe(elapsed)
            # Structured: the JSON log line escapes whatever the caller put in the path.
            access_log.info("%s %s %s %.1fms", method, path, status_holder["status"],
                            elapsed * 1000, extra={
                                "method": method, "path": path,
                                "status": status_holder["status"],
                                "duration_ms": round(elapsed * 1000, 1)})
            request_id_var.reset(token)

    def _too_large_detail(self) -> str:
        return (f"The request body is larger than the {self.max_body_bytes} bytes this server "
                "accepts. Nothing was stored.")

    async def _too_large(self, scope: Scope, send: Send, request_id: str) -> None:
        body = json.dumps({
            "type": "/problems/payload-too-large", "title": "Content Too Large", "status": 413,
            "detail": self._too_large_detail(),
            "instance": scope.get("path"), "request_id": request_id,
        }).encode()
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


# The scope key of a callable that gives the request's turn back before the request ends.
RELEASE_TURN = "gps.release_turn"


class ConcurrencyLimitMiddleware:
    """Serve at most `limit` requests that may touch the database at once; the rest wait.

    A request holds its pooled connection across several trips to worker threads, and each
    trip needs a free thread. Unbounded, a burst larger than the pool can leave every thread
    waiting for a connection while the requests holding connections wait for a thread, until
    the pool timeout fails them all. With at most `limit` (no more than the pool) in flight,
    a connection is always there for a request that asks, and the rest wait here, on the
    event loop, costing nothing. It also keeps the threads from crowding one another for the
    interpreter, which costs CPU per request (measured in benchmarks/RESULTS.md).

    A request that waits longer than `wait_seconds` gets 503 with Retry-After. Liveness,
    metrics and the documentation pages do not wait.
    """

    def __init__(self, app: ASGIApp, *, limit: int, wait_seconds: float) -> None:
        self.app = app
        self.limit = limit
        self.wait_seconds = wait_seconds
        # One semaphore per event loop: a test may serve the same app from several loops.
        self._semaphores: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop,
                                                     asyncio.Semaphore] = \
            weakref.WeakKeyDictionary()

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        semaphore = self._semaphores.get(loop)
        if semaphore is None:
            semaphore = self._semaphores[loop] = asyncio.Semaphore(self.limit)
        return semaphore

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or not (path.startswith("/v1/") or path == "/readyz"):
            await self.app(scope, receive, send)
            return
        semaphore = self._semaphore()
        if semaphore.locked():
            WAITING.inc()
            try:
                await asyncio.wait_for(semaphore.acquire(), self.wait_seconds)
            except TimeoutError:
                TURNED_AWAY.inc()
                await service_busy(Request(scope))(scope, receive, send)
                return
            finally:
                WAITING.dec()
        else:
            await semaphore.acquire()
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                semaphore.release()

        # A request whose database work is done (a chart to draw) gives its turn back early.
        scope[RELEASE_TURN] = release
        try:
            await self.app(scope, receive, send)
        finally:
            release()

"""The edge every request passes: request id, body size limit, no-store, metrics, access log."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from prometheus_client import Counter, Histogram
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.services.context import request_id_var

access_log = logging.getLogger("gps.access")
_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

REQUESTS = Counter("gps_http_requests_total", "HTTP requests answered",
                   ["method", "route", "status"])
LATENCY = Histogram("gps_http_request_duration_seconds", "Time to answer HTTP requests",
                    ["method", "route"])


class EdgeMiddleware:
    """Pure ASGI middleware (no buffering of response bodies, so streams stay streams)."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

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

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["started"] = True
                extra = [(b"x-request-id", request_id.encode())]
                if path.startswith("/v1/"):
                    names = {k.lower() for k, _ in message.get("headers", [])}
                    if b"cache-control" not in names:
                        extra.append((b"cache-control", b"no-store"))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        declared = headers.get("content-length")
        received = 0

        async def receive_wrapper() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    # Rendered as problem+json by the app's handler for HTTP errors.
                    raise HTTPException(413, detail=self._too_large_detail())
            return message

        try:
            if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
                await self._too_large(scope, send_wrapper, request_id)
            else:
                await self.app(scope, receive_wrapper, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            REQUESTS.labels(scope["method"], route, str(status_holder["status"])).inc()
            LATENCY.labels(scope["method"], route).observe(elapsed)
            access_log.info("%s %s %s %.1fms", scope["method"], path, status_holder["status"],
                            elapsed * 1000)
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

"""Idempotency-Key on POST: a retried create answers once, from storage (pure ASGI)."""

from __future__ import annotations

import logging
import re

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.deps import API_PREFIX
from app.api.problems import problem
from app.domain.errors import DomainError
from app.services import auth, idempotency

log = logging.getLogger("gps.idempotency")

HEADER = "idempotency-key"
REPLAYED = b"idempotent-replayed"
_VALID_KEY = re.compile(r"^[\x20-\x7e]{1,200}$")
# Sign-in and sign-out need none; webhooks authenticate by signature and are deduplicated
# by delivery id instead.
EXCLUDED_PREFIXES = (f"{API_PREFIX}/auth", f"{API_PREFIX}/integrations/jira/webhook",
                     f"{API_PREFIX}/integrations/github/webhook")


def applies(method: str, path: str) -> bool:
    """Whether a POST to this path honours Idempotency-Key (also used for the contract)."""
    return method == "POST" and path.startswith(f"{API_PREFIX}/") and not any(
        path == p or path.startswith(p + "/") for p in EXCLUDED_PREFIXES)


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not applies(scope["method"], scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        key = headers.get(HEADER)
        authorization = headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        if key is None or scheme.lower() != "bearer" or not token.strip():
            # No key, or no caller to scope it to: the route answers as usual (401 unsigned).
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if not _VALID_KEY.match(key):
            await problem(request, 422, code="invalid-idempotency-key", title="Invalid input",
                          detail="Idempotency-Key must be 1 to 200 printable ASCII characters. "
                                 "Nothing was changed.")(scope, receive, send)
            return
        try:
            body = await _read_body(receive)
        except HTTPException as exc:  # the edge's body limit
            await problem(request, exc.status_code, code="payload-too-large",
                          detail=str(exc.detail))(scope, receive, send)
            return
        if body is None:
            return  # the client went away
        state = scope["app"].state
        fingerprint = idempotency.digest(scope["method"].encode(), scope["path"].encode(),
                                         scope.get("query_string", b""), body)
        with state.session_factory() as session:
            try:
                actor = auth.actor_from_token(session, state.settings, token.strip())
            except DomainError:
                actor = None
            if actor is None:
                session.rollback()
                outcome = None
            else:
                outcome = idempotency.claim(
                    session, caller=idempotency.digest(actor.label.encode()), key=key,
                    fingerprint=fingerprint, hours=state.settings.idempotency_key_hours)
        if outcome is None:
            # Not a valid token: let the route refuse it as it would without a key.
            await self.app(scope, _replaying(body, receive), send)
            return
        if isinstance(outcome, idempotency.Mismatch):
            await problem(request, 422, code="idempotency-key-reused", title="Invalid input",
                          detail="This Idempotency-Key was already used for a different "
                                 "request. Use a new key for a new request. Nothing was "
                                 "changed.")(scope, receive, send)
            return
        if isinstance(outcome, idempotency.InProgress):
            await problem(request, 409, code="idempotency-key-in-use",
                          detail="A request with this Idempotency-Key is still running. Wait "
                                 "for its answer, then retry with the same key to receive "
                                 "it.")(scope, receive, send)
            return
        if isinstance(outcome, idempotency.Replay):
            await _send_replay(outcome, send)
            return
        await self._run(scope, _replaying(body, receive), send, outcome)

    async def _run(self, scope: Scope, receive: Receive, send: Send,
                   claimed: idempotency.Claimed) -> None:
        status = 500
        answer_headers: dict[str, str] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                answer_headers.update({k.decode("latin-1").lower(): v.decode("latin-1")
                                       for k, v in message.get("headers", [])})
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        factory = scope["app"].state.session_factory
        try:
            await self.app(scope, receive, capture)
        except BaseException:
            _forget(factory, claimed)
            raise
        try:
            with factory() as session:
                if 200 <= status < 300:
                    idempotency.finish(session, claimed, status=status,
                                       headers=answer_headers, body=b"".join(chunks))
                else:
                    idempotency.release(session, claimed)
        except Exception:  # the answer is sent already; do not leave the key stuck
            log.exception("could not store the idempotent answer")
            _forget(factory, claimed)


def _forget(factory, claimed: idempotency.Claimed) -> None:  # type: ignore[no-untyped-def]
    try:
        with factory() as session:
            idempotency.release(session, claimed)
    except Exception:
        log.exception("could not release an idempotency key")


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        if message["type"] == "http.request":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _send_replay(stored: idempotency.Replay, send: Send) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in stored.headers.items()]
    headers += [(b"content-length", str(len(stored.body)).encode()), (REPLAYED, b"true")]
    await send({"type": "http.response.start", "status": stored.status, "headers": headers})
    await send({"type": "http.response.body", "body": stored.body})

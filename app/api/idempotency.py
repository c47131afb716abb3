"""Idempotency-Key on POST: a retried create answers once, from storage (pure ASGI)."""

from __future__ import annotations

import logging
import re
import threading
import time

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import State
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.deps import API_PREFIX
from app.api.problems import database_unavailable, problem
from app.db.engine import is_unavailable
from app.domain.errors import DomainError
from app.services.identity import auth
from app.services.kit import idempotency

log = logging.getLogger("gps.idempotency")

HEADER = "idempotency-key"
REPLAYED = b"idempotent-replayed"
_VALID_KEY = re.compile(r"^[\x20-\x7e]{1,200}$")
# Sign-in and sign-out need none; webhooks authenticate by signature and are deduplicated
# by delivery id instead.
EXCLUDED_PREFIXES = (f"{API_PREFIX}/auth", f"{API_PREFIX}/integrations/jira/webhook",
                     f"{API_PREFIX}/integrations/github/webhook")


# Answers that carry a secret shown once (a set-password link's token) are never stored for
# replay: each request makes a new one and spends the one before.
SECRET_ANSWER_SUFFIXES = ("/password-link",)


def applies(method: str, path: str) -> bool:
    """Whether a POST to this path honours Idempotency-Key (also used for the contract)."""
    return method == "POST" and path.startswith(f"{API_PREFIX}/") and not any(
        path == p or path.startswith(p + "/") for p in EXCLUDED_PREFIXES) \
        and not path.endswith(SECRET_ANSWER_SUFFIXES)


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.unreleased = _Unreleased()

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
        except HTTPException as exc:  # the edge's body limits: size (413), nesting (400)
            await problem(request, exc.status_code,
                          code="payload-too-large" if exc.status_code == 413 else "bad-request",
                          detail=str(exc.detail))(scope, receive, send)
            return
        if body is None:
            return  # the client went away
        fingerprint = idempotency.digest(scope["method"].encode(), scope["path"].encode(),
                                         scope.get("query_string", b""), body)
        try:
            # In a worker thread: a slow or unreachable database must not stall the event loop.
            outcome = await run_in_threadpool(_claim, scope["app"].state, token.strip(), key,
                                              fingerprint, self.unreleased)
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            await database_unavailable(request, exc)(scope, receive, send)
            return
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
            _forget(factory, claimed, self.unreleased)
            raise
        await run_in_threadpool(_settle, factory, claimed, status, answer_headers,
                                b"".join(chunks), self.unreleased)


class _Unreleased:
    """Claims this process could not release because the database was unavailable.

    Without them, a client retrying through an outage would be told its first request is
    still running (409) until the claim's lease ends; with them, its retry takes the claim
    over at once (when it reaches this process; elsewhere the lease still decides). Kept only
    as long as the lease, after which the lease rule covers them anyway.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._since: dict[int, float] = {}

    def add(self, claimed: idempotency.Claimed) -> None:
        with self._lock:
            self._since[claimed.id] = time.monotonic()

    def current(self) -> set[int]:
        oldest = time.monotonic() - idempotency.RUNNING_LEASE.total_seconds()
        with self._lock:
            self._since = {i: t for i, t in self._since.items() if t > oldest}
            return set(self._since)

    def discard(self, taken_over: set[int]) -> None:
        with self._lock:
            for claim_id in taken_over:
                self._since.pop(claim_id, None)


def _claim(state: State, token: str, key: str, fingerprint: str,
           unreleased: _Unreleased) -> idempotency.Outcome | None:
    """Claim the key for the signed-in caller (None: the token is not valid)."""
    with state.session_factory() as session:
        try:
            actor = auth.actor_from_token(session, state.settings, token)
        except DomainError:
            session.rollback()
            return None
        abandoned = unreleased.current()
        before = set(abandoned)
        outcome = idempotency.claim(
            session, caller=idempotency.digest(actor.label.encode()), key=key,
            fingerprint=fingerprint, hours=state.settings.idempotency_key_hours,
            abandoned=abandoned)
        unreleased.discard(before - abandoned)
        return outcome


def _settle(factory: sessionmaker[Session], claimed: idempotency.Claimed, status: int,
            headers: dict[str, str], body: bytes, unreleased: _Unreleased) -> None:
    """Keep a success for replay; forget the key after anything else."""
    success = 200 <= status < 300
    try:
        with factory() as session:
            if success:
                idempotency.finish(session, claimed, status=status, headers=headers,
                                   body=body)
            else:
                idempotency.release(session, claimed)
    except Exception:  # the answer is sent already; do not leave the key stuck
        log.exception("could not store the idempotent answer")
        # Work that succeeded is never offered to a retry to take over: it would run twice.
        _forget(factory, claimed, None if success else unreleased)


def _forget(factory: sessionmaker[Session], claimed: idempotency.Claimed,
            unreleased: _Unreleased | None) -> None:
    try:
        with factory() as session:
            idempotency.release(session, claimed)
    except Exception as exc:
        if unreleased is not None and is_unavailable(exc):
            unreleased.add(claimed)
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

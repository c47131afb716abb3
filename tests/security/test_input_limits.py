"""Abuse limits, proved through HTTP: page sizes, body sizes and string lengths are capped.

* Page sizes: every list in the contract has a `limit` with a documented maximum, and one
  more than the maximum is a 422 problem (not a 500, not a bigger page).
* Body sizes: every operation that takes a body answers 413 problem+json over
  `GPS_MAX_BODY_BYTES`, whether the size is declared (Content-Length) or not (chunked), and
  stores nothing. Against a real server, a chunked body is cut off at the cap: the
  application never reads more than the cap and what the server buffered for it.
* String lengths: every string in every request-body schema has `maxLength` (or is an enum,
  or has a bounded format), and a value one character too long is a 422 naming the field.

The number of cases checked is printed.
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from app.db.models import metadata
from app.domain.signatures import sign
from app.settings import Settings
from tests.conftest import GITHUB_SECRET, JIRA_SECRET
from tests.factories import bearer, new_person
from tests import figures

PROBLEM = "application/problem+json"


def _count(kind: str) -> None:
    figures.record(f"input limits: {kind}")


def _contract() -> dict[str, Any]:
    """The app's own OpenAPI document (what the parametrised tests are generated from)."""
    from app.main import create_app
    application = create_app(Settings(database_url="sqlite://"))
    try:
        return application.openapi()
    finally:
        application.state.engine.dispose()


CONTRACT = _contract()


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


def _concrete(path: str) -> str:
    return "/".join("1" if part.startswith("{") else part for part in path.split("/"))


@pytest.fixture
def everything(db, settings: Settings) -> dict[str, str]:
    """Headers of a caller holding every role, so scope checks pass and validation answers."""
    person = new_person(db, band="8c", roles=["admin", "case_manager", "head_of_department",
                                              "team_lead"])
    return bearer(settings, person)


def _rows(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {table.name: connection.execute(select(func.count()).select_from(table))
                .scalar_one() for table in metadata.sorted_tables}


# Page sizes ---------------------------------------------------------------------------------

def _is_page(document: dict[str, Any], operation: dict[str, Any]) -> bool:
    schemas = document["components"]["schemas"]
    content = operation["responses"].get("200", {}).get("content", {})
    for media in content.values():
        ref = media.get("schema", {}).get("$ref", "")
        properties = schemas.get(ref.rsplit("/", 1)[-1], {}).get("properties", {})
        if {"items", "next_cursor"} <= set(properties):
            return True
    return False


def _limit(operation: dict[str, Any]) -> dict[str, Any] | None:
    return next((p for p in operation.get("parameters", [])
                 if p["name"] == "limit" and p["in"] == "query"), None)


def _list_routes(document: dict[str, Any]) -> list[tuple[str, str, int]]:
    routes = []
    for method, path, operation in _operations(document):
        limit = _limit(operation)
        if limit is not None:
            routes.append((method, path, limit["schema"].get("maximum")))
    return routes


def test_every_list_has_a_limit_with_a_documented_maximum(app: FastAPI) -> None:
    document = app.openapi()
    pages, missing = 0, []
    for method, path, operation in _operations(document):
        limit = _limit(operation)
        if _is_page(document, operation):
            pages += 1
            if limit is None:
                missing.append(f"{method.upper()} {path}: a page of items with no `limit`")
        if limit is not None:
            schema = limit["schema"]
            if not isinstance(schema.get("maximum"), int) or schema.get("minimum") != 1:
                missing.append(f"{method.upper()} {path}: `limit` has no maximum")
            elif str(schema["maximum"]) not in limit.get("description", ""):
                missing.append(f"{method.upper()} {path}: `limit`'s description does not say "
                               "its maximum")
    assert not missing, "\n".join(missing)
    assert pages >= 20


@pytest.mark.parametrize(("method", "path", "maximum"),
                         [pytest.param(m, p, top, id=f"{m.upper()} {p}")
                          for m, p, top in _list_routes(CONTRACT)])
def test_a_page_one_over_the_maximum_is_a_422_problem(method: str, path: str, maximum: int,
                                                      client: TestClient,
                                                      everything: dict[str, str]) -> None:
    url = _concrete(path)
    at_most = client.request(method.upper(), url, params={"limit": maximum}, headers=everything)
    assert not any(e["field"] == "limit" for e in _errors(at_most)), at_most.text
    over = client.request(method.upper(), url, params={"limit": maximum + 1}, headers=everything)
    _count("page size")
    assert over.status_code == 422, (path, over.status_code, over.text)
    assert over.headers["content-type"] == PROBLEM
    assert any(e["field"] == "limit" for e in _errors(over)), over.text


def _errors(answer) -> list[dict[str, Any]]:
    if answer.headers.get("content-type") != PROBLEM:
        return []
    return answer.json().get("errors") or []


def test_the_hr_feed_caps_json_pages_below_csv_pages(client: TestClient,
                                                     everything: dict[str, str]) -> None:
    """The feed documents two maxima: 1000 a page as JSON, 1,000,000 as CSV."""
    from app.services.growth import hr_feed
    url = "/v1/hr/objective-completions"
    json_page = client.get(url, params={"limit": hr_feed.MAX_JSON_PAGE + 1}, headers=everything)
    assert json_page.status_code == 422 and json_page.headers["content-type"] == PROBLEM
    assert json_page.json()["field"] == "limit"
    assert client.get(url, params={"limit": hr_feed.MAX_JSON_PAGE},
                      headers=everything).status_code == 200
    csv_page = client.get(url, params={"limit": hr_feed.MAX_CSV_PAGE},
                          headers={**everything, "Accept": "text/csv"})
    assert csv_page.status_code == 200
    _count("page size")


# Body sizes ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class BodyRoute:
    method: str
    path: str
    media_type: str

    def body(self, size: int) -> bytes:
        """A body of exactly `size` bytes that would be acceptable in form, if not in size."""
        if self.media_type == "application/x-www-form-urlencoded":
            head = b"grant_type=password&username=someone%40example.org&password="
            return head + b"x" * (size - len(head))
        if self.media_type == "text/csv":
            head = b"name,email,kind\n"
            row = b"Someone,someone@example.org,employee\n"
            text = head + row * ((size - len(head)) // len(row) + 1)
            return text[:size]
        head, tail = b'{"name": "', b'"}'
        return head + b"x" * (size - len(head) - len(tail)) + tail

    def headers(self, body: bytes, caller: dict[str, str]) -> dict[str, str]:
        headers = {"Content-Type": self.media_type}
        if self.path.endswith("/jira/webhook"):
            headers |= {"X-Hub-Signature": sign(JIRA_SECRET, body),
                        "X-Atlassian-Webhook-Identifier": hashlib.sha256(body).hexdigest()}
        elif self.path.endswith("/github/webhook"):
            headers |= {"X-Hub-Signature-256": sign(GITHUB_SECRET, body),
                        "X-GitHub-Event": "push", "X-GitHub-Delivery": "big-1"}
        elif not self.path.startswith("/v1/auth/token"):
            headers |= caller
        return headers


def _body_routes(document: dict[str, Any]) -> list[Any]:
    routes = []
    for method, path, operation in _operations(document):
        body = operation.get("requestBody")
        if body:
            media_type = next(iter(body["content"]))
            routes.append(pytest.param(BodyRoute(method, path, media_type),
                                       id=f"{method.upper()} {path}"))
    return routes


BODY_ROUTES = _body_routes(CONTRACT)


def _assert_413(answer, what: str) -> None:
    assert answer.status_code == 413, (what, answer.status_code, answer.text[:300])
    assert answer.headers["content-type"] == PROBLEM, what
    assert answer.json()["status"] == 413


@pytest.mark.parametrize("route", BODY_ROUTES)
def test_a_body_over_the_cap_is_413_and_stores_nothing(route: BodyRoute, client: TestClient,
                                                       engine: Engine, settings: Settings,
                                                       everything: dict[str, str]) -> None:
    before = _rows(engine)
    url = _concrete(route.path)
    body = route.body(settings.max_body_bytes + 1)
    headers = route.headers(body, everything)
    declared = client.request(route.method.upper(), url, content=body, headers=headers)
    _assert_413(declared, "with Content-Length")

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 4096):
            yield body[start:start + 4096]

    undeclared = client.request(route.method.upper(), url, content=chunks(),
                                headers={**headers, "Idempotency-Key": "big-body-1"})
    assert "content-length" not in {k.lower() for k in undeclared.request.headers}
    _assert_413(undeclared, "chunked, without Content-Length")
    _count("body size")
    # The new caller is the only row this test made.
    after = _rows(engine)
    assert {k: v for k, v in after.items() if v != before[k]} == {}, "something was stored"


@pytest.mark.parametrize("route", BODY_ROUTES)
def test_a_body_at_the_cap_is_not_refused_for_its_size(route: BodyRoute, client: TestClient,
                                                        settings: Settings,
                                                        everything: dict[str, str]) -> None:
    """The cap is where the refusals start, not lower."""
    body = route.body(settings.max_body_bytes)
    answer = client.request(route.method.upper(), _concrete(route.path), content=body,
                            headers=route.headers(body, everything))
    assert answer.status_code not in (413, 500), (answer.status_code, answer.text[:300])


class ReadCounter:
    """ASGI wrapper: how many body bytes the application read from the server, per path."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.read: dict[str, int] = {}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope["path"]
        self.read[path] = 0

        async def counting():
            message = await receive()
            if message["type"] == "http.request":
                self.read[path] += len(message.get("body", b""))
            return message

        await self.app(scope, counting, send)


@dataclass
class Served:
    port: int
    counter: ReadCounter


@pytest.fixture(scope="module")
def served(app: FastAPI) -> Iterator[Served]:
    """GPS behind a real uvicorn on a free local port (the same app, the same database)."""
    counter = ReadCounter(app)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(counter, lifespan="off", log_level="warning",
                                           access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield Served(port=sock.getsockname()[1], counter=counter)
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def _send_chunked(port: int, path: str, headers: dict[str, str], body: bytes,
                  chunk_size: int) -> tuple[int, dict[str, str], bytes]:
    """POST with Transfer-Encoding: chunked, stopping as soon as the server answers."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=10)
    lines = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Transfer-Encoding: chunked",
             *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    connection.sendall("\r\n".join(lines).encode("latin-1"))
    connection.settimeout(2)
    try:
        for start in range(0, len(body), chunk_size):
            connection.sendall(f"{chunk_size:x}\r\n".encode() + body[start:start + chunk_size]
                               + b"\r\n")
        connection.sendall(b"0\r\n\r\n")
    except (TimeoutError, BrokenPipeError, ConnectionResetError):
        pass  # the server stopped reading: it has answered (or closed)
    connection.settimeout(10)
    received = b""
    while b"\r\n\r\n" not in received:
        data = connection.recv(65536)
        assert data, "the connection closed without an answer"
        received += data
    head, _, rest = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    answer_headers = {k.strip().lower(): v.strip() for k, _, v in
                      (line.partition(":") for line in header_lines)}
    length = int(answer_headers.get("content-length", "0"))
    while len(rest) < length:
        data = connection.recv(65536)
        if not data:
            break
        rest += data
    connection.close()
    return int(status_line.split()[1]), answer_headers, rest[:length]


STREAMED = ["/v1/people", "/v1/auth/token", "/v1/people/import",
            "/v1/integrations/jira/webhook", "/v1/integrations/github/webhook"]
# The most the server may hold for the application beyond what it asked for: uvicorn pauses
# reading once it buffers more than 64 KiB, and one socket read (asyncio's) is at most 256 KiB.
SERVER_BUFFER = 64 * 1024 + 256 * 1024


@pytest.mark.parametrize("path", STREAMED)
def test_a_chunked_body_is_cut_off_at_the_cap(path: str, served: Served, engine: Engine,
                                              settings: Settings,
                                              everything: dict[str, str]) -> None:
    """A body sent without Content-Length, far larger than the cap, is refused once the cap
    is passed: GPS reads at most the cap and what the server buffered, never the whole."""
    media = {"/v1/auth/token": "application/x-www-form-urlencoded",
             "/v1/people/import": "text/csv"}.get(path, "application/json")
    route = BodyRoute("post", path, media)
    total = 128 * settings.max_body_bytes
    body = route.body(total)
    before = _rows(engine)
    status, headers, answer = _send_chunked(served.port, path, route.headers(body, everything),
                                            body, chunk_size=16 * 1024)
    _count("body size (streamed)")
    assert status == 413, (status, answer[:300])
    assert headers["content-type"] == PROBLEM
    assert json.loads(answer)["status"] == 413
    read = served.counter.read[path]
    assert settings.max_body_bytes < read <= settings.max_body_bytes + SERVER_BUFFER, read
    assert read < total // 16
    assert _rows(engine) == before, "something was stored"


def test_a_declared_oversize_body_is_refused_before_any_of_it_is_read(
        served: Served, settings: Settings, everything: dict[str, str]) -> None:
    """Content-Length over the cap: 413 at once, without waiting for (or reading) the body."""
    connection = socket.create_connection(("127.0.0.1", served.port), timeout=10)
    lines = ["POST /v1/people HTTP/1.1", f"Host: 127.0.0.1:{served.port}",
             "Content-Type: application/json",
             f"Content-Length: {64 * settings.max_body_bytes}",
             *(f"{k}: {v}" for k, v in everything.items()), "", ""]
    connection.sendall("\r\n".join(lines).encode("latin-1"))  # and not one byte of body
    answer = connection.recv(65536)
    connection.close()
    _count("body size (streamed)")
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert b"application/problem+json" in answer
    assert served.counter.read["/v1/people"] == 0


# String lengths -----------------------------------------------------------------------------

BOUNDED_FORMATS = frozenset({"date", "date-time", "email", "time", "uuid"})


@dataclass(frozen=True)
class StringField:
    operation: str
    method: str
    path: str
    media_type: str
    schema_name: str
    where: tuple[str | int, ...]  # property names, 0 for an array's item
    schema: dict[str, Any]

    @property
    def name(self) -> str:
        return ".".join(str(p) for p in self.where) or "(body)"

    def bounded(self) -> bool:
        return ("maxLength" in self.schema or "enum" in self.schema or "const" in self.schema
                or self.schema.get("format") in BOUNDED_FORMATS)


def _strings(document: dict[str, Any]) -> list[StringField]:
    """Every string in every request body, with where it is."""
    schemas = document["components"]["schemas"]
    found: list[StringField] = []

    def walk(schema: dict[str, Any], context: dict[str, Any], where: tuple[str | int, ...],
             name: str, seen: frozenset[str]) -> None:
        ref = schema.get("$ref")
        if ref:
            ref_name = ref.rsplit("/", 1)[-1]
            if ref_name not in seen:
                walk(schemas[ref_name], context, where, ref_name, seen | {ref_name})
            return
        for alternative in schema.get("anyOf", []) + schema.get("oneOf", []) \
                + schema.get("allOf", []):
            walk(alternative, context, where, name, seen)
        kind = schema.get("type")
        if kind == "string" or (isinstance(kind, list) and "string" in kind):
            found.append(StringField(schema_name=name, where=where, schema=schema, **context))
        if "items" in schema:
            walk(schema["items"], context, (*where, 0), name, seen)
        for prop, sub in schema.get("properties", {}).items():
            walk(sub, context, (*where, prop), name, seen)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            walk(extra, context, (*where, "*"), name, seen)

    for path, item in document["paths"].items():
        for method, operation in item.items():
            for media_type, media in operation.get("requestBody", {}).get("content", {}).items():
                context = dict(operation=operation["operationId"], method=method, path=path,
                               media_type=media_type)
                walk(media.get("schema", {}), context, (), operation["operationId"],
                     frozenset())
    return found


def test_every_string_in_every_request_body_is_bounded(app: FastAPI) -> None:
    strings = _strings(app.openapi())
    unbounded = sorted({f"{s.schema_name}.{s.name} (in {s.operation})" for s in strings
                        if not s.bounded()})
    assert not unbounded, "strings without maxLength:\n" + "\n".join(unbounded)
    properties = {(s.schema_name, s.name) for s in strings}
    schemas = {s.schema_name for s in strings}
    figures.record("input limits: string properties bounded", len(properties))
    figures.record("input limits: request schemas with strings", len(schemas))
    assert len(properties) > 80


def _over_long_fields(document: dict[str, Any]) -> list[Any]:
    fields = [s for s in _strings(document)
              if "maxLength" in s.schema and s.where and "*" not in s.where]
    return [pytest.param(f, id=f"{f.operation}:{f.name}") for f in fields]


def _nest(where: tuple[str | int, ...], value: Any) -> Any:
    for part in reversed(where):
        value = [value] if part == 0 else {part: value}
    return value


@pytest.mark.parametrize("field", _over_long_fields(CONTRACT))
def test_a_string_one_over_its_max_length_is_a_422_naming_it(field: StringField,
                                                              client: TestClient,
                                                              everything: dict[str, str]) -> None:
    value = "x" * (field.schema["maxLength"] + 1)
    url = _concrete(field.path)
    headers = {**everything, "If-Match": '"0"'}
    if field.media_type == "application/json":
        answer = client.request(field.method.upper(), url, json=_nest(field.where, value),
                                headers=headers)
    else:
        answer = client.request(field.method.upper(), url, data={str(field.where[0]): value},
                                headers=headers)
    _count("string length")
    assert answer.status_code == 422, (answer.status_code, answer.text[:500])
    assert answer.headers["content-type"] == PROBLEM
    named = [e for e in _errors(answer) if e["field"] == field.name]
    assert named, f"no error names {field.name}: {answer.text[:500]}"

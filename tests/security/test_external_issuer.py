"""An external OpenID Connect issuer (the department's Entra ID or Keycloak), trusted with the
same checks as GPS's own tokens.

Keys are RSA and EC keys made here; the issuer's JWKS is a file, or a URL served by a small
HTTP server on 127.0.0.1 that counts its requests (no outside network). Each attack in
`ATTACKS` must get the same refusal as in `test_tokens.py`; the number of cases is printed.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from jose import jwk, jwt
from pydantic import ValidationError
from sqlmodel import Session

from app.db.models import Person
from app.services.identity import jwks
from app.settings import Environment, Settings
from tests.factories import new_person
from tests import figures
from tests.security.test_tokens import assert_refused, b64, compact, hs256_keyed_with

ISSUER = "https://login.example.org/department/v2.0"
AUDIENCE = "api://gps"
LEEWAY = 30


@dataclass(frozen=True)
class SigningKey:
    kid: str
    algorithm: str
    private_pem: bytes
    public_pem: bytes

    @property
    def public_jwk(self) -> dict[str, Any]:
        return {**jwk.construct(self.public_pem, self.algorithm).to_dict(), "kid": self.kid,
                "use": "sig"}


def _pem(private_key) -> tuple[bytes, bytes]:
    private = private_key.private_bytes(serialization.Encoding.PEM,
                                        serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption())
    public = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


def rsa_key(kid: str) -> SigningKey:
    return SigningKey(kid, "RS256", *_pem(rsa.generate_private_key(public_exponent=65537,
                                                                   key_size=2048)))


def ec_key(kid: str) -> SigningKey:
    return SigningKey(kid, "ES256", *_pem(ec.generate_private_key(ec.SECP256R1())))


@pytest.fixture(scope="module")
def keys() -> dict[str, SigningKey]:
    return {"rsa": rsa_key("rsa-2026"), "ec": ec_key("ec-2026"),
            "stranger": rsa_key("rsa-2026")}  # same kid, a key the issuer never published


def jwks_document(*published: SigningKey) -> dict[str, Any]:
    return {"keys": [k.public_jwk for k in published]}


@pytest.fixture(scope="module")
def jwks_file(tmp_path_factory: pytest.TempPathFactory, keys: dict[str, SigningKey]) -> Path:
    path = tmp_path_factory.mktemp("oidc") / "jwks.json"
    # An encryption key and a key without kid are in real sets too: both are left out.
    document = jwks_document(keys["rsa"], keys["ec"])
    document["keys"] += [{**keys["rsa"].public_jwk, "kid": "enc-1", "use": "enc"},
                         {k: v for k, v in keys["ec"].public_jwk.items() if k != "kid"}]
    path.write_text(json.dumps(document))
    return path


def _with(app: FastAPI, **changes: Any) -> Iterator[Settings]:
    """Run the app with the external issuer configured (the database stays the same)."""
    original: Settings = app.state.settings
    configured = original.model_copy(update={"oidc_issuer": ISSUER, "oidc_audience": AUDIENCE,
                                             **changes})
    app.state.settings = configured
    try:
        yield configured
    finally:
        app.state.settings = original


@pytest.fixture
def external(app: FastAPI, jwks_file: Path) -> Iterator[Settings]:
    yield from _with(app, oidc_jwks_file=jwks_file)


@dataclass
class Context:
    client: TestClient
    db: Session
    keys: dict[str, SigningKey]
    person: Person

    @property
    def settings(self) -> Settings:
        assert isinstance(self.client.app, FastAPI)
        return self.client.app.state.settings

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "00u1a2b3c4", "iat": now, "nbf": now,
                  "exp": now + 300, "jti": secrets.token_urlsafe(12),
                  "email": self.person.email.upper(), "email_verified": True}
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def signed(self, key: str = "rsa", *, algorithm: str | None = None,
               headers: dict[str, Any] | None = None, **overrides: Any) -> str:
        signing = self.keys[key]
        return jwt.encode(self.claims(**overrides), signing.private_pem.decode(),
                          algorithm or signing.algorithm,
                          headers={"kid": signing.kid, **(headers or {})})

    def me(self, token: str):
        return self.client.get("/v1/me", headers={"Authorization": f"Bearer {token}".encode()})


@pytest.fixture
def ctx(client: TestClient, db: Session, keys: dict[str, SigningKey],
        external: Settings) -> Context:
    person = new_person(db, name="Ada", email="ada@example.org", band=None, roles=["admin"])
    return Context(client=client, db=db, keys=keys, person=person)


# Accepted.

@pytest.mark.parametrize("key", ["rsa", "ec"])
def test_a_token_from_the_issuer_signs_in_as_the_person_with_that_address(ctx: Context,
                                                                          key: str) -> None:
    answer = ctx.me(ctx.signed(key))
    assert answer.status_code == 200, answer.text
    me = answer.json()
    assert me["person"]["id"] == ctx.person.id  # matched without regard to case
    assert "people:write" in me["scopes"]  # from the person's admin role


def test_the_person_roles_decide_the_scopes_not_the_token(ctx: Context) -> None:
    developer = new_person(ctx.db, email="dev@example.org")
    token = ctx.signed(email="dev@example.org", scp="people:write", scope="people:write")
    assert "people:write" not in ctx.me(token).json()["scopes"]
    refused = ctx.client.post("/v1/people", headers={"Authorization": f"Bearer {token}"},
                              json={"name": "X", "email": "x@example.org", "kind": "employee"})
    assert refused.status_code == 403
    assert developer.id is not None


def test_another_claim_can_carry_the_address(app: FastAPI, jwks_file: Path, ctx: Context) -> None:
    for _ in _with(app, oidc_jwks_file=jwks_file, oidc_email_claim="preferred_username"):
        token = ctx.signed(email=None, preferred_username="Ada@Example.org")
        assert ctx.me(token).status_code == 200
        assert_refused(ctx.me(ctx.signed()))  # `email` alone no longer counts


def test_expired_within_the_leeway_is_still_accepted(ctx: Context) -> None:
    now = int(time.time())
    assert ctx.me(ctx.signed(exp=now - LEEWAY + 15, iat=now - 600, nbf=now - 600)) \
        .status_code == 200


def test_gps_own_tokens_still_work_alongside(ctx: Context, settings: Settings) -> None:
    from tests.factories import bearer
    assert ctx.client.get("/v1/me", headers=bearer(settings, ctx.person)).status_code == 200


# Refused.

def _hs256_with_the_published_key(c: Context) -> str:
    """Algorithm confusion: HMAC keyed with the issuer's public key, which anyone can fetch."""
    return hs256_keyed_with(c.keys["rsa"].public_pem, {"alg": "HS256", "kid": "rsa-2026"},
                            c.claims())


def _revoked(c: Context, **overrides: Any) -> str:
    token = c.signed(**overrides)
    assert c.me(token).status_code == 200
    answer = c.client.post("/v1/auth/revoke", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    return token


def _inactive(c: Context) -> str:
    new_person(c.db, email="left@example.org", active=False)
    return c.signed(email="left@example.org")


def _deleted(c: Context) -> str:
    gone = new_person(c.db, email="gone@example.org")
    c.db.delete(gone)
    c.db.commit()
    return c.signed(email="gone@example.org")


Attack = Callable[[Context], str]

ATTACKS: dict[str, Attack] = {
    "alg none": lambda c: compact({"alg": "none", "kid": "rsa-2026"}, c.claims()),
    "alg None": lambda c: compact({"alg": "None", "kid": "rsa-2026"}, c.claims()),
    "alg NONE": lambda c: compact({"alg": "NONE", "kid": "rsa-2026"}, c.claims()),
    "RS256 with an empty signature": lambda c: compact({"alg": "RS256", "kid": "rsa-2026"},
                                                       c.claims()),
    "HS256 keyed with the published RSA public key": _hs256_with_the_published_key,
    "HS256 keyed with GPS's own secret": lambda c: jwt.encode(
        c.claims(), c.settings.jwt_secret.get_secret_value(), "HS256"),
    "RS384 (not accepted) with the right key": lambda c: c.signed(algorithm="RS384"),
    "RS512 (not accepted) with the right key": lambda c: c.signed(algorithm="RS512"),
    "ES384 header over the EC key": lambda c: compact(
        {"alg": "ES384", "kid": "ec-2026"}, c.claims(), b"\x01" * 96),
    "signed by a key the issuer never published": lambda c: c.signed("stranger"),
    "payload altered under a real signature": lambda c: ".".join([
        c.signed().split(".")[0], b64(json.dumps(c.claims(email="someone@else.org")).encode()),
        c.signed().split(".")[2]]),
    "ES256 header naming the RSA key": lambda c: compact(
        {"alg": "ES256", "kid": "rsa-2026"}, c.claims(), b"\x01" * 64),
    "RS256 header naming the EC key": lambda c: compact(
        {"alg": "RS256", "kid": "ec-2026"}, c.claims(), b"\x01" * 256),
    "no kid": lambda c: jwt.encode(c.claims(), c.keys["rsa"].private_pem.decode(), "RS256"),
    "unknown kid": lambda c: c.signed(headers={"kid": "made-up"}),
    "kid of an encryption key": lambda c: c.signed(headers={"kid": "enc-1"}),
    "no exp": lambda c: c.signed(exp=None),
    "expired beyond the leeway": lambda c: c.signed(iat=int(time.time()) - 600,
                                                    nbf=int(time.time()) - 600,
                                                    exp=int(time.time()) - LEEWAY - 15),
    "nbf in the future": lambda c: c.signed(nbf=int(time.time()) + LEEWAY + 60),
    "iat in the future": lambda c: c.signed(iat=int(time.time()) + LEEWAY + 60),
    "no iat": lambda c: c.signed(iat=None),
    "wrong aud": lambda c: c.signed(aud="api://another-app"),
    "missing aud": lambda c: c.signed(aud=None),
    "wrong iss": lambda c: c.signed(iss="https://login.example.org/another-tenant/v2.0"),
    "missing iss": lambda c: c.signed(iss=None),
    "jku header": lambda c: c.signed(headers={"jku": "https://attacker.example/keys.json"}),
    "x5u header": lambda c: c.signed(headers={"x5u": "https://attacker.example/cert.pem"}),
    "jwk header": lambda c: c.signed(headers={"jwk": c.keys["stranger"].public_jwk}),
    "x5c header": lambda c: c.signed(headers={"x5c": [b64(b"a certificate" * 8)]}),
    "no email claim": lambda c: c.signed(email=None),
    "email claim not text": lambda c: c.signed(email=["ada@example.org"]),
    "email not verified": lambda c: c.signed(email_verified=False),
    "email of nobody in GPS": lambda c: c.signed(email="stranger@example.org"),
    "email of an inactive person": _inactive,
    "email of a deleted person": _deleted,
    "revoked jti": lambda c: _revoked(c),
    "revoked, without a jti": lambda c: _revoked(c, jti=None),
    "oversized": lambda c: c.signed(padding="x" * 4096),
    "malformed": lambda c: "eyJhbGciOiJSUzI1NiJ9.not-json-at-all.c2lnbmF0dXJl",
}

@pytest.mark.parametrize("attack", list(ATTACKS))
def test_attack_is_refused(attack: str, ctx: Context) -> None:
    token = ATTACKS[attack](ctx)
    assert_refused(ctx.me(token), token)
    figures.record("token checks: attacks on the external issuer's tokens refused")


def test_revoking_one_token_leaves_the_others_working(ctx: Context) -> None:
    kept = ctx.signed(jti="kept")
    _revoked(ctx, jti="revoked")
    assert ctx.me(kept).status_code == 200


# Keys from a URL: cached, re-read for an unknown kid at most once per refresh interval.

@dataclass
class JwksServer:
    document: dict[str, Any]
    requests: int = 0
    port: int = 0
    status: int = 200
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, tag: str) -> str:
        # A distinct URL per test: each gets its own key cache.
        return f"http://127.0.0.1:{self.port}/{tag}/jwks.json"


@pytest.fixture
def jwks_server(keys: dict[str, SigningKey]) -> Iterator[JwksServer]:
    served = JwksServer(document=jwks_document(keys["rsa"]))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
            with served.lock:
                served.requests += 1
                body = json.dumps(served.document).encode()
                status = served.status
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    served.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _from_url(app: FastAPI, jwks_server: JwksServer, tag: str,
              refresh_seconds: int = 300) -> Iterator[tuple[Settings, FakeClock]]:
    for configured in _with(app, oidc_jwks_url=jwks_server.url(tag), oidc_jwks_file=None,
                            oidc_jwks_refresh_seconds=refresh_seconds):
        clock = FakeClock()
        jwks.key_set(configured).clock = clock
        yield configured, clock


def test_keys_from_a_url_are_fetched_once_and_cached(app: FastAPI, ctx: Context,
                                                     jwks_server: JwksServer) -> None:
    for _ in _from_url(app, jwks_server, "cached"):
        for _ in range(5):
            assert ctx.me(ctx.signed()).status_code == 200
        assert jwks_server.requests == 1


def test_unknown_kids_cannot_make_gps_fetch_on_every_request(app: FastAPI, ctx: Context,
                                                              jwks_server: JwksServer) -> None:
    for _, clock in _from_url(app, jwks_server, "flood", refresh_seconds=300):
        assert ctx.me(ctx.signed()).status_code == 200
        for n in range(30):
            clock.now += 5  # 150 seconds of made-up kids, well within one refresh interval
            assert_refused(ctx.me(ctx.signed(headers={"kid": f"made-up-{n}"})))
        assert jwks_server.requests == 1
        clock.now += 300
        assert_refused(ctx.me(ctx.signed(headers={"kid": "made-up-again"})))
        assert jwks_server.requests == 2  # one re-read after the interval, not one a request


def test_a_rotated_key_is_picked_up_after_the_interval(app: FastAPI, ctx: Context,
                                                        jwks_server: JwksServer) -> None:
    for _, clock in _from_url(app, jwks_server, "rotation", refresh_seconds=60):
        assert ctx.me(ctx.signed()).status_code == 200
        jwks_server.document = jwks_document(ctx.keys["rsa"], ctx.keys["ec"])
        clock.now += 10
        assert_refused(ctx.me(ctx.signed("ec")))  # too soon to look again
        clock.now += 60
        assert ctx.me(ctx.signed("ec")).status_code == 200
        assert jwks_server.requests == 2


def test_a_withdrawn_key_stops_working_within_a_day(app: FastAPI, ctx: Context,
                                                    jwks_server: JwksServer) -> None:
    for _, clock in _from_url(app, jwks_server, "withdrawn"):
        token = ctx.signed()
        assert ctx.me(token).status_code == 200
        jwks_server.document = jwks_document(ctx.keys["ec"])
        clock.now += jwks.MAX_AGE_SECONDS
        assert_refused(ctx.me(ctx.signed()))


def test_an_unreachable_issuer_is_503_and_not_retried_on_every_request(
        app: FastAPI, ctx: Context, jwks_server: JwksServer) -> None:
    jwks_server.status = 500
    for _, clock in _from_url(app, jwks_server, "down", refresh_seconds=60):
        for _ in range(3):
            answer = ctx.me(ctx.signed())
            assert answer.status_code == 503
            assert answer.headers["content-type"] == "application/problem+json"
            assert "retry-after" in answer.headers
        assert jwks_server.requests == 1
        jwks_server.status = 200
        clock.now += 60
        assert ctx.me(ctx.signed()).status_code == 200
        assert jwks_server.requests == 2


def test_a_jwks_that_is_not_one_is_not_trusted(tmp_path: Path, app: FastAPI,
                                                ctx: Context) -> None:
    path = tmp_path / "jwks.json"
    for content in ("not json", json.dumps({"keys": "none"}), json.dumps([1, 2])):
        path.write_text(content)
        for _ in _with(app, oidc_jwks_file=path, oidc_jwks_refresh_seconds=1 + len(content)):
            assert ctx.me(ctx.signed()).status_code == 503


# Settings.

@pytest.mark.parametrize(("changes", "message"), [
    ({"oidc_issuer": ISSUER}, "GPS_OIDC_AUDIENCE"),
    ({"oidc_issuer": ISSUER, "oidc_audience": AUDIENCE}, "exactly one"),
    ({"oidc_issuer": ISSUER, "oidc_audience": AUDIENCE, "oidc_jwks_url": "https://x/j",
      "oidc_jwks_file": "keys/jwks.json"}, "exactly one"),
    ({"oidc_issuer": ISSUER, "oidc_audience": AUDIENCE, "oidc_jwks_url": "ftp://x/j"},
     "https://"),
    ({"oidc_issuer": "gps", "oidc_audience": AUDIENCE, "oidc_jwks_url": "https://x/j"},
     "differ"),
    ({"oidc_audience": AUDIENCE}, "GPS_OIDC_ISSUER"),
    ({"env": Environment.production, "jwt_secret": "s" * 48, "oidc_issuer": ISSUER,
      "oidc_audience": AUDIENCE, "oidc_jwks_url": "http://idp.internal/jwks"}, "https://"),
])
def test_incomplete_or_unsafe_settings_are_refused(changes: dict[str, Any], message: str):
    with pytest.raises(ValidationError, match=message):
        Settings(**changes)


# Local passwords switched off (GPS_LOCAL_PASSWORDS=false).


@pytest.fixture
def passwords_off(app: FastAPI, jwks_file: Path) -> Iterator[Settings]:
    yield from _with(app, oidc_jwks_file=jwks_file, local_passwords=False)


def test_with_local_passwords_off_only_the_issuer_signs_people_in(
        client: TestClient, db: Session, keys: dict[str, SigningKey],
        passwords_off: Settings) -> None:
    from tests.factories import PASSWORD, bearer
    ada = new_person(db, name="Ada", email="ada@example.org", band=None, roles=["admin"],
                     login=True)
    dev = new_person(db, email="dev@example.org", login=True)
    refused = client.post("/v1/auth/token", data={"grant_type": "password",
                                                  "username": ada.email, "password": PASSWORD})
    assert refused.status_code == 400
    assert refused.json()["error"] == "unsupported_grant_type"
    assert "identity provider" in refused.json()["error_description"]
    ctx = Context(client=client, db=db, keys=keys, person=ada)
    assert ctx.me(ctx.signed()).status_code == 200
    admin = bearer(passwords_off, ada)
    assert client.post(f"/v1/people/{dev.id}/password-link", headers=admin).status_code == 409
    own = client.post("/v1/me/password", headers=bearer(passwords_off, dev), json={
        "current_password": PASSWORD, "new_password": "another long password"})
    assert own.status_code == 409 and "identity provider" in own.json()["detail"]


def test_local_passwords_cannot_be_switched_off_without_an_issuer() -> None:
    with pytest.raises(ValueError, match="GPS_OIDC_ISSUER"):
        Settings(local_passwords=False)

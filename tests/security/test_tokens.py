"""Token checks: every way a bearer token can be wrong is refused, the same way.

Each attack in `ATTACKS` is sent to `GET /v1/me` and must get 401,
`application/problem+json`, the RFC 6750 challenge `Bearer realm="gps",
error="invalid_token"`, and an answer (body and headers) that never echoes the token or any of
its three parts. A request without a bearer token gets the bare challenge. The number of
attack cases is printed. The external OpenID Connect issuer's checks are in
`test_external_issuer.py`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from jose import jwt
from sqlmodel import Session

from app.db.models import Person
from app.domain.errors import Unauthenticated
from app.services.identity import tokens
from app.settings import Settings
from tests.factories import PASSWORD, bearer, new_person
from tests import figures

PROBLEM = "application/problem+json"
INVALID_TOKEN = 'Bearer realm="gps", error="invalid_token"'
NO_TOKEN = 'Bearer realm="gps"'
LEEWAY = tokens.LEEWAY_SECONDS


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def compact(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    """A JWS in compact form, put together by hand (for tokens no library would make)."""
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}." + \
        b64(signature)


def assert_refused(answer, token: str | None = None, *, challenge: str = INVALID_TOKEN) -> None:
    """401 problem+json with the challenge, echoing neither the token nor any of its parts."""
    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"] == PROBLEM
    assert answer.headers["www-authenticate"] == challenge
    assert answer.json()["status"] == 401
    if token:
        seen = answer.text + "\n" + "\n".join(f"{k}: {v}" for k, v in answer.headers.items())
        for part in (token, *token.split(".")):
            if len(part) >= 8:  # an empty or tiny part (alg none's signature) proves nothing
                assert part not in seen, "the answer echoes the token"


@dataclass
class Context:
    client: TestClient
    settings: Settings
    db: Session
    dev: Person

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims = {"iss": self.settings.jwt_issuer, "aud": self.settings.jwt_audience,
                  "sub": f"person:{self.dev.id}", "iat": now, "nbf": now, "exp": now + 300,
                  "jti": secrets.token_urlsafe(12), "scope": "people:read"}
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    @property
    def secret(self) -> str:
        return self.settings.jwt_secret.get_secret_value()

    def signed(self, algorithm: str = "HS256", key: str | None = None,
               headers: dict[str, Any] | None = None, **overrides: Any) -> str:
        return jwt.encode(self.claims(**overrides), key or self.secret, algorithm,
                          headers=headers)

    def me(self, token: str):
        # Bytes, so a token that is not ASCII is sent as it is.
        return self.client.get("/v1/me", headers={"Authorization": f"Bearer {token}".encode()})


@pytest.fixture
def ctx(client: TestClient, settings: Settings, db: Session) -> Context:
    return Context(client=client, settings=settings, db=db,
                   dev=new_person(db, name="Dev", login=True, email="dev@example.org"))


def _unsigned(ctx: Context, alg: str) -> str:
    return compact({"alg": alg, "typ": "JWT"}, ctx.claims())


def hs256_keyed_with(key: bytes, header: dict[str, Any], claims: dict[str, Any]) -> str:
    """HS256 keyed with any bytes (the library refuses to use a public key as an HMAC key)."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64(hmac.new(key, signing_input.encode(), hashlib.sha256).digest())}"


def _hs256_keyed_with_public_key(ctx: Context) -> str:
    """Algorithm confusion: HMAC keyed with an RSA public key anyone may hold."""
    public_pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key() \
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hs256_keyed_with(public_pem, {"alg": "HS256", "typ": "JWT"}, ctx.claims())


def _signature_of_another_token(ctx: Context) -> str:
    """A real token's header and signature over a payload that names someone else."""
    real = ctx.signed()
    header, _, signature = real.split(".")
    forged = b64(json.dumps(ctx.claims(sub="person:1", scope="people:write")).encode())
    return f"{header}.{forged}.{signature}"


def _revoked_by_signing_out(ctx: Context) -> str:
    token = ctx.signed(scope="people:read growth")
    assert ctx.me(token).status_code == 200
    answer = ctx.client.post("/v1/auth/revoke", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    return token


def _revoked_by_another_token(ctx: Context) -> str:
    """Revoked through the form's `token` field while signed in with a second token."""
    token = ctx.signed()
    answer = ctx.client.post("/v1/auth/revoke", data={"token": token},
                             headers={"Authorization": f"Bearer {ctx.signed()}"})
    assert answer.status_code == 200
    return token


def _inactive_person(ctx: Context) -> str:
    gone = new_person(ctx.db, active=False)
    return ctx.signed(sub=f"person:{gone.id}")


def _deleted_person(ctx: Context) -> str:
    gone = new_person(ctx.db)
    token = ctx.signed(sub=f"person:{gone.id}")
    ctx.db.delete(gone)
    ctx.db.commit()
    return token


def _revoked_service_account(ctx: Context) -> str:
    admin = bearer(ctx.settings, new_person(ctx.db, band=None, roles=["admin"]))
    account = ctx.client.post("/v1/service-accounts", headers=admin,
                              json={"name": "HR", "scopes": ["hr.feed:read"]}).json()
    token = ctx.client.post("/v1/auth/token", data={
        "grant_type": "client_credentials", "client_id": account["client_id"],
        "client_secret": account["client_secret"]}).json()["access_token"]
    assert ctx.me(token).status_code == 200
    assert ctx.client.delete(f"/v1/service-accounts/{account['id']}",
                             headers=admin).status_code == 204
    return token


def _oversized(ctx: Context) -> str:
    """Correctly signed, but larger than any token GPS makes."""
    token = ctx.signed(padding="x" * tokens.MAX_TOKEN_BYTES)
    assert len(token) > tokens.MAX_TOKEN_BYTES
    return token


def _jwk_header(ctx: Context) -> dict[str, Any]:
    return {"jwk": {"kty": "oct", "k": b64(b"attacker-chosen-key-material-0123")}}


def _x5c_header(ctx: Context) -> dict[str, Any]:
    return {"x5c": [b64(b"a certificate the attacker made" * 4)]}


Attack = Callable[[Context], str]

ATTACKS: dict[str, Attack] = {
    # Unsigned tokens, however the algorithm is spelled.
    "alg none": lambda c: _unsigned(c, "none"),
    "alg None": lambda c: _unsigned(c, "None"),
    "alg NONE": lambda c: _unsigned(c, "NONE"),
    "alg nOnE": lambda c: _unsigned(c, "nOnE"),
    "alg none with a real token's signature": lambda c: _unsigned(c, "none")
    + c.signed().rsplit(".", 1)[1],
    "HS256 with an empty signature": lambda c: _unsigned(c, "HS256"),
    "no alg at all": lambda c: compact({"typ": "JWT"}, c.claims()),
    # Keys and algorithms GPS does not use.
    "HS256 keyed with a published RSA public key": _hs256_keyed_with_public_key,
    "HS512 with the right secret": lambda c: c.signed("HS512"),
    "HS384 with the right secret": lambda c: c.signed("HS384"),
    "wrong signature (another secret)": lambda c: c.signed(key="another-secret-" * 4),
    "payload altered under a real signature": _signature_of_another_token,
    "signature truncated": lambda c: c.signed()[:-6],
    # Claims.
    "no exp": lambda c: c.signed(exp=None),
    "expired beyond the leeway": lambda c: c.signed(iat=int(time.time()) - 600,
                                                    nbf=int(time.time()) - 600,
                                                    exp=int(time.time()) - LEEWAY - 15),
    "exp not a number": lambda c: c.signed(exp="tomorrow"),
    "exp NaN": lambda c: c.signed(exp=float("nan")),
    "exp Infinity": lambda c: c.signed(exp=float("inf")),
    "exp beyond year 9999": lambda c: c.signed(exp=10**12),
    "nbf in the future": lambda c: c.signed(nbf=int(time.time()) + LEEWAY + 60),
    "iat in the future": lambda c: c.signed(iat=int(time.time()) + LEEWAY + 60),
    "no iat": lambda c: c.signed(iat=None),
    "wrong aud": lambda c: c.signed(aud="someone-else"),
    "missing aud": lambda c: c.signed(aud=None),
    "wrong iss": lambda c: c.signed(iss="https://evil.example"),
    "missing iss": lambda c: c.signed(iss=None),
    "missing sub": lambda c: c.signed(sub=None),
    "missing jti": lambda c: c.signed(jti=None),
    "sub of an unknown kind": lambda c: c.signed(sub="robot:1"),
    "sub an e-mail address": lambda c: c.signed(sub=f"email:{c.dev.email}"),
    # Headers that point at keys the token chooses itself.
    "jku header": lambda c: c.signed(headers={"jku": "https://attacker.example/keys.json"}),
    "x5u header": lambda c: c.signed(headers={"x5u": "https://attacker.example/cert.pem"}),
    "jwk header": lambda c: c.signed(headers=_jwk_header(c)),
    "x5c header": lambda c: c.signed(headers=_x5c_header(c)),
    "crit header": lambda c: c.signed(headers={"crit": ["exp"]}),
    # Revoked, or for someone who can no longer sign in.
    "revoked jti (signed out)": _revoked_by_signing_out,
    "revoked jti (revoked with another token)": _revoked_by_another_token,
    "inactive person": _inactive_person,
    "deleted person": _deleted_person,
    "revoked service account": _revoked_service_account,
    # Not a token at all.
    "oversized": _oversized,
    "malformed: one part": lambda c: "thisisnotajsonwebtokenatall" * 3,
    "malformed: two parts": lambda c: ".".join(c.signed().split(".")[:2]),
    "malformed: four parts": lambda c: c.signed() + ".c2lnbmF0dXJlYWdhaW4",
    "malformed: header not base64": lambda c: "***not~base64***." + c.signed().split(".", 1)[1],
    "malformed: header not JSON": lambda c: b64(b"definitely not json") + "."
    + c.signed().split(".", 1)[1],
    "malformed: header a JSON list": lambda c: b64(b'["alg", "HS256"]') + "."
    + c.signed().split(".", 1)[1],
    "malformed: payload not JSON": lambda c: c.signed().split(".")[0] + "."
    + b64(b"definitely not json") + ".c2lnbmF0dXJlc2lnbmF0dXJl",
    "malformed: non-ASCII": lambda c: c.signed()[:-4] + "é€ü",
}

@pytest.mark.parametrize("attack", list(ATTACKS))
def test_attack_is_refused(attack: str, app: FastAPI, ctx: Context) -> None:
    token = ATTACKS[attack](ctx)
    answer = ctx.me(token)
    assert_refused(answer, token)
    figures.record("token checks: attacks on GPS's own tokens refused")


def test_the_same_token_done_right_is_accepted(app: FastAPI, ctx: Context) -> None:
    """The attacks fail because of what each changes: the unchanged token signs in."""
    answer = ctx.me(ctx.signed())
    assert answer.status_code == 200, answer.text
    assert answer.json()["person"]["id"] == ctx.dev.id


def test_expired_within_the_leeway_is_still_accepted(app: FastAPI, ctx: Context) -> None:
    now = int(time.time())
    # Clocks drift: a token that expired a moment ago (and one from a clock a little ahead)
    # still works; `expired beyond the leeway` above does not.
    assert ctx.me(ctx.signed(exp=now - LEEWAY + 15, iat=now - 600, nbf=now - 600)) \
        .status_code == 200
    assert ctx.me(ctx.signed(nbf=now + LEEWAY - 15, iat=now + LEEWAY - 15)).status_code == 200


def test_the_leeway_boundary_to_the_second(ctx: Context) -> None:
    """At exactly `exp + leeway` a token is still valid; a second later it is not (and the
    same for `nbf` and `iat` in the other direction)."""
    issued = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    exp = int(issued.timestamp()) + 900
    token = ctx.signed(iat=int(issued.timestamp()), nbf=int(issued.timestamp()), exp=exp)
    edge = datetime.fromtimestamp(exp + LEEWAY, UTC)
    assert tokens.verify(ctx.settings, token, now=edge).expires_at == \
        datetime.fromtimestamp(exp, UTC)
    with pytest.raises(Unauthenticated, match="expired"):
        tokens.verify(ctx.settings, token, now=edge + timedelta(seconds=1))
    early = issued - timedelta(seconds=LEEWAY)
    tokens.verify(ctx.settings, token, now=early)
    with pytest.raises(Unauthenticated, match="nbf"):
        tokens.verify(ctx.settings, token, now=early - timedelta(seconds=1))
    without_nbf = ctx.signed(iat=int(issued.timestamp()), nbf=None, exp=exp)
    tokens.verify(ctx.settings, without_nbf, now=early)
    with pytest.raises(Unauthenticated, match="issued in the future"):
        tokens.verify(ctx.settings, without_nbf, now=early - timedelta(seconds=1))


def test_a_deactivated_persons_live_token_stops_working_at_once(app: FastAPI,
                                                                 ctx: Context) -> None:
    token = ctx.signed()
    assert ctx.me(token).status_code == 200
    admin = bearer(ctx.settings, new_person(ctx.db, band=None, roles=["admin"]))
    url = f"/v1/people/{ctx.dev.id}"
    etag = ctx.client.get(url, headers=admin).headers["etag"]
    assert ctx.client.patch(url, headers={**admin, "If-Match": etag},
                            json={"active": False}).status_code == 200
    assert_refused(ctx.me(token), token)


def test_a_token_at_the_size_limit_is_accepted(app: FastAPI, ctx: Context) -> None:
    """`oversized` is refused for its size alone: one byte less gets through."""
    base = len(ctx.signed(padding=""))
    pad = ""
    while len(ctx.signed(padding=pad)) < tokens.MAX_TOKEN_BYTES:
        pad += "x"
    if len(ctx.signed(padding=pad)) > tokens.MAX_TOKEN_BYTES:
        pad = pad[:-1]
    token = ctx.signed(padding=pad)
    assert base < len(token) <= tokens.MAX_TOKEN_BYTES
    assert ctx.me(token).status_code == 200


# Without a bearer token: the bare challenge, no error code (RFC 6750 section 3.1).

@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Bearer   ", "Basic dXNlcjpwYXNz",
                                           "Token abcdefghijklmnop"])
def test_no_bearer_token_gets_the_bare_challenge(client: TestClient, authorization) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    answer = client.get("/v1/me", headers=headers)
    assert_refused(answer, challenge=NO_TOKEN)
    if authorization and len(authorization) > 10:
        assert authorization.split(" ", 1)[1] not in answer.text


def test_revoke_cannot_be_used_to_test_guessed_tokens(app: FastAPI, ctx: Context) -> None:
    """Why revoke needs no rate limit of its own: it needs a valid bearer token, and answers
    the same whether the token in the form is valid, forged or garbage (RFC 7009), so it
    tells a guesser nothing. Guessing passwords and client secrets happens at the token
    endpoint, which is limited (tests/api/test_rate_limits.py)."""
    forged = ctx.signed(key="another-secret-" * 4)
    assert_refused(ctx.client.post("/v1/auth/revoke", data={"token": forged}), challenge=NO_TOKEN)
    signed_in = {"Authorization": f"Bearer {ctx.signed()}"}
    answers = [ctx.client.post("/v1/auth/revoke", data={"token": token}, headers=signed_in)
               for token in (forged, "garbage-garbage-garbage", ctx.signed())]
    assert {(a.status_code, a.text) for a in answers} == {(200, '{"revoked":true}')}


def test_signing_in_still_works_after_a_refusal(app: FastAPI, ctx: Context) -> None:
    assert_refused(ctx.me(ctx.signed(aud="someone-else")))
    answer = ctx.client.post("/v1/auth/token", data={
        "grant_type": "password", "username": ctx.dev.email, "password": PASSWORD})
    assert ctx.me(answer.json()["access_token"]).status_code == 200


# Every 401 of every route carries a challenge.

# The set-password link's one-time token, in the body, is its credential.
PUBLIC = {("get", "/healthz"), ("get", "/readyz"), ("post", "/v1/auth/token"),
          ("post", "/v1/auth/set-password")}
# Routes that take no bearer token: the webhooks are signed, the calendar feed opens with its
# secret link. Without those they answer 401 with the bare challenge.
NOT_BEARER = {"/v1/integrations/jira/webhook", "/v1/integrations/github/webhook",
              "/v1/calendar.ics"}


def _operations(app: FastAPI) -> list[tuple[str, str]]:
    return [(method, path) for path, item in app.openapi()["paths"].items()
            for method in item if (method, path) not in PUBLIC]


def _concrete(path: str) -> str:
    return "/".join("1" if part.startswith("{") else part for part in path.split("/"))


def test_every_401_carries_a_bearer_challenge(app: FastAPI, ctx: Context) -> None:
    """Walk every operation in the contract: no token gets the bare challenge, a refused token
    the invalid_token one (routes that take no bearer token: the bare challenge)."""
    refused = ctx.signed(aud="someone-else")
    operations = _operations(app)
    for method, path in operations:
        url = _concrete(path)
        anonymous = ctx.client.request(method.upper(), url)
        assert anonymous.status_code == 401, (method, path, anonymous.status_code)
        assert anonymous.headers.get("www-authenticate") == NO_TOKEN, (method, path)
        with_bad_token = ctx.client.request(method.upper(), url,
                                            headers={"Authorization": f"Bearer {refused}"})
        assert with_bad_token.status_code == 401, (method, path)
        want = NO_TOKEN if path in NOT_BEARER else INVALID_TOKEN
        assert with_bad_token.headers.get("www-authenticate") == want, (method, path)
    assert len(operations) > 100


def test_the_token_endpoints_client_refusal_carries_a_basic_challenge(client: TestClient):
    answer = client.post("/v1/auth/token", data={
        "grant_type": "client_credentials", "client_id": "gps-nobody", "client_secret": "x"})
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == 'Basic realm="gps"'


def test_the_contract_documents_the_challenge_on_every_401(app: FastAPI) -> None:
    for path, item in app.openapi()["paths"].items():
        for method, operation in item.items():
            documented = operation["responses"].get("401")
            if documented is not None:
                assert "WWW-Authenticate" in documented.get("headers", {}), (method, path)

"""Access tokens: the only module that makes or reads JWTs.

GPS's own tokens are HS256 with the configured secret; `iss`, `aud`, `exp`, `iat`, `sub` and
`jti` are required. Tokens of an external OpenID Connect issuer (when configured) are RS256
or ES256, verified with that issuer's published keys (see `jwks`); `iss`, `aud`, `exp` and
`iat` are required, and the configured claim names the person by e-mail address.

For both: only the algorithms listed here are accepted (never `none`, and never HMAC for the
external issuer, whose public keys anyone can read); headers that point at other keys
(`jku`, `x5u`, `jwk`, `x5c`) or demand extensions (`crit`) are refused outright; times are
checked here with one leeway and an injectable clock; an oversized token is refused before
it is parsed.
"""

from __future__ import annotations

import base64
import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from jose import jwk, jwt
from jose.exceptions import JOSEError, JWTClaimsError, JWTError

from app.domain.errors import Unauthenticated
from app.services.identity import jwks
from app.settings import Settings

ALGORITHM = "HS256"
ALLOWED_ALGORITHMS = [ALGORITHM]
# Asymmetric only: each algorithm with the key type (and curve) it must be used with.
EXTERNAL_ALGORITHMS = {"RS256": ("RSA", None), "ES256": ("EC", "P-256")}
LEEWAY_SECONDS = 30
MAX_TOKEN_BYTES = 4096
MAX_EMAIL_LENGTH = 320
_FOREIGN_KEY_HEADERS = frozenset({"jku", "x5u", "jwk", "x5c"})
_REQUIRED_CLAIMS = ("iss", "aud", "exp", "iat", "sub", "jti")
_EXTERNAL_REQUIRED_CLAIMS = ("iss", "aud", "exp", "iat")
# Subjects: "person:<id>" and "client:<client id>" for GPS's tokens; "email:<address>" for
# the external issuer's, mapped to a person when the token is used.
EMAIL_SUBJECT = "email:"


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_in: int
    jti: str
    expires_at: datetime


@dataclass(frozen=True)
class TokenClaims:
    subject: str
    scopes: frozenset[str]
    jti: str  # the id revocation records (for external tokens, derived from issuer and jti)
    expires_at: datetime
    external: bool = False
    issued_at: float = 0.0  # seconds since the epoch, as precise as the token says


def issue(settings: Settings, *, subject: str, scopes: frozenset[str],
          now: datetime | None = None) -> IssuedToken:
    now = now or datetime.now(UTC)
    lifetime = timedelta(minutes=settings.access_token_minutes)
    jti = secrets.token_urlsafe(16)
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": subject,
        # To the microsecond (RFC 7519 NumericDates may have fractions), so a password
        # changed a moment ago refuses tokens issued before it but not those issued after.
        "iat": now.timestamp(),
        "nbf": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        "jti": jti,
        "scope": " ".join(sorted(scopes)),
    }
    token = jwt.encode(claims, settings.jwt_secret.get_secret_value(), algorithm=ALGORITHM)
    return IssuedToken(token=token, expires_in=int(lifetime.total_seconds()), jti=jti,
                       expires_at=now + lifetime)


def _refuse(reason: str) -> Unauthenticated:
    return Unauthenticated(detail=f"The access token is not valid: {reason}. Ask for a new one "
                                  "at POST /v1/auth/token.")


def verify(settings: Settings, token: str, *, now: datetime | None = None) -> TokenClaims:
    """Return the claims of a valid token, or raise Unauthenticated saying what is wrong."""
    now = now or datetime.now(UTC)
    if len(token.encode()) > MAX_TOKEN_BYTES:
        raise _refuse("it is too large")
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.get_unverified_claims(token)
    except JWTError:
        raise _refuse("it is malformed") from None
    if not isinstance(header, dict) or not isinstance(unverified, dict):
        raise _refuse("it is malformed")
    if _FOREIGN_KEY_HEADERS & set(header):
        raise _refuse("it names its own signing key, which is never trusted")
    if "crit" in header:
        raise _refuse("it needs extensions GPS does not support")
    # The unverified `iss` only chooses which checks apply; each pins its own keys and
    # algorithms, so claiming the other issuer gains nothing.
    if settings.oidc_enabled and unverified.get("iss") == settings.oidc_issuer:
        return _verify_external(settings, token, header, now)
    return _verify_own(settings, token, header, now)


def _verify_own(settings: Settings, token: str, header: dict[str, Any],
                now: datetime) -> TokenClaims:
    if header.get("alg") not in ALLOWED_ALGORITHMS:
        raise _refuse("its signing algorithm is not accepted")
    claims = _decode(token, settings.jwt_secret.get_secret_value(), algorithm=ALGORITHM,
                     audience=settings.jwt_audience, issuer=settings.jwt_issuer)
    expires_at = _check_times(claims, _REQUIRED_CLAIMS, now)
    subject, jti = claims.get("sub"), claims.get("jti")
    if not isinstance(subject, str) or not subject or not isinstance(jti, str) or not jti:
        raise _refuse("its subject or id is malformed")
    scope = claims.get("scope", "")
    if not isinstance(scope, str):
        raise _refuse("its scope is malformed")
    return TokenClaims(subject=subject, scopes=frozenset(scope.split()), jti=jti,
                       expires_at=expires_at, issued_at=float(claims["iat"]))


def _verify_external(settings: Settings, token: str, header: dict[str, Any],
                     now: datetime) -> TokenClaims:
    algorithm = header.get("alg")
    if algorithm not in EXTERNAL_ALGORITHMS:
        raise _refuse("its signing algorithm is not accepted")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise _refuse("it does not name its signing key (kid)")
    found = jwks.key_set(settings).key(kid)
    if found is None:
        raise _refuse("its signing key is not one the identity provider publishes")
    key_type, curve = EXTERNAL_ALGORITHMS[algorithm]
    if found.get("kty") != key_type or found.get("crv", curve) != curve \
            or found.get("alg", algorithm) != algorithm:
        raise _refuse("its signing key does not fit its algorithm")
    try:
        key = jwk.construct(found, algorithm)
    except JOSEError:
        raise _refuse("its signing key cannot be used") from None
    claims = _decode(token, key, algorithm=algorithm, audience=settings.oidc_audience,
                     issuer=settings.oidc_issuer)
    expires_at = _check_times(claims, _EXTERNAL_REQUIRED_CLAIMS, now)
    if claims.get("email_verified") is False:
        raise _refuse("its e-mail address is not verified")
    email = claims.get(settings.oidc_email_claim)
    if not isinstance(email, str) or not email.strip() or len(email) > MAX_EMAIL_LENGTH:
        raise _refuse(f"it has no usable {settings.oidc_email_claim!r} claim")
    return TokenClaims(subject=EMAIL_SUBJECT + email.strip().lower(), scopes=frozenset(),
                       jti=_external_token_id(settings.oidc_issuer or "", claims.get("jti"),
                                              token),
                       expires_at=expires_at, external=True)


def _external_token_id(issuer: str, jti: object, token: str) -> str:
    """A revocation id that cannot collide with GPS's own `jti`s (nor another issuer's).

    Issuers that send no `jti` (Entra ID's access tokens carry `uti` instead) are revoked by
    the token's signature.
    """
    basis = f"{issuer}\0{jti}" if isinstance(jti, str) and jti else token.rpartition(".")[2]
    digest = hashlib.sha256(basis.encode()).digest()
    return "oidc:" + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _decode(token: str, key: Any, *, algorithm: str, audience: str | None,
            issuer: str | None) -> dict[str, Any]:
    """Check the signature, `aud` and `iss` (times are checked by `_check_times`)."""
    try:
        return jwt.decode(token, key, algorithms=[algorithm], audience=audience, issuer=issuer,
                          options={"verify_exp": False, "verify_nbf": False,
                                   "verify_iat": False, "verify_at_hash": False})
    except JWTClaimsError as exc:
        raise _refuse(f"its claims are wrong ({exc})") from None
    except JWTError:
        raise _refuse("its signature does not verify") from None


def _time(claims: dict[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not math.isfinite(value) or not 0 <= value < 253402300800:  # before year 10000
        raise _refuse(f"its {name} claim is not a time")
    return float(value)


def _check_times(claims: dict[str, Any], required: tuple[str, ...],
                 now: datetime) -> datetime:
    """Check required claims are present and `exp`, `nbf`, `iat` against the clock, with the
    leeway; return the expiry."""
    missing = [name for name in required if name not in claims]
    if missing:
        raise _refuse("it lacks the " + ", ".join(missing) + " claim" +
                      ("s" if len(missing) > 1 else ""))
    moment = now.timestamp()
    expires, not_before, issued = _time(claims, "exp"), _time(claims, "nbf"), _time(claims, "iat")
    assert expires is not None and issued is not None
    if expires < moment - LEEWAY_SECONDS:
        raise _refuse("it has expired")
    if not_before is not None and not_before > moment + LEEWAY_SECONDS:
        raise _refuse("it is not valid yet (nbf)")
    if issued > moment + LEEWAY_SECONDS:
        raise _refuse("it was issued in the future")
    return datetime.fromtimestamp(expires, UTC)

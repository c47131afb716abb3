"""Access tokens: the only module that makes or reads JWTs.

HS256 with the configured secret; `iss`, `aud`, `exp`, `iat`, `sub` and `jti` are required and
checked; only the algorithms listed here are accepted, and headers that point at other keys
(`jku`, `x5u`, `jwk`, `x5c`) are refused outright.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from jose import jwt
from jose.exceptions import JWTError

from app.domain.errors import Unauthenticated
from app.settings import Settings

ALGORITHM = "HS256"
ALLOWED_ALGORITHMS = [ALGORITHM]
LEEWAY_SECONDS = 30
MAX_TOKEN_BYTES = 4096
_FOREIGN_KEY_HEADERS = frozenset({"jku", "x5u", "jwk", "x5c"})
_REQUIRED_CLAIMS = ("iss", "aud", "exp", "iat", "sub", "jti")


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
    jti: str
    expires_at: datetime


def issue(settings: Settings, *, subject: str, scopes: frozenset[str],
          now: datetime | None = None) -> IssuedToken:
    now = now or datetime.now(UTC)
    lifetime = timedelta(minutes=settings.access_token_minutes)
    jti = secrets.token_urlsafe(16)
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": subject,
        "iat": int(now.timestamp()),
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
    if len(token.encode()) > MAX_TOKEN_BYTES:
        raise _refuse("it is too large")
    try:
        header = jwt.get_unverified_header(token)
    except JWTError:
        raise _refuse("it is malformed") from None
    if header.get("alg") not in ALLOWED_ALGORITHMS:
        raise _refuse("its signing algorithm is not accepted")
    if _FOREIGN_KEY_HEADERS & set(header):
        raise _refuse("it names its own signing key, which is never trusted")
    try:
        claims = jwt.decode(
            token, settings.jwt_secret.get_secret_value(), algorithms=ALLOWED_ALGORITHMS,
            audience=settings.jwt_audience, issuer=settings.jwt_issuer,
            options={"require_" + claim: True for claim in _REQUIRED_CLAIMS}
            | {"leeway": LEEWAY_SECONDS, "verify_at_hash": False},
        )
    except jwt.ExpiredSignatureError:
        raise _refuse("it has expired") from None
    except jwt.JWTClaimsError as exc:
        raise _refuse(f"its claims are wrong ({exc})") from None
    except JWTError:
        raise _refuse("its signature does not verify") from None
    now = now or datetime.now(UTC)
    iat = claims.get("iat")
    if not isinstance(iat, int | float) or iat > now.timestamp() + LEEWAY_SECONDS:
        raise _refuse("it was issued in the future")
    subject, jti = claims.get("sub"), claims.get("jti")
    if not isinstance(subject, str) or not isinstance(jti, str) or not jti:
        raise _refuse("its subject or id is missing")
    scope = claims.get("scope", "")
    if not isinstance(scope, str):
        raise _refuse("its scope is malformed")
    return TokenClaims(subject=subject, scopes=frozenset(scope.split()), jti=jti,
                       expires_at=datetime.fromtimestamp(claims["exp"], UTC))

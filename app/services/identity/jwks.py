"""The external OpenID Connect issuer's signing keys (a JWKS), read from a URL or a file.

Keys are cached per process. An unknown `kid` re-reads the set, but at most once every
`GPS_OIDC_JWKS_REFRESH_SECONDS` (failed reads count too), so a stream of tokens naming
made-up keys cannot make GPS fetch on every request. The set is also re-read once a day on
use, so a key the provider has withdrawn stops being trusted without a restart.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from app.domain.errors import Unavailable
from app.settings import Settings

log = logging.getLogger("gps.jwks")

MAX_JWKS_BYTES = 256 * 1024
FETCH_TIMEOUT_SECONDS = 5.0
MAX_AGE_SECONDS = 24 * 60 * 60
_SIGNING_KEY_TYPES = frozenset({"RSA", "EC"})


class KeySetUnreadable(Exception):
    """The JWKS could not be read or is not a JWKS."""


class KeySet:
    """Signing keys by `kid`, loaded lazily and re-read under a rate limit."""

    def __init__(self, *, url: str | None, path: Path | None, refresh_seconds: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.url = url
        self.path = path
        self.refresh_seconds = refresh_seconds
        self.clock = clock
        self.reads = 0  # attempts to read the set (tests and metrics read it)
        self._keys: dict[str, dict[str, Any]] = {}
        self._read_at: float | None = None
        self._loaded_at: float | None = None
        self._lock = threading.Lock()

    def key(self, kid: str) -> dict[str, Any] | None:
        """The JWK named `kid`, or None when the issuer has no such key."""
        with self._lock:
            now = self.clock()
            stale = self._loaded_at is None or now - self._loaded_at >= MAX_AGE_SECONDS
            unknown = kid not in self._keys
            may_read = self._read_at is None or now - self._read_at >= self.refresh_seconds
            if (stale or unknown) and may_read:
                self._read(now)
            if self._loaded_at is None:
                raise Unavailable(detail="The identity provider's signing keys cannot be read "
                                         "just now; retry later or sign in at POST "
                                         "/v1/auth/token.")
            return self._keys.get(kid)

    def _read(self, now: float) -> None:
        self._read_at = now
        self.reads += 1
        try:
            keys = _parse(self._fetch())
        except KeySetUnreadable as exc:
            log.warning("could not read the identity provider's keys: %s", exc)
            return
        self._keys = keys
        self._loaded_at = now

    def _fetch(self) -> bytes:
        if self.path is not None:
            try:
                with self.path.open("rb") as handle:
                    data = handle.read(MAX_JWKS_BYTES + 1)
            except OSError as exc:
                raise KeySetUnreadable(f"{type(exc).__name__} reading the JWKS file") from None
        else:
            assert self.url is not None
            try:
                with httpx.Client(timeout=FETCH_TIMEOUT_SECONDS, follow_redirects=False) as client, \
                        client.stream("GET", self.url,
                                      headers={"Accept": "application/json"}) as answer:
                    if answer.status_code != 200:
                        raise KeySetUnreadable(f"the JWKS URL answered {answer.status_code}")
                    data = b""
                    for chunk in answer.iter_bytes():
                        data += chunk
                        if len(data) > MAX_JWKS_BYTES:
                            break
            except httpx.HTTPError as exc:
                raise KeySetUnreadable(f"{type(exc).__name__} fetching the JWKS URL") from None
        if len(data) > MAX_JWKS_BYTES:
            raise KeySetUnreadable(f"the JWKS is larger than {MAX_JWKS_BYTES} bytes")
        return data


def _parse(data: bytes) -> dict[str, dict[str, Any]]:
    """Signing keys with a `kid` (RSA and EC; keys marked for encryption are left out)."""
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, ValueError):
        raise KeySetUnreadable("the JWKS is not JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise KeySetUnreadable("the JWKS has no `keys` list")
    keys: dict[str, dict[str, Any]] = {}
    for key in document["keys"]:
        if not isinstance(key, dict) or key.get("kty") not in _SIGNING_KEY_TYPES:
            continue
        kid = key.get("kid")
        if not isinstance(kid, str) or not kid or key.get("use", "sig") != "sig":
            continue
        keys[kid] = key
    return keys


_key_sets: dict[tuple[str | None, str | None, int], KeySet] = {}
_registry_lock = threading.Lock()


def key_set(settings: Settings) -> KeySet:
    """The process's key set for the configured issuer (one per source)."""
    path = settings.oidc_jwks_file
    source = (settings.oidc_jwks_url, str(path) if path else None,
              settings.oidc_jwks_refresh_seconds)
    with _registry_lock:
        found = _key_sets.get(source)
        if found is None:
            found = _key_sets[source] = KeySet(url=settings.oidc_jwks_url, path=path,
                                               refresh_seconds=settings.oidc_jwks_refresh_seconds)
        return found

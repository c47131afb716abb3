"""Security headers: every answer forbids content sniffing and referrers; the consoles
(Swagger UI, ReDoc) may run only GPS's own scripts and are never framed.

The consoles still work under their policy: the browser test (tests/browser) signs in and
calls the API from Swagger UI; here, each inline script of each console page is checked to
be allowed by its hash, and everything the pages load comes from GPS itself.
"""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

CONSOLES = ["/docs", "/redoc", "/docs/oauth2-redirect"]


@pytest.mark.parametrize("method, path, status", [
    ("GET", "/healthz", 200), ("GET", "/v1/me", 401), ("GET", "/nowhere", 404),
    ("DELETE", "/healthz", 405), ("GET", "/metrics", 401), ("GET", "/v1/openapi.json", 200),
    ("GET", "/static/swagger-ui/swagger-ui.css", 200), ("POST", "/v1/auth/token", 400),
    *[("GET", path, 200) for path in CONSOLES]])
def test_every_answer_forbids_sniffing_and_referrers(client, method, path, status):
    answer = client.request(method, path)
    assert answer.status_code == status, answer.text
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "no-referrer"


def test_the_body_limit_answer_has_them_too(client):
    answer = client.post("/v1/objectives", content=b"x" * (65 * 1024),
                         headers={"Content-Type": "application/json"})
    assert answer.status_code == 413
    assert answer.headers["x-content-type-options"] == "nosniff"


def _policy(header: str) -> dict[str, list[str]]:
    return {name: values for name, *values in
            (part.split() for part in header.split(";") if part.strip())}


@pytest.mark.parametrize("path", CONSOLES)
def test_the_consoles_run_only_their_own_scripts_and_are_never_framed(client, path):
    answer = client.get(path)
    assert answer.headers["x-frame-options"] == "DENY"
    policy = _policy(answer.headers["content-security-policy"])
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["default-src"] == ["'none'"]
    scripts = policy["script-src"]
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert policy["connect-src"] == ["'self'"]
    # Each inline script is allowed by its hash; nothing else inline is.
    inline = re.findall(r"<script>(.*?)</script>", answer.text, re.DOTALL)
    hashes = {"'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
              for s in inline}
    assert set(scripts) == {"'self'", *hashes}
    # Everything the page loads is GPS's own (no CDN): what the policy allows is there.
    for url in re.findall(r'(?:src|href)="([^"]+)"', answer.text):
        assert url.startswith("/static/"), url
        assert client.get(url).status_code == 200


def test_an_injected_inline_script_would_not_run(client):
    """The policy names the page's scripts exactly: any other inline script is refused."""
    policy = client.get("/docs").headers["content-security-policy"]
    other = "'sha256-" + base64.b64encode(hashlib.sha256(b"alert(1)").digest()).decode() + "'"
    assert other not in policy and "'unsafe-inline'" not in _policy(policy)["script-src"]

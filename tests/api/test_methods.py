"""HTTP methods: a 405 names the methods that are allowed (`Allow`), as problem+json; HEAD is
answered wherever GET is, with GET's status and headers and no body."""

from __future__ import annotations

import pytest

from tests.factories import new_person

PROBLEM = "application/problem+json"


@pytest.mark.parametrize("method, path, allow", [
    ("DELETE", "/healthz", "GET, HEAD"),
    ("PUT", "/v1/people", "GET, HEAD, POST"),
    ("PUT", "/v1/people/4", "GET, HEAD, PATCH"),
    ("PATCH", "/v1/openapi.json", "GET, HEAD"),
    ("HEAD", "/v1/auth/token", "POST"),
    ("GET", "/v1/auth/token", "POST"),
    ("DELETE", "/static/swagger-ui/swagger-ui.css", "GET, HEAD"),
    ("POST", "/metrics", "GET, HEAD"),
])
def test_a_405_lists_the_allowed_methods(client, method, path, allow):
    answer = client.request(method, path)
    assert answer.status_code == 405
    assert answer.headers["allow"] == allow
    assert answer.headers["content-type"] == PROBLEM
    if method != "HEAD":
        assert answer.json()["status"] == 405 and allow in answer.json()["detail"]
        assert answer.json()["detail"].startswith(f"{method} is not allowed")


@pytest.mark.parametrize("path", ["/healthz", "/docs", "/v1/openapi.json",
                                  "/static/swagger-ui/swagger-ui.css"])
def test_head_answers_like_get_without_a_body(client, path):
    got = client.get(path)
    head = client.head(path)
    assert head.status_code == got.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["content-length"] == str(len(got.content))


def test_head_on_the_api_checks_the_caller_like_get(client, db, as_):
    person = new_person(db)
    assert client.head("/v1/me").status_code == 401
    got = client.get(f"/v1/people/{person.id}", headers=as_(person))
    head = client.head(f"/v1/people/{person.id}", headers=as_(person))
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == got.headers["etag"]
    assert client.head("/v1/people/999999", headers=as_(person)).status_code == 404

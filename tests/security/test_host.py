"""The `Host` header is the caller's to choose, so GPS neither reflects it nor answers to any:
`Location` headers are paths, and with GPS_ALLOWED_HOSTS set, another Host is a 400 problem."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.factories import new_person

PROBLEM = "application/problem+json"


def test_location_is_a_path_whatever_the_host(client, db, as_):
    admin = new_person(db, roles=["admin"])
    answer = client.post("/v1/teams", headers={**as_(admin), "Host": "evil.example"},
                         json={"name": "Platform"})
    assert answer.status_code == 201, answer.text
    location = answer.headers["location"]
    assert location == f"/v1/teams/{answer.json()['id']}"
    assert "evil" not in location
    assert client.get(location, headers=as_(admin)).status_code == 200


@pytest.fixture
def strict(settings, migrated) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update={
        "allowed_hosts": "gps.example.org, *.gps.internal"}))
    with TestClient(app, base_url="http://gps.example.org",
                    raise_server_exceptions=False) as client:
        yield client
    app.state.engine.dispose()


@pytest.mark.parametrize("host", ["evil.example", "gps.example.org.evil.example",
                                  "evilgps.example.org", "", "gps.internal", "[::1]:8000",
                                  "gps.example.org:8000@evil.example"])
def test_an_unknown_host_is_a_400_problem(strict, host):
    answer = strict.get("/v1/me", headers={"Host": host})
    assert answer.status_code == 400
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["type"] == "/problems/bad-host"
    assert host not in answer.text or not host


@pytest.mark.parametrize("host", ["gps.example.org", "GPS.Example.org:8443",
                                  "a.gps.internal", "b.c.gps.internal:80"])
def test_the_configured_hosts_are_answered(strict, host):
    assert strict.get("/v1/me", headers={"Host": host}).status_code == 401


def test_probes_answer_any_host(strict):
    assert strict.get("/healthz", headers={"Host": "10.0.0.7:8000"}).status_code == 200
    assert strict.get("/metrics", headers={"Host": "10.0.0.7:8000"}).status_code == 401


def test_any_host_is_answered_by_default(client):
    assert client.get("/v1/me", headers={"Host": "anything.example"}).status_code == 401

"""/metrics is for a monitoring service account only, and no series follows casework.

An outsider watching `gps_http_requests_total{route="/v1/cases",status="201"}` could watch
formal cases being opened; so /metrics needs a token with `metrics:read` (which no role
grants, only a service account), and case, concern and audit routes are counted under one
label with no method or status.
"""

from __future__ import annotations

import pytest

from app.domain.scopes import PERSON_BASE, ROLE_SCOPES, Scope
from app.domain.vocabulary import Role
from tests.factories import PASSWORD, new_person

PROBLEM = "application/problem+json"


def _service_token(client, admin_headers, scopes: list[str]) -> dict[str, str]:
    created = client.post("/v1/service-accounts", headers=admin_headers,
                          json={"name": "Monitoring", "scopes": scopes})
    assert created.status_code == 201, created.text
    account = created.json()
    token = client.post("/v1/auth/token", data={
        "grant_type": "client_credentials", "client_id": account["client_id"],
        "client_secret": account["client_secret"]})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


@pytest.fixture
def admin(db):
    return new_person(db, roles=["admin"])


def test_metrics_refuse_anyone_without_a_token(client):
    answer = client.get("/metrics")
    assert answer.status_code == 401
    assert answer.headers["content-type"] == PROBLEM
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert "gps_http_requests_total" not in answer.text


def test_metrics_refuse_people_whatever_their_roles(client, db, as_):
    for roles in ([], ["admin"], ["head_of_department"], ["case_manager", "admin"]):
        answer = client.get("/metrics", headers=as_(new_person(db, roles=roles)))
        assert answer.status_code == 403, (roles, answer.text)
        assert answer.headers["content-type"] == PROBLEM
        assert "gps_http_requests_total" not in answer.text


def test_metrics_refuse_a_service_account_without_the_scope(client, admin, as_):
    hr = _service_token(client, as_(admin), ["hr.feed:read"])
    assert client.get("/metrics", headers=hr).status_code == 403


def test_no_role_grants_the_scope_and_a_person_cannot_ask_for_it(client, db):
    assert all(Scope.metrics_read not in granted for granted in ROLE_SCOPES.values())
    assert Scope.metrics_read not in PERSON_BASE
    new_person(db, roles=[r.value for r in Role], login=True, email="scraper@example.org")
    answer = client.post("/v1/auth/token", data={
        "grant_type": "password", "username": "scraper@example.org", "password": PASSWORD,
        "scope": "metrics:read"})
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_scope"


def test_a_monitoring_service_account_scrapes_metrics(client, admin, as_):
    scraper = _service_token(client, as_(admin), ["metrics:read"])
    client.get("/v1/people", headers=as_(admin))
    answer = client.get("/metrics", headers=scraper)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    assert 'gps_http_requests_total{method="GET",route="/v1/people",status="200"}' in answer.text


def test_no_series_follows_cases_or_concerns(client, db, admin, as_):
    scraper = _service_token(client, as_(admin), ["metrics:read"])
    manager = new_person(db, band="8a")
    report = new_person(db, line_manager=manager)
    case_manager = new_person(db, roles=["case_manager"])
    raised = client.post("/v1/concerns", headers=as_(manager),
                         json={"subject_id": report.id, "summary": "Worried about workload"})
    assert raised.status_code in (201, 422), raised.text
    client.get("/v1/cases", headers=as_(case_manager))
    client.get("/v1/cases/12345", headers=as_(case_manager))
    client.get("/v1/concerns", headers=as_(case_manager))
    client.post("/v1/cases", headers=as_(case_manager), json={})
    text = client.get("/metrics", headers=scraper).text
    lines = [line for line in text.splitlines() if line.startswith("gps_http_request")]
    assert not [line for line in lines if "/cases" in line or "/concerns" in line
                or "/audit" in line]
    assert any('route="casework"' in line and 'status="casework"' in line for line in lines)

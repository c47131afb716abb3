"""Signing in, service accounts, scopes, and who am I.

Token checks (every way a bearer token can be wrong) are in tests/security/test_tokens.py.
"""

from __future__ import annotations

import base64

from sqlmodel import select

from app.db.models import AuditEntry
from tests.factories import PASSWORD

PROBLEM = "application/problem+json"


def _login(client, email, password=PASSWORD, **extra):
    return client.post("/v1/auth/token",
                       data={"grant_type": "password", "username": email, "password": password,
                             **extra})


def test_password_grant_issues_a_working_bearer_token(client, person):
    alice = person(login=True, email="Alice@Example.org", roles=["admin"])
    answer = _login(client, "alice@EXAMPLE.org")
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "bearer"
    assert 0 < body["expires_in"] <= 15 * 60
    assert "people:write" in body["scope"].split()
    assert answer.headers["cache-control"] == "no-store"
    me = client.get("/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["person"]["id"] == alice.id


def test_requested_scope_narrows_the_token(client, person):
    person(login=True, email="bob@example.org", roles=["admin"])
    answer = _login(client, "bob@example.org", scope="people:read")
    assert answer.json()["scope"] == "people:read"
    token = answer.json()["access_token"]
    refused = client.post("/v1/people", headers={"Authorization": f"Bearer {token}"},
                          json={"name": "X", "email": "x@example.org", "kind": "employee"})
    assert refused.status_code == 403
    assert "people:write" in refused.json()["detail"]


def test_asking_for_a_scope_not_held_is_invalid_scope(client, person):
    person(login=True, email="carol@example.org")
    answer = _login(client, "carol@example.org", scope="people:write")
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_scope"


def test_wrong_password_is_invalid_grant_and_audited(client, person, db):
    target = person(login=True, email="dan@example.org")
    answer = _login(client, "dan@example.org", "not the password")
    assert answer.status_code == 400
    assert answer.headers["content-type"] == PROBLEM
    body = answer.json()
    assert body["error"] == "invalid_grant" and body["error_description"]
    assert "not the password" not in answer.text
    entries = db.exec(select(AuditEntry).where(AuditEntry.action == "auth.password")).all()
    assert [(e.outcome, e.target_id) for e in entries] == [("refused", str(target.id))]


def test_unknown_account_and_inactive_account_get_the_same_answer(client, person):
    person(login=True, email="gone@example.org", active=False)
    inactive = _login(client, "gone@example.org")
    unknown = _login(client, "nobody@example.org")
    assert inactive.status_code == unknown.status_code == 400
    assert inactive.json()["detail"] == unknown.json()["detail"]


def test_missing_and_unsupported_grants(client):
    assert client.post("/v1/auth/token", data={}).json()["error"] == "invalid_request"
    answer = client.post("/v1/auth/token", data={"grant_type": "authorization_code"})
    assert answer.status_code == 400 and answer.json()["error"] == "unsupported_grant_type"
    answer = client.post("/v1/auth/token", data={"grant_type": "password", "username": "a"})
    assert answer.json()["error"] == "invalid_request"


def test_service_account_lifecycle(client, org, as_, settings):
    admin = as_(org["admin"])
    created = client.post("/v1/service-accounts", headers=admin,
                          json={"name": "HR system", "scopes": ["hr.feed:read"]})
    assert created.status_code == 201
    account = created.json()
    secret = account["client_secret"]
    listed = client.get("/v1/service-accounts", headers=admin).json()["items"]
    assert [a["client_id"] for a in listed] == [account["client_id"]]
    assert "client_secret" not in listed[0] and secret not in str(listed)

    by_form = client.post("/v1/auth/token", data={
        "grant_type": "client_credentials", "client_id": account["client_id"],
        "client_secret": secret})
    assert by_form.status_code == 200 and by_form.json()["scope"] == "hr.feed:read"
    basic = base64.b64encode(f"{account['client_id']}:{secret}".encode()).decode()
    by_basic = client.post("/v1/auth/token", data={"grant_type": "client_credentials"},
                           headers={"Authorization": f"Basic {basic}"})
    assert by_basic.status_code == 200
    token = {"Authorization": f"Bearer {by_basic.json()['access_token']}"}
    me = client.get("/v1/me", headers=token).json()
    assert me["kind"] == "service_account" and me["scopes"] == ["hr.feed:read"]
    # The HR system cannot read the directory: it was not given people:read.
    assert client.get("/v1/people", headers=token).status_code == 403

    assert client.delete(f"/v1/service-accounts/{account['id']}", headers=admin).status_code == 204
    assert client.get("/v1/me", headers=token).status_code == 401
    again = client.post("/v1/auth/token", data={
        "grant_type": "client_credentials", "client_id": account["client_id"],
        "client_secret": secret})
    assert again.status_code == 401 and again.json()["error"] == "invalid_client"


def test_unknown_client_and_wrong_secret_are_invalid_client(client):
    answer = client.post("/v1/auth/token", data={
        "grant_type": "client_credentials", "client_id": "gps-nope", "client_secret": "x"})
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"
    assert answer.headers["www-authenticate"].startswith("Basic")


def test_service_accounts_cannot_be_given_person_scopes(client, org, as_):
    answer = client.post("/v1/service-accounts", headers=as_(org["admin"]),
                         json={"name": "Rogue", "scopes": ["people:write"]})
    assert answer.status_code == 422


def test_only_admins_manage_service_accounts(client, org, as_):
    answer = client.post("/v1/service-accounts", headers=as_(org["dev"]),
                         json={"name": "Mine", "scopes": ["hr.feed:read"]})
    assert answer.status_code == 403


def test_losing_a_role_removes_its_scopes_from_live_tokens(client, org, as_, person):
    second_admin = person(band=None, roles=["admin"])
    third_admin = person(band=None, roles=["admin"])
    headers = as_(second_admin)
    admin = as_(org["admin"])
    # Removing `admin` takes two admins (tests/api/test_duties.py): one proposes, one approves.
    proposed = client.post("/v1/role-changes", headers=admin, json={
        "person_id": second_admin.id, "role": "admin", "change": "remove",
        "reason": "Moved to another department"}).json()
    assert client.post(f"/v1/role-changes/{proposed['id']}/approve",
                       headers=as_(third_admin), json={}).status_code == 200
    answer = client.post("/v1/people", headers=headers,
                         json={"name": "X", "email": "x@example.org", "kind": "employee"})
    assert answer.status_code == 403

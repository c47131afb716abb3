"""Failed sign-ins are limited per account and per client address, in the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from app.db.protection import LoginAttempt
from tests.factories import PASSWORD

PROBLEM = "application/problem+json"
WRONG = "not the password at all"


@pytest.fixture
def client_at(app):
    """A test client whose requests come from the given address."""
    opened: list[TestClient] = []

    def make(address: str) -> TestClient:
        test_client = TestClient(app, raise_server_exceptions=False, client=(address, 50000))
        opened.append(test_client)
        return test_client

    yield make
    for test_client in opened:
        test_client.close()


def _login(client, email, password=PASSWORD):
    return client.post("/v1/auth/token",
                       data={"grant_type": "password", "username": email, "password": password})


def test_the_sixth_wrong_password_is_refused_with_retry_after(client, person, settings):
    person(login=True, email="erin@example.org")
    for _ in range(settings.login_attempts_per_account):
        assert _login(client, "erin@example.org", WRONG).status_code == 400
    refused = _login(client, "Erin@Example.org", WRONG)
    assert refused.status_code == 429
    assert refused.headers["content-type"] == PROBLEM
    assert refused.json()["type"] == "/problems/too-many-attempts"
    wait = int(refused.headers["retry-after"])
    assert 0 < wait <= settings.login_window_seconds


def test_while_limited_even_the_right_password_is_refused(client, person, settings):
    person(login=True, email="fay@example.org")
    for _ in range(settings.login_attempts_per_account):
        _login(client, "fay@example.org", WRONG)
    answer = _login(client, "fay@example.org")
    assert answer.status_code == 429
    assert "access_token" not in answer.text


def test_another_account_from_another_address_still_signs_in(client_at, person, settings):
    person(login=True, email="gus@example.org")
    person(login=True, email="hal@example.org")
    attacker = client_at("192.0.2.1")
    for _ in range(settings.login_attempts_per_account + 1):
        _login(attacker, "gus@example.org", WRONG)
    assert _login(attacker, "gus@example.org").status_code == 429
    assert _login(client_at("192.0.2.2"), "hal@example.org").status_code == 200


def test_the_address_limit_spans_accounts(client_at, person, settings):
    emails = [f"p{i}@example.org" for i in range(settings.login_attempts_per_address)]
    for email in emails:
        person(login=True, email=email)
    sprayer = client_at("198.51.100.7")
    # Fewer failures per account than the account limit, but many accounts from one address.
    for email in emails:
        assert _login(sprayer, email, WRONG).status_code == 400
    refused = _login(sprayer, emails[0])
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    # The accounts themselves are not locked: from elsewhere they sign in.
    assert _login(client_at("198.51.100.8"), emails[0]).status_code == 200


def test_failures_age_out_of_the_window(client, person, db, settings):
    person(login=True, email="ivy@example.org")
    for _ in range(settings.login_attempts_per_account):
        _login(client, "ivy@example.org", WRONG)
    assert _login(client, "ivy@example.org").status_code == 429
    old = datetime.now(UTC) - timedelta(seconds=settings.login_window_seconds + 1)
    for row in db.exec(select(LoginAttempt)).all():
        row.attempted_at = old
        db.add(row)
    db.commit()
    assert _login(client, "ivy@example.org").status_code == 200
    # Old attempts are pruned when the next failure is recorded.
    _login(client, "ivy@example.org", WRONG)
    assert len(db.exec(select(LoginAttempt)).all()) == 1


def test_a_success_does_not_clear_other_accounts(client, person, settings):
    person(login=True, email="jon@example.org")
    person(login=True, email="kim@example.org")
    for _ in range(settings.login_attempts_per_account):
        _login(client, "jon@example.org", WRONG)
    assert _login(client, "kim@example.org").status_code == 200
    assert _login(client, "jon@example.org").status_code == 429


def test_failed_attempts_are_stored_though_the_request_is_refused(client, person, db):
    person(login=True, email="lea@example.org")
    _login(client, "lea@example.org", WRONG)
    rows = db.exec(select(LoginAttempt)).all()
    assert [(r.account, r.address) for r in rows] == [("person:lea@example.org", "testclient")]


def test_client_credentials_are_limited_per_client_id(client, settings):
    for _ in range(settings.login_attempts_per_account):
        answer = client.post("/v1/auth/token", data={
            "grant_type": "client_credentials", "client_id": "hr-feed", "client_secret": "x"})
        assert answer.status_code == 401
    refused = client.post("/v1/auth/token", data={
        "grant_type": "client_credentials", "client_id": "hr-feed", "client_secret": "x"})
    assert refused.status_code == 429 and "retry-after" in refused.headers


def test_the_contract_documents_429_on_the_token_operation(app):
    responses = app.openapi()["paths"]["/v1/auth/token"]["post"]["responses"]
    assert "Retry-After" in responses["429"]["headers"]

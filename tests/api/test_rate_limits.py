"""Sign-in attempts are throttled in the database with exponential back-off: per account and
address, per account and per address; claimed atomically before any password is checked;
never a lockout for an address the account has signed in from before (OWASP authentication
cheat sheet: docs/SECURITY.md)."""

from __future__ import annotations

import math
import threading
import time

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from app.db.protection import KnownSignInAddress, LoginThrottle
from app.services.kit import passwords
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


def _let_time_pass(db) -> None:
    """Every back-off has run out (moved in the database, not waited for)."""
    for row in db.exec(select(LoginThrottle)).all():
        row.next_allowed_ms = 0
        db.add(row)
    db.commit()


def test_failures_age_out_of_the_window(client, person, db, settings):
    person(login=True, email="ivy@example.org")
    for _ in range(settings.login_attempts_per_account):
        _login(client, "ivy@example.org", WRONG)
    assert _login(client, "ivy@example.org").status_code == 429
    for row in db.exec(select(LoginThrottle)).all():
        row.last_ms -= (settings.login_window_seconds + 1) * 1000
        row.next_allowed_ms = row.last_ms
        db.add(row)
    db.commit()
    assert _login(client, "ivy@example.org").status_code == 200


def test_the_back_off_doubles_with_each_further_failure(client, person, db, settings):
    person(login=True, email="max@example.org")
    for _ in range(settings.login_attempts_per_account):
        assert _login(client, "max@example.org", WRONG).status_code == 400
    failed_at = time.monotonic()
    base = settings.login_backoff_seconds
    for expected in (base, 2 * base, 4 * base):
        refused = _login(client, "max@example.org", WRONG)
        assert refused.status_code == 429
        # Retry-After counts down from the failure that set the back-off: on a slow machine
        # whole seconds may pass between that failure and this refusal.
        passed = math.ceil(time.monotonic() - failed_at)
        assert expected - passed <= int(refused.headers["retry-after"]) <= expected
        _let_time_pass(db)
        assert _login(client, "max@example.org", WRONG).status_code == 400  # checked
        failed_at = time.monotonic()


def test_a_known_address_still_signs_in_while_the_account_is_attacked(
        client_at, person, settings):
    """No lockout: an admin hammered from elsewhere still signs in from their usual
    address, while new addresses are held back."""
    person(login=True, email="admin@example.org", roles=["admin"], band=None)
    usual, attacker, elsewhere = (client_at("203.0.113.5"), client_at("192.0.2.66"),
                                  client_at("192.0.2.99"))
    assert _login(usual, "admin@example.org").status_code == 200
    answers = [_login(attacker, "admin@example.org", WRONG).status_code for _ in range(12)]
    assert answers.count(400) == settings.login_attempts_per_account
    assert set(answers[settings.login_attempts_per_account:]) == {429}
    assert _login(usual, "admin@example.org").status_code == 200
    assert _login(elsewhere, "admin@example.org").status_code == 429


def test_a_success_clears_its_own_back_off_and_remembers_the_address(client, person, db,
                                                                     settings):
    person(login=True, email="ned@example.org")
    for _ in range(settings.login_attempts_per_account - 1):
        _login(client, "ned@example.org", WRONG)
    assert _login(client, "ned@example.org").status_code == 200
    for _ in range(settings.login_attempts_per_account):
        assert _login(client, "ned@example.org", WRONG).status_code == 400
    known = db.exec(select(KnownSignInAddress)).all()
    assert [(k.account, k.address) for k in known] == [("person:ned@example.org",
                                                        "testclient")]


def test_fifty_concurrent_wrong_passwords_check_at_most_the_allowance(
        app, person, settings, monkeypatch):
    """The claim and its record are one statement: 50 wrong passwords at once get no more
    password checks than the allowance (argon2 verifications counted, not timed)."""
    person(login=True, email="olga@example.org")
    checked, lock = [], threading.Lock()
    verify = passwords.verify_secret

    def counting(stored_hash, secret):
        with lock:
            checked.append(1)
        return verify(stored_hash, secret)

    monkeypatch.setattr(passwords, "verify_secret", counting)
    start = threading.Barrier(50)
    statuses: list[int] = []

    def guess() -> None:
        with TestClient(app, raise_server_exceptions=False,
                        client=("198.51.100.50", 40000)) as own:
            start.wait()
            answer = _login(own, "olga@example.org", WRONG)
            with lock:
                statuses.append(answer.status_code)

    threads = [threading.Thread(target=guess) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(statuses) == 50 and set(statuses) <= {400, 429, 503}, statuses
    assert statuses.count(400) == len(checked)
    assert 1 <= len(checked) <= settings.login_attempts_per_account


def test_a_success_does_not_clear_other_accounts(client, person, settings):
    person(login=True, email="jon@example.org")
    person(login=True, email="kim@example.org")
    for _ in range(settings.login_attempts_per_account):
        _login(client, "jon@example.org", WRONG)
    assert _login(client, "kim@example.org").status_code == 200
    assert _login(client, "jon@example.org").status_code == 429


def test_attempts_are_stored_though_the_request_is_refused(client, person, db):
    person(login=True, email="lea@example.org")
    _login(client, "lea@example.org", WRONG)
    keys = sorted(r.key for r in db.exec(select(LoginThrottle)).all())
    assert keys == ["account:person:lea@example.org", "address:testclient",
                    "pair:person:lea@example.org|testclient"]


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

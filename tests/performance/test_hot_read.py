"""The fixed cost of the everyday authenticated read, statement by statement.

The hot read is a line manager listing a report's objectives for a quarter
(`GET /v1/objectives?person_id=&quarter=`, about 20 items). Its budget is counted without
SQLite's `BEGIN` (PostgreSQL's driver begins implicitly), so it is the same on both databases:

1. the caller and whether the token was revoked (authentication, one statement);
2. the report (whose record already says the caller is their line manager, so the line,
   teams and coaching are not read: that statement is only for callers it does not name);
3. the page of objectives;
4. the evidence linked to them.

A change that adds a statement to this path must change the budget here, on purpose.
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.db.models import ServiceAccount
from app.services.identity import tokens
from app.settings import Settings
from tests.factories import StatementCounter, bearer, new_person
from tests.performance.test_statement_counts import World, list_objectives

HOT_READ_BUDGET = 4
AUTHENTICATION_BUDGET = 1


def _work(counted: StatementCounter) -> list[str]:
    """The statements that do work: SQLite's BEGIN only opens the transaction."""
    return [s for s in counted.sql if not s.upper().startswith("BEGIN")]


def test_the_hot_read_takes_its_budget(db: Session, client: TestClient, settings: Settings,
                                       statements, record_property) -> None:
    probe = list_objectives(World(db, client, settings), 20)
    client.get(probe.url, headers=probe.headers)
    with statements() as counted:
        answer = client.get(probe.url, headers=probe.headers)
    assert answer.status_code == 200 and len(answer.json()["items"]) == 20
    record_property("statements", {"route": "hot read (list_objectives, 20 items)",
                                   "small": counted.count, "large": counted.count,
                                   "sizes": f"20 items; {len(_work(counted))} besides BEGIN"})
    assert len(_work(counted)) == HOT_READ_BUDGET, "\n".join(_work(counted))


def _bands(client: TestClient, headers: dict[str, str], statements) -> tuple[int, int]:
    """GET /v1/bands reads nothing but the caller: its statements are authentication's."""
    with statements() as counted:
        status = client.get("/v1/bands", headers=headers).status_code
    return status, len(_work(counted))


def test_authentication_is_one_statement_and_still_stops_a_person_at_once(
        db: Session, client: TestClient, settings: Settings, statements) -> None:
    person = new_person(db, band="7")
    headers = bearer(settings, person)
    assert _bands(client, headers, statements) == (200, AUTHENTICATION_BUDGET)

    person.active = False
    db.add(person)
    db.commit()
    assert _bands(client, headers, statements) == (401, AUTHENTICATION_BUDGET)

    person.active = True
    db.add(person)
    db.commit()
    assert _bands(client, headers, statements)[0] == 200
    assert client.post("/v1/auth/revoke", headers=headers).status_code == 200
    assert _bands(client, headers, statements) == (401, AUTHENTICATION_BUDGET)
    assert _bands(client, bearer(settings, person), statements) == (200, AUTHENTICATION_BUDGET)


def test_authentication_is_one_statement_and_still_stops_a_service_account_at_once(
        db: Session, client: TestClient, settings: Settings, statements) -> None:
    account = ServiceAccount(name="Directory sync", client_id="gps-directory",
                             secret_hash="not used", scopes=["people:read"])
    db.add(account)
    db.commit()
    issued = tokens.issue(settings, subject="client:gps-directory",
                          scopes=frozenset({"people:read"}))
    headers = {"Authorization": f"Bearer {issued.token}"}
    assert _bands(client, headers, statements) == (200, AUTHENTICATION_BUDGET)

    assert client.post("/v1/auth/revoke", headers=headers).status_code == 200
    assert _bands(client, headers, statements) == (401, AUTHENTICATION_BUDGET)

    second = tokens.issue(settings, subject="client:gps-directory",
                          scopes=frozenset({"people:read"}))
    headers = {"Authorization": f"Bearer {second.token}"}
    assert _bands(client, headers, statements)[0] == 200
    client.delete(f"/v1/service-accounts/{account.id}",
                  headers=bearer(settings, new_person(db, band=None, roles=["admin"])))
    assert _bands(client, headers, statements) == (401, AUTHENTICATION_BUDGET)

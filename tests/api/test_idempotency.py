"""Idempotency-Key: a retried POST creates once and answers the same again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from app.db.models import Person
from app.db.protection import IdempotencyKey
from app.services.kit import idempotency

PROBLEM = "application/problem+json"


def _create(client, headers, key, **body):
    payload = {"name": "New Person", "email": "new@example.org", "kind": "employee", **body}
    return client.post("/v1/people", headers={**headers, "Idempotency-Key": key}, json=payload)


def _people(db, email="new@example.org"):
    return db.exec(select(Person).where(Person.email == email)).all()


def test_the_same_key_and_body_creates_once_and_replays_the_answer(client, org, as_, db):
    first = _create(client, as_(org["admin"]), "create-new-1")
    assert first.status_code == 201
    assert "idempotent-replayed" not in first.headers
    again = _create(client, as_(org["admin"]), "create-new-1")  # a fresh token, same caller
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    for header in ("content-type", "location", "etag"):
        assert again.headers[header] == first.headers[header]
    assert len(_people(db)) == 1


def test_the_same_key_with_a_different_body_is_422(client, org, as_, db):
    assert _create(client, as_(org["admin"]), "k-2").status_code == 201
    answer = _create(client, as_(org["admin"]), "k-2", name="Someone Else")
    assert answer.status_code == 422
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["type"] == "/problems/idempotency-key-reused"
    assert [p.name for p in _people(db)] == ["New Person"]


def test_a_repeat_while_the_first_is_running_is_409(client, org, as_, db):
    headers = as_(org["admin"])
    payload = b'{"name":"New Person","email":"new@example.org","kind":"employee"}'
    now = datetime.now(UTC)
    db.add(IdempotencyKey(
        caller=idempotency.digest(f"person:{org['admin'].id}".encode()), key="k-3",
        fingerprint=idempotency.digest(b"POST", b"/v1/people", b"", payload),
        state=idempotency.RUNNING, created_at=now, expires_at=now + timedelta(hours=1)))
    db.commit()
    answer = client.post("/v1/people", content=payload, headers={
        **headers, "Idempotency-Key": "k-3", "Content-Type": "application/json"})
    assert answer.status_code == 409
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["type"] == "/problems/idempotency-key-in-use"
    assert _people(db) == []


def test_an_abandoned_claim_is_taken_over_after_its_lease(client, org, as_, db):
    """A worker that died mid-request must not block the key until it expires."""
    headers = as_(org["admin"])
    payload = b'{"name":"New Person","email":"new@example.org","kind":"employee"}'
    long_ago = datetime.now(UTC) - idempotency.RUNNING_LEASE - timedelta(seconds=5)
    db.add(IdempotencyKey(
        caller=idempotency.digest(f"person:{org['admin'].id}".encode()), key="k-9",
        fingerprint=idempotency.digest(b"POST", b"/v1/people", b"", payload),
        state=idempotency.RUNNING, created_at=long_ago,
        expires_at=long_ago + timedelta(hours=1)))
    db.commit()
    answer = client.post("/v1/people", content=payload, headers={
        **headers, "Idempotency-Key": "k-9", "Content-Type": "application/json"})
    assert answer.status_code == 201
    assert [p.name for p in _people(db)] == ["New Person"]


def test_expired_keys_are_ignored_and_pruned(client, org, as_, db, settings):
    assert _create(client, as_(org["admin"]), "k-4").status_code == 201
    row = db.exec(select(IdempotencyKey)).one()
    row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.add(row)
    db.commit()
    # The key is forgotten, so the route runs again (and the e-mail address is now taken).
    again = _create(client, as_(org["admin"]), "k-4")
    assert again.status_code == 409
    assert "idempotent-replayed" not in again.headers
    assert db.exec(select(IdempotencyKey)).all() == []  # expired pruned; failure not kept
    later = _create(client, as_(org["admin"]), "k-5", email="later@example.org")
    assert later.status_code == 201
    db.expire_all()  # the new row may reuse the pruned one's id
    stored = db.exec(select(IdempotencyKey)).one()
    expected = timedelta(hours=settings.idempotency_key_hours)
    assert abs(stored.expires_at - stored.created_at - expected) < timedelta(seconds=1)


def test_keys_are_per_caller(client, org, as_, person, db):
    other_admin = person(roles=["admin"], name="Second Admin")
    first = _create(client, as_(org["admin"]), "shared-key")
    assert first.status_code == 201
    second = _create(client, as_(other_admin), "shared-key", email="other@example.org")
    assert second.status_code == 201
    assert "idempotent-replayed" not in second.headers
    assert second.json()["id"] != first.json()["id"]
    assert len(_people(db)) == 1 and len(_people(db, "other@example.org")) == 1


def test_a_failed_first_answer_is_not_stored_so_the_client_can_retry(client, org, as_, db):
    refused = _create(client, as_(org["admin"]), "k-6", kind="not-a-kind")
    assert refused.status_code == 422
    assert db.exec(select(IdempotencyKey)).all() == []
    fixed = _create(client, as_(org["admin"]), "k-6")
    assert fixed.status_code == 201 and "idempotent-replayed" not in fixed.headers


def test_a_caller_without_the_scope_is_refused_and_nothing_is_stored(client, org, as_, db):
    answer = _create(client, as_(org["dev"]), "k-7")
    assert answer.status_code == 403
    assert db.exec(select(IdempotencyKey)).all() == []


def test_an_invalid_key_is_422(client, org, as_, db):
    answer = _create(client, as_(org["admin"]), "x" * 201)
    assert answer.status_code == 422
    assert answer.json()["type"] == "/problems/invalid-idempotency-key"
    assert _people(db) == []


def test_without_a_key_nothing_changes(client, org, as_, db):
    headers = as_(org["admin"])
    assert client.post("/v1/people", headers=headers, json={
        "name": "A", "email": "a@example.org", "kind": "employee"}).status_code == 201
    assert db.exec(select(IdempotencyKey)).all() == []


def test_the_contract_documents_the_header_on_posts(app):
    paths = app.openapi()["paths"]
    names = [p["name"] for p in paths["/v1/people"]["post"].get("parameters", [])]
    assert "Idempotency-Key" in names
    assert not any(p.get("name") == "Idempotency-Key"
                   for p in paths["/v1/auth/token"]["post"].get("parameters", []))

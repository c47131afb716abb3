"""A body that nests too deeply is a 400 problem, never a 500 (Python's JSON parser recurses
once per level): on every JSON route, with or without an Idempotency-Key, and on the signed
webhooks once the signature has been checked."""

from __future__ import annotations

import json

import pytest

from app.domain.json_nesting import MAX_JSON_DEPTH, NestingGauge, too_deep
from app.domain.signatures import sign
from tests.conftest import GITHUB_SECRET, JIRA_SECRET
from tests.factories import new_person

PROBLEM = "application/problem+json"
DEEP = [b"[" * 60_000, b'{"a":' * 10_000, b'{"title": ' + b"[" * 100 + b"1" + b"]" * 100 + b"}",
        b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1)]


def _too_deep(answer) -> None:
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == PROBLEM
    assert "nests too deeply" in answer.json()["detail"]


@pytest.mark.parametrize("body", DEEP, ids=["arrays", "objects", "in-a-field", "one-too-many"])
def test_a_deeply_nested_body_is_a_400(client, db, as_, body):
    person = new_person(db)
    _too_deep(client.post("/v1/objectives", content=body, headers={
        **as_(person), "Content-Type": "application/json"}))
    _too_deep(client.post("/v1/objectives", content=body, headers={
        **as_(person), "Content-Type": "application/json", "Idempotency-Key": "k-1"}))
    _too_deep(client.patch(f"/v1/people/{person.id}", content=body, headers={
        **as_(person), "If-Match": "*"}))  # no Content-Type: parsed as JSON all the same


def test_nesting_inside_strings_is_only_text(client, db, as_):
    person = new_person(db)
    answer = client.post("/v1/objectives", headers=as_(person), json={
        "title": "[[[[{{{{" * 10 + '\\"[' * 20, "quarter": "2026-Q4",
        "twenty_percent_time": True})
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize("body", DEEP[:2], ids=["arrays", "objects"])
def test_a_signed_webhook_that_nests_too_deeply_is_a_400(client, body):
    _too_deep(client.post("/v1/integrations/jira/webhook", content=body, headers={
        "Content-Type": "application/json", "X-Hub-Signature": sign(JIRA_SECRET, body),
        "X-Atlassian-Webhook-Identifier": "deep-1"}))
    _too_deep(client.post("/v1/integrations/github/webhook", content=body, headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": sign(GITHUB_SECRET, body),
        "X-GitHub-Event": "push", "X-GitHub-Delivery": "deep-1"}))


def test_an_unsigned_deep_webhook_is_still_a_401(client):
    answer = client.post("/v1/integrations/jira/webhook", content=DEEP[0],
                         headers={"Content-Type": "application/json"})
    assert answer.status_code == 401


def test_the_gauge_reads_a_body_in_any_chunks():
    body = json.dumps({"a": [{"b": "x\\\"[[[" * 5}] * 3, "c": "\\"}).encode()
    for size in (1, 2, 3, 7):
        gauge = NestingGauge(3)
        assert not any(gauge.feed(body[i:i + size]) for i in range(0, len(body), size))
        assert gauge.depth == 0 and not gauge.in_string
    assert too_deep(b"[[[[", limit=3) and not too_deep(b"[[[]]]", limit=3)

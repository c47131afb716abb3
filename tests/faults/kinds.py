"""The kinds of request a fault is tried on: how to send one (as the `callers` fixture's
people), what it answers when all is well, and what it leaves behind once it has succeeded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, select

from app.db.growth import Evidence, Objective
from app.db.models import Person
from tests.api import test_github as github
from tests.api import test_jira as jira
from tests.factories import PASSWORD

SIGNS_IN = "signs.in@example.org"
OBJECTIVE = {"title": "Faster builds", "quarter": "2026-Q1"}
PUSH = [github.commit("a" * 40, "dev-one", "dev@example.org", "Show the next free slot"),
        github.commit("b" * 40, None, "peer@example.org", "Fix the slot query")]


@dataclass(frozen=True)
class Kind:
    send: Callable[[TestClient, dict], Response]
    succeeds_with: int
    # What the request leaves behind once it has succeeded: checked after the retry, so a
    # request applied twice (or in part) fails the check.
    effect: Callable[[Session], object] = lambda db: None
    expected_effect: object = None


def _objectives(db: Session) -> list[str]:
    return [o.title for o in db.exec(select(Objective))]


def _evidence(db: Session) -> list[tuple[str, str | None]]:
    return sorted((e.kind, e.external_id) for e in db.exec(select(Evidence)))


KINDS = {
    "authenticated read": Kind(
        lambda c, who: c.get("/v1/me", headers=who["dev"]), 200),
    "write": Kind(
        lambda c, who: c.post("/v1/objectives", headers=who["dev"], json=OBJECTIVE), 201,
        _objectives, [OBJECTIVE["title"]]),
    "write with an Idempotency-Key": Kind(
        lambda c, who: c.post("/v1/objectives", json=OBJECTIVE,
                              headers={**who["dev"], "Idempotency-Key": "k1"}), 201,
        _objectives, [OBJECTIVE["title"]]),
    "sign-in": Kind(
        lambda c, who: c.post("/v1/auth/token", data={
            "grant_type": "password", "username": SIGNS_IN, "password": PASSWORD}), 200),
    "Jira delivery": Kind(
        lambda c, who: jira.post(c, jira.issue_updated(key="APPT-101"), delivery="jira-1"),
        200, _evidence, [("ticket_done", "APPT-101")]),
    "GitHub push": Kind(
        lambda c, who: github.post(c, "push", github.push(commits=PUSH, after="b" * 40),
                                   delivery="github-1"),
        200, _evidence, [("production_change", "a" * 40), ("production_change", "b" * 40)]),
    "CSV import": Kind(
        lambda c, who: c.post("/v1/people/import", headers={**who["admin"],
                                                            "Content-Type": "text/csv"},
                              content=b"name,email,kind,band\nAda,ada@example.org,employee,8a\n"),
        201, lambda db: [p.name for p in db.exec(select(Person).where(
            Person.email == "ada@example.org"))], ["Ada"]),
}

"""Cut the database off in the middle of applying something, at every step in turn: nothing is
ever half-applied, and the sender's retry (the same delivery id) applies it exactly once.

A step is a statement sent to the database, or a commit. The cut comes from the network path
(the proxy closes the connections as the step is about to go out); the driver is not mocked.
Each request is swept: cut at step 1, check, heal, retry, check; then at step 2 with a fresh
delivery; and so on until a request runs to its end without reaching the step.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from httpx import Response
from sqlalchemy import event
from sqlmodel import Session, col, func, select

from app.db.growth import Evidence, HrEvent, Objective
from app.db.integrations import WebhookDelivery
from app.db.models import id_of
from app.db.support import Trigger
from tests.api import test_github as github
from tests.api import test_jira as jira
from tests.faults.conftest import assert_unavailable, call_bounded
from tests.faults.proxy import FaultProxy

pytestmark = pytest.mark.postgres_only

# Far more steps than any of these requests takes: the sweep ends long before.
MAX_STEPS = 100


class CutAtStep:
    """Cuts the path when the app's `step`th statement or commit is about to go out."""

    def __init__(self, app: FastAPI, proxy: FaultProxy, step: int) -> None:
        self.engine, self.proxy, self.step, self.seen = app.state.engine, proxy, step, 0

    def _count(self, *_args: object) -> None:
        self.seen += 1
        if self.seen == self.step:
            self.proxy.cut()

    def __enter__(self) -> CutAtStep:
        event.listen(self.engine, "before_cursor_execute", self._count)
        event.listen(self.engine, "commit", self._count)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)
        event.remove(self.engine, "commit", self._count)

    @property
    def struck(self) -> bool:
        return self.seen >= self.step


def sweep(app: FastAPI, proxy: FaultProxy, survived: Callable[[str], None], what: str, *,
          send: Callable[[int], Response], untouched: Callable[[int], None],
          applied_once: Callable[[int], None], succeeds_with: int = 200) -> int:
    """Cut request `n` at its step `n`, for n = 1, 2, ... until a request is not reached by
    its cut; return how many steps were cut."""
    for step in range(1, MAX_STEPS):
        with CutAtStep(app, proxy, step) as cut:
            answer = call_bounded(lambda: send(step))
        if not cut.struck:  # ran to its end: every step has had its cut
            assert answer.status_code == succeeds_with, answer.text
            applied_once(step)
            return step - 1
        assert_unavailable(answer)
        untouched(step)
        proxy.restore()
        retry = send(step)  # the sender's retry, once the database is back
        assert retry.status_code == succeeds_with, (step, retry.text)
        applied_once(step)
        survived(f"{what}: the database went down at step {step}")
    pytest.fail(f"{what} still reached its cut after {MAX_STEPS} steps")


def _deliveries(db: Session, delivery_id: str) -> list[WebhookDelivery]:
    return list(db.exec(select(WebhookDelivery).where(
        WebhookDelivery.delivery_id == delivery_id)))


def _evidence(db: Session, external_id: str) -> int:
    return db.exec(select(func.count()).select_from(Evidence).where(
        Evidence.external_id == external_id)).one()


def test_a_jira_delivery_cut_off_at_any_step_is_applied_exactly_once_on_retry(
        faulty_client, faulty_app, proxy, callers, db, survived):
    def send(n: int) -> Response:
        return jira.post(faulty_client, jira.issue_updated(key=f"APPT-{n}"),
                         delivery=f"jira-{n}")

    def untouched(n: int) -> None:
        assert _evidence(db, f"APPT-{n}") == 0
        # Stored for the retry (or not even that), never marked as applied.
        assert [d.status for d in _deliveries(db, f"jira-{n}")] in ([], ["received"])

    def applied_once(n: int) -> None:
        assert _evidence(db, f"APPT-{n}") == 1
        assert [d.status for d in _deliveries(db, f"jira-{n}")] == ["applied"]

    steps = sweep(faulty_app, proxy, survived, "Jira delivery", send=send,
                  untouched=untouched, applied_once=applied_once)
    assert steps >= 5  # the store, the lock, the savepoint, the evidence, the commits


def test_a_github_push_cut_off_at_any_step_is_applied_exactly_once_on_retry(
        faulty_client, faulty_app, proxy, callers, db, survived):
    def shas(n: int) -> list[str]:
        return [f"{n:03d}{letter}".ljust(40, letter) for letter in "abc"]

    def send(n: int) -> Response:
        first, second, head = shas(n)
        commits = [github.commit(first, "dev-one", "dev@example.org", "Show the next slot"),
                   github.commit(second, None, "peer@example.org", "Fix the slot query"),
                   github.commit(head, "dev-one", "dev@example.org", "Merge pull request")]
        return github.post(faulty_client, "push", github.push(commits=commits, after=head),
                           delivery=f"github-{n}")

    def untouched(n: int) -> None:
        assert [_evidence(db, sha) for sha in shas(n)] == [0, 0, 0]
        assert [d.status for d in _deliveries(db, f"github-{n}")] in ([], ["received"])

    def applied_once(n: int) -> None:
        assert [_evidence(db, sha) for sha in shas(n)] == [1, 1, 1]
        authors = {e.person_id for e in db.exec(select(Evidence).where(
            col(Evidence.external_id).in_(shas(n))))}
        assert authors == {callers["org"]["dev"].id, callers["org"]["peer"].id}
        assert [d.status for d in _deliveries(db, f"github-{n}")] == ["applied"]

    steps = sweep(faulty_app, proxy, survived, "GitHub push", send=send, untouched=untouched,
                  applied_once=applied_once)
    assert steps >= 5


def test_an_objective_completion_cut_off_at_any_step_leaves_it_and_its_hr_event_together(
        faulty_client, faulty_app, proxy, callers, db, survived):
    dev = callers["org"]["dev"]
    objectives: dict[int, int] = {}

    def send(n: int) -> Response:
        if n not in objectives:
            objective = Objective(person_id=dev.id, title=f"Objective {n}", quarter="2026-Q1",
                                  twenty_percent_time=True, status="agreed")
            db.add(objective)
            db.commit()
            objectives[n] = id_of(objective)
        return faulty_client.post(f"/v1/objectives/{objectives[n]}/complete",
                                  headers=callers["dev"], json={"note": "Shipped"})

    def state(n: int) -> tuple[str, int, int]:
        objective = db.get(Objective, objectives[n])
        db.refresh(objective)
        events = db.exec(select(func.count()).select_from(HrEvent).where(
            HrEvent.objective_id == objectives[n])).one()
        triggers = db.exec(select(func.count()).select_from(Trigger).where(
            Trigger.facts_key == f"objective-completed:{objectives[n]}")).one()
        return objective.status, events, triggers

    steps = sweep(faulty_app, proxy, survived, "objective completion", send=send,
                  untouched=lambda n: _equal(state(n), ("agreed", 0, 0)),
                  applied_once=lambda n: _equal(state(n), ("completed", 1, 1)))
    assert steps >= 5


def _equal(found: object, expected: object) -> None:
    assert found == expected

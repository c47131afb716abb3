"""The issue row's conditional upsert and the domain's order rule agree on every case.

The rule is written twice: in Python (`app.domain.jira.is_older`, which the unmatched path
and replay use) and in SQL (the condition on the upsert that claims an issue's row). Every
pair of events over a grid of timestamps and changelog ids is claimed both ways round, and
the database's answer must be the rule's.
"""

from __future__ import annotations

from itertools import product

from sqlmodel import Session

from app.domain import jira
from app.services.integrations.jira import _claim

GRID = [jira.EventOrder(at_ms, changelog) for at_ms, changelog in product(
    (100, 200), (None, 5, 6))]


def test_the_upsert_refuses_exactly_the_events_the_rule_calls_older(app):
    disagreements = []
    with Session(app.state.engine) as session:
        for n, (last, event) in enumerate(product(GRID, GRID)):
            key = f"GRID-{n}"
            assert _claim(session, key, last, jira.TicketChange.done, "last")
            applied = _claim(session, key, event, jira.TicketChange.undone, "event")
            if applied is jira.is_older(event, last):
                disagreements.append((last, event, applied))
        session.rollback()
    assert disagreements == []

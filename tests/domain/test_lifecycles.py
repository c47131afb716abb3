"""Every lifecycle refuses a move it does not allow with the same 409: the state the record is
in and the actions allowed from it now."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from app.domain import cases, interventions, objectives
from app.domain.access import Actor, Relation, coaching_session_actions
from app.domain.errors import Conflict, Forbidden
from app.domain.interventions import InterventionAction
from app.domain.objectives import ObjectiveAction
from app.domain.vocabulary import (CaseStatus, InterventionKind, InterventionStatus,
                                   ObjectiveStatus, SessionStatus)


def _refusal(move: Callable[[], object]) -> Conflict:
    with pytest.raises(Conflict) as refused:
        move()
    return refused.value


@pytest.mark.parametrize(("move", "state", "allowed"), [
    (lambda: objectives.transition(ObjectiveStatus.draft, ObjectiveAction.complete),
     "draft", ["agree", "request_changes", "drop", "edit"]),
    (lambda: interventions.transition(InterventionStatus.agreed, InterventionKind.coaching,
                                      InterventionAction.agree),
     "agreed", ["decline", "start"]),
    (lambda: interventions.transition(InterventionStatus.completed,
                                      InterventionKind.recognition, InterventionAction.start),
     "completed", []),
    (lambda: cases.advance(CaseStatus.open, CaseStatus.closed), "open", ["under_review"]),
    (lambda: cases.advance(CaseStatus.closed, CaseStatus.open), "closed", []),
])
def test_a_refused_move_names_the_state_and_the_allowed_actions(move, state, allowed):
    refusal = _refusal(move)
    assert refusal.code == "illegal-transition"
    assert refusal.extra == {"state": state, "allowed_actions": allowed}


def test_the_intervention_lifecycle():
    moves = [(InterventionAction.agree, InterventionStatus.agreed),
             (InterventionAction.start, InterventionStatus.in_progress),
             (InterventionAction.complete, InterventionStatus.completed)]
    status = InterventionStatus.proposed
    assert interventions.allowed_actions(status, InterventionKind.pairing) == ["agree",
                                                                               "decline"]
    for action, expected in moves:
        status = interventions.transition(status, InterventionKind.pairing, action)
        assert status is expected
    assert interventions.allowed_actions(status, InterventionKind.pairing) == []
    assert interventions.allowed_actions(InterventionStatus.proposed,
                                         InterventionKind.recognition) == []


def test_a_callers_actions_are_refused_by_relation_first_then_by_state():
    """The one answer behind `allowed_actions` and every refusal: an action the caller may
    never take is 403 naming the rule, whatever the state; one the state does not allow now
    is the lifecycle's 409 naming what the caller may do instead."""
    coachee = Actor(scopes=frozenset(), person_id=1)
    participant = coaching_session_actions(coachee, frozenset({Relation.self}),
                                           SessionStatus.held)
    assert participant.allowed == ["edit"]
    refusal = _refusal(lambda: participant.require("cancel", noun="coaching session"))
    assert refusal.extra == {"state": "held", "allowed_actions": ["edit"]}
    reader = coaching_session_actions(coachee, frozenset({Relation.line_manager}),
                                      SessionStatus.scheduled)
    assert reader.allowed == []
    with pytest.raises(Forbidden) as refused:
        reader.require("hold", noun="coaching session")
    assert refused.value.extra["rule"] == "coaching-session-participants"

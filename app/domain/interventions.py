"""The intervention lifecycle: proposed → agreed → in_progress → completed, or proposed/agreed
→ declined. A recognition is recorded as completed and has no lifecycle to move through.
Who may make each move is in the policy (INTERVENTION_ACTIONS in app/domain/access.py)."""

from __future__ import annotations

from enum import StrEnum

from app.domain.errors import refuse_move, what_next
from app.domain.vocabulary import InterventionKind, InterventionStatus


class InterventionAction(StrEnum):
    agree = "agree"
    decline = "decline"
    start = "start"
    complete = "complete"


_MOVES: dict[InterventionAction, tuple[frozenset[InterventionStatus], InterventionStatus]] = {
    InterventionAction.agree: (frozenset({InterventionStatus.proposed}),
                               InterventionStatus.agreed),
    InterventionAction.decline: (frozenset({InterventionStatus.proposed,
                                            InterventionStatus.agreed}),
                                 InterventionStatus.declined),
    InterventionAction.start: (frozenset({InterventionStatus.agreed}),
                               InterventionStatus.in_progress),
    InterventionAction.complete: (frozenset({InterventionStatus.in_progress}),
                                  InterventionStatus.completed),
}
PAST: dict[InterventionAction, str] = {
    InterventionAction.agree: "agreed", InterventionAction.decline: "declined",
    InterventionAction.start: "started", InterventionAction.complete: "completed"}


def allowed_actions(status: InterventionStatus, kind: InterventionKind) -> list[str]:
    """The lifecycle moves possible from a status (none for a recognition)."""
    if kind is InterventionKind.recognition:
        return []
    return [action.value for action, (sources, _) in _MOVES.items() if status in sources]


def transition(status: InterventionStatus, kind: InterventionKind,
               action: InterventionAction) -> InterventionStatus:
    """Return the status after `action`, or refuse the move naming the state and what is
    allowed from it."""
    sources, target = _MOVES[action]
    allowed = allowed_actions(status, kind)
    if kind is InterventionKind.recognition:
        refuse_move("A recognition is recorded as completed; there is nothing to agree, "
                    "decline, start or complete.", state=status.value, allowed_actions=allowed)
    if status not in sources:
        refuse_move(f"This intervention is {status.value}, so it cannot be {PAST[action]}. "
                    + what_next(status.value, allowed, "intervention"),
                    state=status.value, allowed_actions=allowed)
    return target

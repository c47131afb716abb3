"""The intervention lifecycle: proposed → agreed → in_progress → completed, or proposed/agreed
→ declined. A recognition is recorded as completed and has no lifecycle to move through.
Who may make each move is in the policy (app/domain/access.py)."""

from __future__ import annotations

from enum import StrEnum

from app.domain.access import Action
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

# Which of the policy's actions each move is: the person agrees or declines (support is
# offered, never imposed); the line manager starts it and records its completion.
POLICY_ACTION: dict[InterventionAction, Action] = {
    InterventionAction.agree: Action.agree, InterventionAction.decline: Action.agree,
    InterventionAction.start: Action.write, InterventionAction.complete: Action.write}


# Support the person asked for themselves: they asked already, so their line manager answers
# the request (agrees to it or declines it), then starts it and records it as completed.
REQUEST_POLICY_ACTION: dict[InterventionAction, Action] = {
    **POLICY_ACTION, InterventionAction.agree: Action.write,
    InterventionAction.decline: Action.write}


def policy_action(action: InterventionAction, *, requested: bool) -> Action:
    """Which of the policy's actions a move is, for offered support or a person's request."""
    return (REQUEST_POLICY_ACTION if requested else POLICY_ACTION)[action]


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

"""The objective lifecycle: draft → agreed → completed or dropped; completed → agreed on reopen;
draft → changes_requested when the line manager asks for changes, and back to draft with the
owner's next edit. Who may take each action is in app/domain/access.py (OBJECTIVE_ACTIONS)."""

from __future__ import annotations

from enum import StrEnum

from app.domain.errors import refuse_move, what_next
from app.domain.quarters import EXPECTED_TWENTY_PERCENT_OBJECTIVES
from app.domain.vocabulary import ObjectiveStatus


class ObjectiveAction(StrEnum):
    agree = "agree"
    complete = "complete"
    drop = "drop"
    reopen = "reopen"
    edit = "edit"
    request_changes = "request_changes"


_FROM: dict[ObjectiveAction, frozenset[ObjectiveStatus]] = {
    ObjectiveAction.agree: frozenset({ObjectiveStatus.draft}),
    ObjectiveAction.complete: frozenset({ObjectiveStatus.agreed}),
    ObjectiveAction.request_changes: frozenset({ObjectiveStatus.draft}),
    ObjectiveAction.drop: frozenset({ObjectiveStatus.draft, ObjectiveStatus.changes_requested,
                                     ObjectiveStatus.agreed}),
    ObjectiveAction.reopen: frozenset({ObjectiveStatus.completed}),
    ObjectiveAction.edit: frozenset({ObjectiveStatus.draft, ObjectiveStatus.changes_requested,
                                     ObjectiveStatus.agreed}),
}
_TO: dict[ObjectiveAction, ObjectiveStatus | None] = {
    ObjectiveAction.agree: ObjectiveStatus.agreed,
    ObjectiveAction.complete: ObjectiveStatus.completed,
    ObjectiveAction.drop: ObjectiveStatus.dropped,
    ObjectiveAction.reopen: ObjectiveStatus.agreed,
    ObjectiveAction.edit: None,
    ObjectiveAction.request_changes: ObjectiveStatus.changes_requested,
}


def allowed_actions(status: ObjectiveStatus) -> list[ObjectiveAction]:
    """The actions possible from a status, rewording (`edit`) among them."""
    return [action for action, sources in _FROM.items() if status in sources]


def transition(status: ObjectiveStatus, action: ObjectiveAction) -> ObjectiveStatus:
    """Return the status after `action`, or refuse the move naming what is allowed."""
    if status not in _FROM[action]:
        allowed = [a.value for a in allowed_actions(status)]
        refuse_move(f"The objective is {status.value}, so it cannot be {_PAST[action]}. "
                    + what_next(status.value, allowed, "objective"),
                    state=status.value, allowed_actions=allowed)
    if action is ObjectiveAction.edit and status is ObjectiveStatus.changes_requested:
        return ObjectiveStatus.draft  # rewritten as asked: back to the line manager to agree
    return _TO[action] or status


_PAST = {ObjectiveAction.agree: "agreed", ObjectiveAction.complete: "completed",
         ObjectiveAction.drop: "dropped", ObjectiveAction.reopen: "reopened",
         ObjectiveAction.edit: "edited",
         ObjectiveAction.request_changes: "sent back for changes"}


def twenty_percent_warning(count: int, quarter: str) -> str | None:
    """The policy expects three 20%-time objectives a quarter: say so, softly, when not."""
    expected = EXPECTED_TWENTY_PERCENT_OBJECTIVES
    if count == expected:
        return None
    return (f"{count} 20%-time objective{'s' if count != 1 else ''} for {quarter}; the policy "
            f"expects {expected} (an expectation, not a limit).")

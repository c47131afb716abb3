"""The objective lifecycle: draft → agreed → completed or dropped; completed → agreed on reopen."""

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


_FROM: dict[ObjectiveAction, frozenset[ObjectiveStatus]] = {
    ObjectiveAction.agree: frozenset({ObjectiveStatus.draft}),
    ObjectiveAction.complete: frozenset({ObjectiveStatus.agreed}),
    ObjectiveAction.drop: frozenset({ObjectiveStatus.draft, ObjectiveStatus.agreed}),
    ObjectiveAction.reopen: frozenset({ObjectiveStatus.completed}),
    ObjectiveAction.edit: frozenset({ObjectiveStatus.draft, ObjectiveStatus.agreed}),
}
_TO: dict[ObjectiveAction, ObjectiveStatus | None] = {
    ObjectiveAction.agree: ObjectiveStatus.agreed,
    ObjectiveAction.complete: ObjectiveStatus.completed,
    ObjectiveAction.drop: ObjectiveStatus.dropped,
    ObjectiveAction.reopen: ObjectiveStatus.agreed,
    ObjectiveAction.edit: None,
}


def allowed_actions(status: ObjectiveStatus) -> list[ObjectiveAction]:
    """The lifecycle actions possible from a status (editing the wording is not one)."""
    return [action for action, sources in _FROM.items()
            if status in sources and action is not ObjectiveAction.edit]


def transition(status: ObjectiveStatus, action: ObjectiveAction) -> ObjectiveStatus:
    """Return the status after `action`, or refuse the move naming what is allowed."""
    if status not in _FROM[action]:
        allowed = [a.value for a in allowed_actions(status)]
        refuse_move(f"The objective is {status.value}, so it cannot be {_PAST[action]}. "
                    + what_next(status.value, allowed, "objective"),
                    state=status.value, allowed_actions=allowed)
    return _TO[action] or status


_PAST = {ObjectiveAction.agree: "agreed", ObjectiveAction.complete: "completed",
         ObjectiveAction.drop: "dropped", ObjectiveAction.reopen: "reopened",
         ObjectiveAction.edit: "edited"}


def twenty_percent_warning(count: int, quarter: str) -> str | None:
    """The policy expects three 20%-time objectives a quarter: say so, softly, when not."""
    expected = EXPECTED_TWENTY_PERCENT_OBJECTIVES
    if count == expected:
        return None
    return (f"{count} 20%-time objective{'s' if count != 1 else ''} for {quarter}; the policy "
            f"expects {expected} (an expectation, not a limit).")

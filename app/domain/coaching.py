"""The coaching session lifecycle: scheduled → held or cancelled. A held or cancelled session is
settled: it does not go back to scheduled, change to the other outcome, or move to another
time; its topics and notes may still be written. Who may act is in the policy
(app/domain/access.py)."""

from __future__ import annotations

from enum import StrEnum

from app.domain.vocabulary import SessionStatus


class SessionAction(StrEnum):
    hold = "hold"  # record that it was held
    cancel = "cancel"
    reschedule = "reschedule"  # move it to another time
    edit = "edit"  # write its topics and notes


_FROM: dict[SessionAction, frozenset[SessionStatus]] = {
    SessionAction.hold: frozenset({SessionStatus.scheduled}),
    SessionAction.cancel: frozenset({SessionStatus.scheduled}),
    SessionAction.reschedule: frozenset({SessionStatus.scheduled}),
    SessionAction.edit: frozenset(SessionStatus),
}


def possible_actions(status: SessionStatus) -> list[str]:
    """The lifecycle actions possible from a status."""
    return [action.value for action, sources in _FROM.items() if status in sources]


def actions_in_change(current: SessionStatus, wanted: SessionStatus, *, moved: bool,
                      edited: bool) -> list[SessionAction]:
    """Which lifecycle actions a change to a session takes (a change that takes none still
    counts as an edit). Going back to scheduled is a reschedule."""
    taken: list[SessionAction] = []
    if wanted is not current:
        taken.append({SessionStatus.held: SessionAction.hold,
                      SessionStatus.cancelled: SessionAction.cancel,
                      SessionStatus.scheduled: SessionAction.reschedule}[wanted])
    if moved and SessionAction.reschedule not in taken:
        taken.append(SessionAction.reschedule)
    if edited or not taken:
        taken.append(SessionAction.edit)
    return taken

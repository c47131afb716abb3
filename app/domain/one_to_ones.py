"""The one-to-one lifecycle: recorded after it happened (held or cancelled), then only ever
edited (its date, status and notes). Who may edit is in the policy (app/domain/access.py)."""

from __future__ import annotations

from enum import StrEnum


class OneToOneAction(StrEnum):
    edit = "edit"


def possible_actions() -> list[str]:
    """A one-to-one can always be edited: it has no state that closes it."""
    return [OneToOneAction.edit.value]

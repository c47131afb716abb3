"""The policy consultation lifecycle: upcoming → open → closed, by the clock. Comments are
taken while it is open; a policy admin replies to a comment at any time. Who may act is in
the policy (app/domain/access.py)."""

from __future__ import annotations

from enum import StrEnum


class ConsultationAction(StrEnum):
    comment = "comment"
    reply = "reply"  # to a comment


def possible_actions(state: str) -> list[str]:
    """Commenting while the window is open; replying whenever there is a comment."""
    return [a.value for a in ConsultationAction
            if a is not ConsultationAction.comment or state == "open"]

"""The concern lifecycle: open → dismissed, or open → case_opened when a case manager opens a
formal case from it. Who may act is in the policy (app/domain/access.py)."""

from __future__ import annotations

from enum import StrEnum

from app.domain.vocabulary import ConcernStatus


class ConcernAction(StrEnum):
    dismiss = "dismiss"
    open_case = "open_case"  # POST /v1/cases with its concern_id


def possible_actions(status: ConcernStatus) -> list[str]:
    """An open concern is dismissed or becomes a case; after that nothing more."""
    return [a.value for a in ConcernAction] if status is ConcernStatus.open else []

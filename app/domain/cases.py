"""Formal cases: the fairness gate and the lifecycle. Who may see a case is in the policy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from app.domain.errors import refuse_move
from app.domain.vocabulary import (GATED_CASE_KINDS, SUPPORTIVE_KINDS, CaseKind, CaseStatus,
                                   InterventionKind, InterventionStatus)

_NEXT: dict[CaseStatus, CaseStatus] = {
    CaseStatus.open: CaseStatus.under_review,
    CaseStatus.under_review: CaseStatus.outcome_recorded,
    CaseStatus.outcome_recorded: CaseStatus.closed,
}


def allowed_moves(status: CaseStatus) -> list[str]:
    """Where a case can move from a status: the next step, or nowhere once closed."""
    following = _NEXT.get(status)
    return [following.value] if following else []


def advance(status: CaseStatus, to: CaseStatus) -> CaseStatus:
    """Move a case one step on (open → under_review → outcome_recorded → closed)."""
    if _NEXT.get(status) is not to:
        allowed = allowed_moves(status)
        refuse_move(f"The case is {status.value}; it can only move to "
                    + (allowed[0] if allowed else "nothing: it is closed") + ".",
                    state=status.value, allowed_actions=allowed)
    return to


class CaseAction(StrEnum):
    """What can be done to a case (the lifecycle's moves, and adding a note)."""

    review = "review"  # open → under_review (POST .../transition, to under_review)
    record_outcome = "record_outcome"  # under_review → outcome_recorded (POST .../outcome)
    close = "close"  # outcome_recorded → closed (POST .../transition, to closed)
    consent = "consent"  # the subject consents to a voluntary band change
    add_note = "add_note"


_MOVE_TO: dict[CaseStatus, CaseAction] = {
    CaseStatus.under_review: CaseAction.review, CaseStatus.closed: CaseAction.close,
    CaseStatus.outcome_recorded: CaseAction.record_outcome}


def move_action(to: CaseStatus) -> CaseAction | None:
    """The action a move to a status is (None for a move to open, which is none)."""
    return _MOVE_TO.get(to)


def possible_actions(status: CaseStatus, kind: CaseKind, *, consented: bool) -> list[str]:
    """The actions possible on a case now. Only a voluntary band change has a consent step
    (while open or under review), and its outcome waits for that consent."""
    vbc = kind is CaseKind.voluntary_band_change
    actions = [_MOVE_TO[following].value for following in [_NEXT.get(status)]
               if following is not None
               and not (following is CaseStatus.outcome_recorded and vbc and not consented)]
    if vbc and status in (CaseStatus.open, CaseStatus.under_review):
        actions.append(CaseAction.consent.value)
    if status is not CaseStatus.closed:
        actions.append(CaseAction.add_note.value)
    return actions


@dataclass(frozen=True)
class NegativeTrigger:
    id: int
    fired_at: datetime
    summary: str


@dataclass(frozen=True)
class SupportRecord:
    id: int
    kind: InterventionKind
    status: InterventionStatus
    completed_at: datetime | None
    agreed_at: datetime | None = None
    outcome_note: str | None = None
    # Asked for by the person themselves: support they sought is never held against them.
    self_requested: bool = False


def _why_support_does_not_count(support: SupportRecord, trigger: NegativeTrigger,
                                min_days: int) -> str | None:
    """Why a supportive intervention is not evidence that support was tried (None: it is)."""
    if support.kind not in SUPPORTIVE_KINDS:
        return "it is not support"
    if support.status is not InterventionStatus.completed or support.completed_at is None:
        return f"it is {support.status.value}, not completed"
    if support.completed_at < trigger.fired_at:
        return "it was completed before the negative trigger"
    if not (support.outcome_note or "").strip():
        return "it was completed without an outcome note"
    if support.agreed_at is None:
        return "it was never agreed"
    if support.completed_at - support.agreed_at < timedelta(days=min_days):
        lasted = (support.completed_at - support.agreed_at).days
        return f"it lasted {lasted} day(s) from agreed to completed; the policy needs {min_days}"
    return None


@dataclass(frozen=True)
class GateResult:
    passed: bool
    missing: list[str]
    snapshot: dict


def fairness_gate(kind: CaseKind, *, negative_triggers: Sequence[NegativeTrigger],
                  interventions: Sequence[SupportRecord], window_days: int, min_support: int,
                  now: datetime, min_support_days: int = 0) -> GateResult:
    """A capability or voluntary band change case needs recorded evidence that support was
    tried first: a negative trigger in the window (one that still stands: withdrawn triggers
    are never passed in), and enough supportive interventions completed since it, each with
    an outcome note and lasting at least `min_support_days` from agreed to completed. Support
    the person asked for themselves never counts. Disciplinary cases have no gate."""
    if kind not in GATED_CASE_KINDS:
        return GateResult(True, [], {"gate": "not required for " + kind.value})
    since = now - timedelta(days=window_days)
    recent = sorted((t for t in negative_triggers if t.fired_at >= since),
                    key=lambda t: t.fired_at)
    missing: list[str] = []
    if not recent:
        missing.append(f"no negative trigger in the last {window_days} days")
        return GateResult(False, missing, {})
    first = recent[0]
    counted, refused = [], []
    for support in interventions:
        if support.self_requested:
            # Support the person sought is never held against them, and it is private to
            # them and their line manager: neither counted nor named.
            continue
        why = _why_support_does_not_count(support, first, min_support_days)
        if why is None:
            counted.append(support)
        elif support.kind in SUPPORTIVE_KINDS:
            refused.append({"id": support.id, "kind": support.kind.value, "why": why})
    if len(counted) < min_support:
        missing.append(f"{len(counted)} supportive intervention(s) completed since the "
                       f"negative trigger of {first.fired_at.date().isoformat()} with an "
                       f"outcome note and lasting at least {min_support_days} days; the "
                       f"policy needs {min_support}")
        missing += [f"intervention {r['id']} ({r['kind']}) does not count: {r['why']}"
                    for r in refused]
    snapshot = {
        "window_days": window_days, "min_support": min_support,
        "min_support_days": min_support_days,
        "negative_triggers": [{"id": t.id, "fired_at": t.fired_at.isoformat(),
                               "summary": t.summary} for t in recent],
        "supportive_interventions": [
            {"id": i.id, "kind": i.kind.value,
             "agreed_at": i.agreed_at.isoformat() if i.agreed_at else None,
             "completed_at": i.completed_at.isoformat() if i.completed_at else None,
             "outcome_note": i.outcome_note} for i in counted],
        "not_counted": refused,
    }
    return GateResult(not missing, missing, snapshot)

"""Formal cases: the fairness gate and the lifecycle. Who may see a case is in the policy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.domain.errors import Conflict
from app.domain.vocabulary import (GATED_CASE_KINDS, SUPPORTIVE_KINDS, CaseKind, CaseStatus,
                                   InterventionKind, InterventionStatus)

_NEXT: dict[CaseStatus, CaseStatus] = {
    CaseStatus.open: CaseStatus.under_review,
    CaseStatus.under_review: CaseStatus.outcome_recorded,
    CaseStatus.outcome_recorded: CaseStatus.closed,
}


def advance(status: CaseStatus, to: CaseStatus) -> CaseStatus:
    """Move a case one step on (open → under_review → outcome_recorded → closed)."""
    if _NEXT.get(status) is not to:
        allowed = _NEXT.get(status)
        raise Conflict(detail=f"The case is {status.value}; it can only move to "
                              + (allowed.value if allowed else "nothing: it is closed") + ".",
                       code="illegal-transition",
                       extra={"state": status.value,
                              "allowed": [allowed.value] if allowed else []})
    return to


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


@dataclass(frozen=True)
class GateResult:
    passed: bool
    missing: list[str]
    snapshot: dict


def fairness_gate(kind: CaseKind, *, negative_triggers: Sequence[NegativeTrigger],
                  interventions: Sequence[SupportRecord], window_days: int, min_support: int,
                  now: datetime) -> GateResult:
    """A capability or voluntary band change case needs recorded evidence that support was
    tried first: a negative trigger in the window, and enough supportive interventions
    completed since it. Disciplinary cases have no gate."""
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
    completed = [i for i in interventions if i.kind in SUPPORTIVE_KINDS
                 and i.status is InterventionStatus.completed and i.completed_at is not None
                 and i.completed_at >= first.fired_at]
    if len(completed) < min_support:
        missing.append(f"{len(completed)} supportive intervention(s) completed since the "
                       f"negative trigger of {first.fired_at.date().isoformat()}; the policy "
                       f"needs {min_support}")
    snapshot = {
        "window_days": window_days, "min_support": min_support,
        "negative_triggers": [{"id": t.id, "fired_at": t.fired_at.isoformat(),
                               "summary": t.summary} for t in recent],
        "supportive_interventions": [{"id": i.id, "kind": i.kind.value,
                                      "completed_at": i.completed_at.isoformat()}  # type: ignore[union-attr]
                                     for i in completed],
    }
    return GateResult(not missing, missing, snapshot)

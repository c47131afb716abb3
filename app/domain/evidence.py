"""The kinds of evidence, one row each: what people call it, where it comes from, what it must
carry, and the target metric it counts toward.

Everything that treats kinds differently reads this table: recording and checking evidence,
evaluating targets, the words of support offered when a target is missed, team reports, the
CPD record and the API's descriptions. A new kind is its name in `EvidenceKind`
(app/domain/vocabulary.py) and a row here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.domain.vocabulary import EvidenceKind, EvidenceSource, Metric


@dataclass(frozen=True)
class KindRules:
    label: str  # what people read, e.g. a heading of the CPD record
    source: EvidenceSource  # manual (recorded by hand), or the one integration it arrives from
    required: tuple[str, ...] = ()  # fields evidence of this kind must carry (besides a title)
    counts_toward: Metric | None = None  # the target metric it is counted for
    metric_words: str | None = None  # that metric in words, e.g. when support is offered


# The order is the order people read kinds in.
KINDS: Mapping[EvidenceKind, KindRules] = {
    EvidenceKind.accomplishment: KindRules(
        "Accomplishments", EvidenceSource.manual,
        counts_toward=Metric.accomplishments_logged, metric_words="Accomplishments logged"),
    EvidenceKind.training: KindRules(
        "Training", EvidenceSource.manual, required=("hours", "topic"),
        counts_toward=Metric.training_hours, metric_words="Training hours"),
    EvidenceKind.qualification: KindRules("Qualifications", EvidenceSource.manual),
    EvidenceKind.ticket_done: KindRules(
        "Tickets done", EvidenceSource.jira,
        counts_toward=Metric.tickets_done, metric_words="Tickets done"),
    EvidenceKind.production_change: KindRules(
        "Changes shipped to production", EvidenceSource.github,
        counts_toward=Metric.production_changes, metric_words="Changes shipped to production"),
    EvidenceKind.user_feedback: KindRules(
        "User feedback acted on", EvidenceSource.manual,
        counts_toward=Metric.user_feedback_items, metric_words="User feedback items"),
    EvidenceKind.retro_action: KindRules(
        "Retrospective actions completed", EvidenceSource.manual,
        counts_toward=Metric.retro_actions_completed, metric_words="Retro actions completed"),
    EvidenceKind.other: KindRules("Other", EvidenceSource.manual),
}

# The integrations by name, as people know them.
SOURCE_NAMES: Mapping[EvidenceSource, str] = {EvidenceSource.jira: "Jira",
                                              EvidenceSource.github: "GitHub"}

# Evidence of these kinds arrives only from integrations (Jira, GitHub).
INTEGRATION_KINDS = frozenset(kind for kind, rules in KINDS.items()
                              if rules.source is not EvidenceSource.manual)


# The kind of evidence each target metric counts; metrics not here count other records.
COUNTED_FOR: Mapping[Metric, EvidenceKind] = {
    rules.counts_toward: kind for kind, rules in KINDS.items() if rules.counts_toward is not None}


def kinds_with(field: str) -> list[EvidenceKind]:
    """The kinds whose evidence must carry a field."""
    return [kind for kind, rules in KINDS.items() if field in rules.required]


def metric_words() -> dict[Metric, str]:
    """The metrics evidence counts toward, in words."""
    return {rules.counts_toward: rules.metric_words for rules in KINDS.values()
            if rules.counts_toward is not None and rules.metric_words is not None}

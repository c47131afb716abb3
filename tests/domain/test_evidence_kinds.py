"""The table of evidence kinds: a row for every kind, and rows that agree with each other."""

from __future__ import annotations

from collections import Counter

from app.domain.evidence import COUNTED_FOR, INTEGRATION_KINDS, KINDS, SOURCE_NAMES
from app.domain.targets import evidence_kind
from app.domain.vocabulary import EvidenceKind, EvidenceSource, Metric


def test_every_kind_has_a_row():
    assert set(KINDS) == set(EvidenceKind)


def test_a_metric_counts_one_kind_at_most_and_has_words():
    counted = Counter(r.counts_toward for r in KINDS.values() if r.counts_toward is not None)
    assert all(n == 1 for n in counted.values()), counted
    assert all(r.metric_words for r in KINDS.values() if r.counts_toward is not None)
    for metric in Metric:
        assert evidence_kind(metric) is COUNTED_FOR.get(metric)


def test_integration_kinds_name_their_integration():
    assert INTEGRATION_KINDS == {EvidenceKind.ticket_done, EvidenceKind.production_change}
    for kind in INTEGRATION_KINDS:
        assert KINDS[kind].source is not EvidenceSource.manual
        assert SOURCE_NAMES[KINDS[kind].source]


def test_required_fields_are_fields_of_evidence():
    assert {f for r in KINDS.values() for f in r.required} <= {"hours", "topic"}

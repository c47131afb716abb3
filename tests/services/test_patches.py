"""Changes as a merge patch sends them: a field left out is not a field sent as null."""

from __future__ import annotations

from datetime import date

from app.services.growth.evidence import EvidenceChanges
from app.services.kit.patches import UNSET, given, merge


def test_only_the_fields_sent_are_given():
    changes = EvidenceChanges(title="Renamed", topic=None)
    assert given(changes) == {"title": "Renamed", "topic": None}
    assert given(EvidenceChanges()) == {}


def test_a_field_left_out_keeps_its_value_and_null_clears_it():
    assert merge(UNSET, date(2026, 1, 5)) == date(2026, 1, 5)
    assert merge(date(2026, 2, 1), date(2026, 1, 5)) == date(2026, 2, 1)
    assert merge(None, "a topic") is None

"""Who may line manage (and buddy) whom: the PEOPLE row of the matrix plus structural rules."""

from __future__ import annotations

import pytest

from app.domain.errors import RuleViolation
from app.domain.line_management import (
    OVERRIDABLE,
    LineRule,
    PersonFacts,
    buddy_violations,
    enforce,
    explain,
    line_manager_violations,
)
from app.domain.vocabulary import Band, PersonKind

EMPLOYEE = PersonKind.employee
CONTRACTOR = PersonKind.contractor
APPRENTICE = PersonKind.apprentice
ALL_BANDS = [Band.b6, Band.b7, Band.b8a, Band.b8b, Band.b8c, None]


def person(id: int | None = 1, band: Band | None = Band.b6, kind: PersonKind = EMPLOYEE,
           active: bool = True) -> PersonFacts:
    return PersonFacts(id=id, kind=kind, band=band, active=active)


def manager(band: Band | None, *, id: int = 100, active: bool = True) -> PersonFacts:
    return PersonFacts(id=id, kind=EMPLOYEE, band=band, active=active)


def violations(report: PersonFacts, mgr: PersonFacts, chain: list[int] | None = None):
    return line_manager_violations(report, mgr, chain or [])


# --- the matrix -------------------------------------------------------------------------------

# (report band, report kind, manager bands accepted, rule broken otherwise)
MATRIX = [
    (Band.b6, EMPLOYEE, {Band.b8a}, LineRule.developers),
    (Band.b7, EMPLOYEE, {Band.b8a}, LineRule.developers),
    (Band.b6, APPRENTICE, {Band.b8a}, LineRule.developers),
    (Band.b8a, EMPLOYEE, {Band.b8b}, LineRule.seniors),
    (Band.b8b, EMPLOYEE, {Band.b8c}, LineRule.principals),
    (None, CONTRACTOR, {Band.b8b, Band.b8c}, LineRule.contractors),
    (Band.b7, CONTRACTOR, {Band.b8b, Band.b8c}, LineRule.contractors),
]
ACCEPTED = [(band, kind, m) for band, kind, ok, _ in MATRIX for m in ALL_BANDS if m in ok]
REFUSED = [(band, kind, m, rule) for band, kind, ok, rule in MATRIX
           for m in ALL_BANDS if m not in ok]


@pytest.mark.parametrize(("band", "kind", "manager_band"), ACCEPTED)
def test_matrix_accepts(band, kind, manager_band) -> None:
    assert violations(person(band=band, kind=kind), manager(manager_band)) == []


@pytest.mark.parametrize(("band", "kind", "manager_band", "rule"), REFUSED)
def test_matrix_refuses(band, kind, manager_band, rule) -> None:
    assert violations(person(band=band, kind=kind), manager(manager_band)) == [rule]


def test_matrix_tables_cover_both_outcomes() -> None:
    # Guards the parametrisation above: every matrix rule has accepted and refused cases.
    assert {rule for *_, rule in REFUSED} == {LineRule.developers, LineRule.seniors,
                                              LineRule.principals, LineRule.contractors}
    assert len(ACCEPTED) == 9 and len(REFUSED) == 33


@pytest.mark.parametrize("manager_band", ALL_BANDS)
@pytest.mark.parametrize("report_band", [Band.b8c, None])
def test_no_matrix_rule_for_band_8c_or_people_outside_the_bands(report_band, manager_band):
    assert violations(person(band=report_band), manager(manager_band)) == []


def test_a_new_person_is_checked_against_the_matrix_too() -> None:
    assert violations(person(id=None, band=Band.b7), manager(Band.b8b)) == [LineRule.developers]
    assert violations(person(id=None, band=Band.b7), manager(Band.b8a)) == []


# --- structural rules -------------------------------------------------------------------------


def test_a_person_cannot_manage_themselves() -> None:
    me = person(id=5, band=Band.b8c)
    assert violations(me, PersonFacts(id=5, kind=EMPLOYEE, band=Band.b8c)) == [
        LineRule.self_managed]


def test_self_management_is_reported_alone() -> None:
    # Even if the same person would also break the matrix, "yourself" is the whole answer.
    me = person(id=5, band=Band.b6)
    assert violations(me, PersonFacts(id=5, kind=EMPLOYEE, band=Band.b6, active=False)) == [
        LineRule.self_managed]


def test_an_inactive_manager_is_refused() -> None:
    assert violations(person(band=Band.b6), manager(Band.b8a, active=False)) == [
        LineRule.inactive_manager]


def test_an_active_manager_is_accepted() -> None:
    assert LineRule.inactive_manager not in violations(person(band=Band.b6), manager(Band.b8a))


def test_a_manager_below_the_person_makes_a_cycle() -> None:
    report = person(id=1, band=Band.b8c)
    # proposed manager 100 is managed by 50, who is managed by 1 (the report).
    assert violations(report, manager(Band.b8b), chain=[50, 1]) == [LineRule.cycle]


def test_a_direct_report_as_manager_makes_a_cycle() -> None:
    assert violations(person(id=1, band=Band.b8c), manager(Band.b8b), chain=[1]) == [
        LineRule.cycle]


def test_no_cycle_when_the_person_is_not_above_the_manager() -> None:
    assert violations(person(id=1, band=Band.b8a), manager(Band.b8b), chain=[7, 8, 9]) == []


def test_a_new_person_cannot_make_a_cycle() -> None:
    assert violations(person(id=None, band=Band.b8c), manager(Band.b8b), chain=[1, 2]) == []


def test_all_broken_rules_are_reported_together() -> None:
    broken = violations(person(id=1, band=Band.b6), manager(Band.b8b, active=False), chain=[1])
    assert set(broken) == {LineRule.inactive_manager, LineRule.cycle, LineRule.developers}


# --- buddies ----------------------------------------------------------------------------------


@pytest.mark.parametrize("buddy_band", [Band.b6, Band.b7])
def test_a_band_6_or_7_developer_may_buddy_an_apprentice(buddy_band) -> None:
    assert buddy_violations(person(kind=APPRENTICE), manager(buddy_band)) == []


@pytest.mark.parametrize("buddy_band", [Band.b8a, Band.b8b, Band.b8c, None])
def test_a_buddy_outside_bands_6_7_is_refused(buddy_band) -> None:
    assert buddy_violations(person(kind=APPRENTICE), manager(buddy_band)) == [LineRule.buddy_band]


@pytest.mark.parametrize("kind", [EMPLOYEE, CONTRACTOR])
def test_only_apprentices_have_a_buddy(kind) -> None:
    assert buddy_violations(person(kind=kind), manager(Band.b7)) == [
        LineRule.buddy_for_apprentices]


def test_an_apprentice_cannot_be_their_own_buddy() -> None:
    me = person(id=3, band=Band.b6, kind=APPRENTICE)
    assert buddy_violations(me, me) == [LineRule.buddy_self]


def test_an_inactive_buddy_is_refused() -> None:
    assert buddy_violations(person(kind=APPRENTICE), manager(Band.b6, active=False)) == [
        LineRule.buddy_inactive]


def test_a_new_apprentice_has_no_self_buddy_problem() -> None:
    assert buddy_violations(person(id=None, kind=APPRENTICE), manager(Band.b6)) == []


# --- enforce ----------------------------------------------------------------------------------

STRUCTURAL = [LineRule.self_managed, LineRule.inactive_manager, LineRule.cycle,
              LineRule.buddy_for_apprentices, LineRule.buddy_self, LineRule.buddy_inactive]
MATRIX_RULES = [LineRule.developers, LineRule.seniors, LineRule.principals,
                LineRule.contractors, LineRule.buddy_band]


def test_overridable_rules_are_exactly_the_matrix_and_buddy_band_rules() -> None:
    assert OVERRIDABLE == frozenset(MATRIX_RULES)
    assert set(STRUCTURAL) | set(MATRIX_RULES) == set(LineRule)


def test_nothing_broken_needs_no_override() -> None:
    assert enforce([], override_reason=None, may_override=False, field="line_manager_id") is False
    assert enforce([], override_reason="why", may_override=True, field="line_manager_id") is False


@pytest.mark.parametrize("rule", list(LineRule))
def test_a_broken_rule_is_named_in_the_error(rule: LineRule) -> None:
    with pytest.raises(RuleViolation) as caught:
        enforce([rule], override_reason=None, may_override=False, field="line_manager_id")
    err = caught.value
    assert err.rule == rule.value
    assert rule.value in err.detail
    assert rule.value in str(err)
    assert explain(rule) in err.detail
    assert err.detail.startswith("line_manager_id: ")
    assert err.extra == {"rules": [rule.value], "field": "line_manager_id"}


@pytest.mark.parametrize("rule", MATRIX_RULES)
def test_an_admin_overrides_a_matrix_rule_with_a_reason(rule: LineRule) -> None:
    assert enforce([rule], override_reason="interim cover", may_override=True,
                   field="line_manager_id") is True


def test_an_admin_overrides_several_matrix_rules_at_once() -> None:
    assert enforce([LineRule.developers, LineRule.buddy_band], override_reason="pilot",
                   may_override=True, field="buddy_id") is True


@pytest.mark.parametrize("reason", [None, ""])
@pytest.mark.parametrize("rule", MATRIX_RULES)
def test_without_a_reason_even_an_admin_is_refused_and_told_how(rule, reason) -> None:
    with pytest.raises(RuleViolation) as caught:
        enforce([rule], override_reason=reason, may_override=True, field="line_manager_id")
    assert caught.value.rule == rule.value
    assert "override_reason" in caught.value.detail


@pytest.mark.parametrize("rule", MATRIX_RULES)
def test_a_non_admin_cannot_override_even_with_a_reason(rule) -> None:
    with pytest.raises(RuleViolation) as caught:
        enforce([rule], override_reason="because", may_override=False, field="line_manager_id")
    assert caught.value.rule == rule.value
    assert "Only an admin" in caught.value.detail


@pytest.mark.parametrize("rule", STRUCTURAL)
def test_structural_rules_are_never_overridden(rule) -> None:
    with pytest.raises(RuleViolation) as caught:
        enforce([rule], override_reason="I am sure", may_override=True, field="line_manager_id")
    assert caught.value.rule == rule.value
    # The message must not suggest that an override would help.
    assert "override" not in caught.value.detail.lower()


def test_a_structural_rule_blocks_the_override_of_a_matrix_rule_alongside_it() -> None:
    broken = [LineRule.developers, LineRule.cycle]
    with pytest.raises(RuleViolation) as caught:
        enforce(broken, override_reason="I am sure", may_override=True, field="line_manager_id")
    err = caught.value
    assert err.rule == LineRule.cycle.value  # the structural rule is the one named
    assert LineRule.cycle.value in err.detail
    assert err.extra["rules"] == [LineRule.developers.value, LineRule.cycle.value]
    assert "override_reason" not in err.detail


def test_the_field_is_named_in_the_message() -> None:
    with pytest.raises(RuleViolation) as caught:
        enforce([LineRule.buddy_band], override_reason=None, may_override=True, field="buddy_id")
    assert caught.value.detail.startswith("buddy_id: ")
    assert caught.value.extra["field"] == "buddy_id"


def test_rule_violation_is_reported_as_rule_violated() -> None:
    with pytest.raises(RuleViolation) as caught:
        enforce([LineRule.seniors], override_reason=None, may_override=False, field="x")
    assert caught.value.code == "rule-violated"


def test_end_to_end_a_band_7_under_an_8b_needs_an_admin_override() -> None:
    broken = violations(person(band=Band.b7), manager(Band.b8b))
    with pytest.raises(RuleViolation, match="LM-MATRIX-BAND-6-7"):
        enforce(broken, override_reason=None, may_override=True, field="line_manager_id")
    assert enforce(broken, override_reason="8a on leave", may_override=True,
                   field="line_manager_id") is True

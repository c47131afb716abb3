"""The responsibility matrix (SPEC section 1) and the time-allocation rule."""

from __future__ import annotations

import pytest

from app.domain.bands import (
    Activity,
    Area,
    all_profiles,
    cumulative,
    find_responsibility,
    order_activities,
    profile,
)
from app.domain.vocabulary import BAND_ORDER, Band

# The matrix of SPEC.md section 1, written out independently of the code under test.
# Each column: {area: responsibility}; a dash in the matrix is simply absent.
DEVELOPER = {
    Area.code: "Feature Development",
    Area.leadership: "20% Time",
    Area.growing_the_team: "Code Reviews",
    Area.people: "Buddy to Apprentice",
}
SENIOR = {
    Area.code: "System Design and Technical Specialism",
    Area.leadership: "SDMT Operational Planning",
    Area.growing_the_team: "Mentoring and Pairing",
    Area.people: "Line Management and Recruitment of Band 6/7",
}
PRINCIPAL = {
    Area.code: "Engineering Quality Framework",
    Area.leadership: "Strategy Implementation and Lean Improvement Projects",
    Area.growing_the_team: "Coaching",
    Area.people: "Line Management and Recruitment of Band 8a and Contractors",
    Area.finance: "Payments to Contractors",
}
MANAGER = {
    Area.leadership: "Vision and Strategy",
    Area.growing_the_team: "Coaching and Delegation",
    Area.people: "Line Management and Recruitment of Band 8b and Contractors",
    Area.finance: "Overall budget",
}

MATRIX = {
    Band.b6: ("Developer", "SELF", DEVELOPER),
    Band.b7: ("Developer", "SELF", DEVELOPER),
    Band.b8a: ("Senior Developer", "SINGLE TEAM", SENIOR),
    Band.b8b: ("Principal Engineer", "MULTIPLE TEAMS", PRINCIPAL),
    Band.b8c: ("Development & Test Manager", "ALL TEAMS", MANAGER),
}

DEVELOPER_BANDS = {Band.b6, Band.b7}


def names(responsibilities) -> list[str]:
    return [r.name for r in responsibilities]


# --- the matrix -------------------------------------------------------------------------------


@pytest.mark.parametrize("band", list(MATRIX))
def test_title_and_focus_match_the_matrix(band: Band) -> None:
    title, focus, _ = MATRIX[band]
    p = profile(band)
    assert p.band is band
    assert p.title == title
    assert p.focus == focus


@pytest.mark.parametrize("band", list(MATRIX))
def test_own_column_matches_the_matrix(band: Band) -> None:
    _, _, column = MATRIX[band]
    own = profile(band).own
    assert {r.area: r.name for r in own} == column
    assert len(own) == len(column)  # no area listed twice
    assert all(r.band is band for r in own), "own column items are tagged with their own band"


def test_band_8c_has_no_code_responsibility_and_8a_no_finance() -> None:
    assert Area.code not in {r.area for r in profile(Band.b8c).own}
    assert Area.finance not in {r.area for r in profile(Band.b8a).own}
    assert Area.finance not in {r.area for r in profile(Band.b6).own}


def test_all_profiles_are_in_band_order() -> None:
    assert [p.band for p in all_profiles()] == [Band.b6, Band.b7, Band.b8a, Band.b8b, Band.b8c]
    assert list(BAND_ORDER) == [Band.b6, Band.b7, Band.b8a, Band.b8b, Band.b8c]


# --- the cumulative role ----------------------------------------------------------------------


@pytest.mark.parametrize("band", [Band.b6, Band.b7])
def test_developer_role_is_the_developer_column_once(band: Band) -> None:
    role = cumulative(band)
    assert sorted(names(role)) == sorted(DEVELOPER.values())
    assert all(r.band is band for r in role)


@pytest.mark.parametrize(
    ("band", "expected_columns"),
    [
        (Band.b8a, [DEVELOPER, SENIOR]),
        (Band.b8b, [DEVELOPER, SENIOR, PRINCIPAL]),
        (Band.b8c, [DEVELOPER, SENIOR, PRINCIPAL, MANAGER]),
    ],
)
def test_senior_roles_are_own_column_plus_every_column_below(band, expected_columns) -> None:
    role = cumulative(band)
    expected = [name for column in expected_columns for name in column.values()]
    assert sorted(names(role)) == sorted(expected)


@pytest.mark.parametrize("band", list(MATRIX))
def test_no_responsibility_is_listed_twice_in_a_role(band: Band) -> None:
    role = cumulative(band)
    assert len(names(role)) == len(set(names(role)))


@pytest.mark.parametrize("band", [Band.b7, Band.b8a, Band.b8b, Band.b8c])
def test_shared_developer_column_is_counted_once(band: Band) -> None:
    role = cumulative(band)
    developer_items = [r for r in role if r.band in DEVELOPER_BANDS]
    assert sorted(names(developer_items)) == sorted(DEVELOPER.values())


@pytest.mark.parametrize(
    ("band", "column_bands"),
    [
        (Band.b8a, {Band.b8a}),
        (Band.b8b, {Band.b8a, Band.b8b}),
        (Band.b8c, {Band.b8a, Band.b8b, Band.b8c}),
    ],
)
def test_each_item_is_tagged_with_the_column_it_comes_from(band, column_bands) -> None:
    by_column = {Band.b8a: SENIOR, Band.b8b: PRINCIPAL, Band.b8c: MANAGER}
    role = cumulative(band)
    for r in role:
        if r.band in DEVELOPER_BANDS:
            assert r.name in DEVELOPER.values()
            assert DEVELOPER[r.area] == r.name
        else:
            assert r.band in column_bands
            assert by_column[r.band][r.area] == r.name
    assert {r.band for r in role} - DEVELOPER_BANDS == column_bands


@pytest.mark.parametrize("band", list(MATRIX))
def test_role_contains_the_own_column(band: Band) -> None:
    assert set(profile(band).own) <= set(cumulative(band))


def test_lower_bands_do_not_get_higher_responsibilities() -> None:
    assert "Overall budget" not in names(cumulative(Band.b8b))
    assert "Payments to Contractors" not in names(cumulative(Band.b8a))
    assert "Code Reviews" in names(cumulative(Band.b8c))


# --- find_responsibility ----------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["Code Reviews", "code reviews", "CODE REVIEWS",
                                      "cOdE rEvIeWs", "  Code Reviews  "])
def test_find_responsibility_is_case_insensitive(spelling: str) -> None:
    found = find_responsibility(Band.b8a, spelling)
    assert found is not None
    assert found.name == "Code Reviews"
    assert found.area is Area.growing_the_team


def test_find_responsibility_reports_the_column_it_comes_from() -> None:
    found = find_responsibility(Band.b8c, "mentoring and pairing")
    assert found is not None
    assert found.band is Band.b8a
    own = find_responsibility(Band.b8c, "overall budget")
    assert own is not None and own.band is Band.b8c


def test_find_responsibility_is_none_outside_the_role() -> None:
    assert find_responsibility(Band.b6, "Coaching") is None
    assert find_responsibility(Band.b8a, "Payments to Contractors") is None
    assert find_responsibility(Band.b8c, "Juggling") is None


def test_find_responsibility_matches_whole_names_only() -> None:
    # "Coaching" is 8b's; "Coaching and Delegation" is 8c's; neither matches the other.
    assert find_responsibility(Band.b8b, "Coaching and Delegation") is None
    found = find_responsibility(Band.b8c, "coaching")
    assert found is not None and found.band is Band.b8b


# --- order_activities -------------------------------------------------------------------------


def test_order_puts_own_column_first_then_nearest_preceding_column_then_outside() -> None:
    given = [
        Activity("review PR", "Code Reviews"),           # developer column: 2 below 8b
        Activity("unknown", "Juggling"),                 # outside the role
        Activity("pair with Sam", "Mentoring and Pairing"),  # 8a column: 1 below 8b
        Activity("pay invoices", "Payments to Contractors"),  # own column (8b)
    ]
    ranked = order_activities(Band.b8b, given)
    assert [r.activity.name for r in ranked] == ["pay invoices", "pair with Sam", "review PR",
                                                 "unknown"]
    assert [r.rank for r in ranked] == [1, 2, 3, 4]
    assert [r.distance for r in ranked] == [0, 1, 2, None]
    assert ranked[0].column is Band.b8b
    assert ranked[1].column is Band.b8a
    assert ranked[2].column in DEVELOPER_BANDS
    assert ranked[3].column is None


def test_activities_outside_the_role_come_last_even_if_given_first() -> None:
    ranked = order_activities(Band.b8a, [
        Activity("budget", "Overall budget"),  # 8c's, outside an 8a's role
        Activity("feature", "Feature Development"),
    ])
    assert [r.activity.name for r in ranked] == ["feature", "budget"]
    assert ranked[1].column is None and ranked[1].distance is None


def test_ties_keep_the_order_they_were_given_in() -> None:
    given = [
        Activity("c", "20% Time"),
        Activity("a", "Vision and Strategy"),
        Activity("x1", "nope"),
        Activity("b", "Overall budget"),
        Activity("d", "Code Reviews"),
        Activity("x2", "also nope"),
    ]
    ranked = order_activities(Band.b8c, given)
    assert [r.activity.name for r in ranked] == ["a", "b", "c", "d", "x1", "x2"]
    assert [r.rank for r in ranked] == [1, 2, 3, 4, 5, 6]


def test_order_matches_responsibility_case_insensitively() -> None:
    ranked = order_activities(Band.b8a, [
        Activity("review", "code reviews"),
        Activity("plan", "SDMT OPERATIONAL PLANNING"),
    ])
    assert [r.activity.name for r in ranked] == ["plan", "review"]
    assert [r.distance for r in ranked] == [0, 1]


def test_developer_activities_are_all_own_column_for_band_7() -> None:
    ranked = order_activities(Band.b7, [
        Activity("pr", "Code Reviews"),
        Activity("buddy", "Buddy to Apprentice"),
    ])
    assert [r.distance for r in ranked] == [0, 0]
    assert [r.rank for r in ranked] == [1, 2]
    assert [r.activity.name for r in ranked] == ["pr", "buddy"]


def test_band_8c_distances_skip_the_duplicate_developer_column() -> None:
    # 8c's role has four columns: 8c (0), 8b (1), 8a (2), developer (3). Were bands 6 and 7
    # counted as two columns, developer work would land at distance 4.
    ranked = order_activities(Band.b8c, [
        Activity("dev", "Feature Development"),
        Activity("senior", "System Design and Technical Specialism"),
        Activity("principal", "Engineering Quality Framework"),
        Activity("own", "Vision and Strategy"),
    ])
    assert [(r.activity.name, r.distance) for r in ranked] == [
        ("own", 0), ("principal", 1), ("senior", 2), ("dev", 3)]


def test_order_of_no_activities_is_empty() -> None:
    assert order_activities(Band.b6, []) == []


def test_ranks_start_at_one_for_a_single_activity() -> None:
    ranked = order_activities(Band.b6, [Activity("solo", "Nothing we know")])
    assert len(ranked) == 1
    assert ranked[0].rank == 1
    assert ranked[0].column is None

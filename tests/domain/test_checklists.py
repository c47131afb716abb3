"""Checklists, pure: who gets which checklist, periods, the version in force, and the rules by
which items tick (and untick) themselves from facts."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.domain import checklists as c
from app.domain.checklists import (ChecklistPeriodType, Fact, Facts, ObjectiveFact, Situation,
                                   Subject)

TODAY = date(2026, 11, 26)
LONG_AGO = date(2024, 1, 8)
WEEK = c.resolve_period(ChecklistPeriodType.week, "2026-W48", today=TODAY, joined_on=LONG_AGO)


def _subject(**kw) -> Subject:
    return Subject(**{"id": 1, "band": "7", "roles": frozenset(), "kind": "employee",
                      "created_on": LONG_AGO, **kw})


def _applies(subject: Subject, *, reports: bool = False, apprentice: bool = False) -> list[str]:
    return [s.value for s in c.applicable_situations(
        subject, has_reports=reports, buddies_apprentice=apprentice, today=TODAY)]


# --- applicability ---------------------------------------------------------------------------


@pytest.mark.parametrize("band, weekly", [("6", True), ("7", True), ("8a", True), ("8b", True),
                                          ("8c", False), (None, False)])
def test_everyone_banded_6_to_8b_gets_the_weekly_developer_checklist(band, weekly):
    assert (Situation.weekly_developer in _applies(_subject(band=band))) is weekly


def test_line_managers_seniors_principals_and_the_head_each_get_theirs():
    assert _applies(_subject(band="7"), reports=True) == ["weekly-developer",
                                                          "weekly-line-manager"]
    assert _applies(_subject(band="8a"), reports=True) == [
        "weekly-developer", "weekly-line-manager", "quarter-start-senior"]
    assert _applies(_subject(band="8a")) == ["weekly-developer"]  # no reports: no quarter start
    assert _applies(_subject(band="8b")) == ["weekly-developer", "monthly-principal"]
    assert _applies(_subject(band="8c", roles=frozenset({"head_of_department"})),
                    reports=True) == ["weekly-line-manager", "monthly-head-of-department"]


@pytest.mark.parametrize("days, new", [(0, True), (29, True), (30, False), (400, False)])
def test_someone_created_in_the_last_30_days_is_a_new_starter(days, new):
    subject = _subject(created_on=TODAY - timedelta(days=days))
    assert (Situation.new_starter in _applies(subject)) is new


def test_a_buddy_of_an_apprentice_gets_the_buddy_checklist():
    assert _applies(_subject(), apprentice=True)[-1] == "apprentice-buddy"
    assert "apprentice-buddy" not in _applies(_subject())
    assert c.is_apprentice("apprentice") and not c.is_apprentice("employee")


# --- periods and versions --------------------------------------------------------------------


def test_months_and_other_periods_resolve_from_keys_or_today():
    assert c.month("2026-11") == c.ChecklistPeriod(ChecklistPeriodType.month, "2026-11",
                                                   date(2026, 11, 1), date(2026, 11, 30))
    assert c.month("2026-12").end == date(2026, 12, 31)
    assert c.month("2028-02").end == date(2028, 2, 29)
    assert c.month_containing(TODAY).key == "2026-11"
    assert (WEEK.start, WEEK.end) == (date(2026, 11, 23), date(2026, 11, 29))
    current = c.resolve_period(ChecklistPeriodType.quarter, None, today=TODAY,
                               joined_on=LONG_AGO)
    assert (current.key, current.start) == ("2026-Q4", date(2026, 10, 1))
    once = c.resolve_period(ChecklistPeriodType.once, None, today=TODAY, joined_on=TODAY)
    assert (once.key, once.start) == ("once", TODAY)


@pytest.mark.parametrize("key", ["2026-13", "2026-00", "1999-05", "2026-W54", "2026-Q5", "soon"])
def test_a_key_that_names_no_period_is_refused(key):
    with pytest.raises(ValueError):
        c.period_type_of_key(key)


@pytest.mark.parametrize("key, kind", [("2026-W48", "week"), ("2026-11", "month"),
                                       ("2026-Q4", "quarter"), ("once", "once")])
def test_a_key_says_its_period_type(key, kind):
    assert c.period_type_of_key(key) == kind


def test_a_month_checklist_refuses_a_week_key():
    with pytest.raises(ValueError):
        c.resolve_period(ChecklistPeriodType.month, "2026-W48", today=TODAY, joined_on=TODAY)


@dataclass
class _Version:
    version: int
    effective_from: date


def test_the_version_in_force_is_the_latest_effective_on_the_period_s_first_day():
    versions = [_Version(1, date(2021, 10, 1)), _Version(2, date(2026, 12, 1)),
                _Version(3, date(2026, 11, 30))]
    assert c.in_force(versions, date(2026, 11, 23)) == versions[0]
    assert c.in_force(versions, date(2026, 11, 30)) == versions[2]
    assert c.in_force(versions, date(2026, 12, 7)) == versions[2]  # latest version wins
    assert c.in_force(versions, date(2021, 9, 27)) is None


# --- auto-tick rules -------------------------------------------------------------------------


def _facts(**kw) -> Facts:
    return Facts(**{"subject": _subject(), "period": WEEK, "as_of": TODAY, **kw})


def test_every_rule_declares_the_facts_it_needs():
    assert c.needs_of(["reports_one_to_ones", "training_hours"]) == {
        Fact.reports, Fact.one_to_ones, Fact.training_hours}
    assert c.needs_of(["profile_complete"]) == frozenset()
    assert c.unknown_rules([{"key": "a", "auto": "reads_minds"}, {"key": "b", "auto": None},
                            {"key": "c", "auto": "training_hours"}]) == ["reads_minds"]


def test_accomplishments_tick_with_one_and_untick_with_none():
    assert c.evaluate("accomplishment_logged", _facts(accomplishments={1: 2})) == c.AutoResult(
        True, "2 accomplishments logged")
    assert not c.evaluate("accomplishment_logged", _facts()).done


@pytest.mark.parametrize("hours, done", [("0", False), ("1.99", False), ("2", True),
                                         ("3.5", True)])
def test_training_needs_two_hours_in_the_week(hours, done):
    assert c.evaluate("training_hours", _facts(training_hours={1: Decimal(hours)})).done is done


def test_line_manager_rules_need_every_report():
    facts = _facts(reports=(2, 3), one_to_ones={2: (TODAY,)}, accomplishments={2: 1, 3: 1})
    assert c.evaluate("reports_one_to_ones", facts) == c.AutoResult(False, "1 of 2 reports")
    assert c.evaluate("reports_accomplishments", facts) == c.AutoResult(True, "2 of 2 reports")
    assert c.evaluate("reports_one_to_ones", _facts()).figure == "No reports to check"


@pytest.mark.parametrize("proposed_days_ago, done", [(3, True), (7, True), (8, False)])
def test_support_left_proposed_more_than_seven_days_unticks(proposed_days_ago, done):
    facts = _facts(reports=(2,), proposals={2: (TODAY - timedelta(days=proposed_days_ago),)})
    assert c.evaluate("support_responded", facts).done is done


def test_support_waiting_is_judged_at_the_end_of_a_past_period():
    facts = _facts(reports=(2,), proposals={2: (date(2026, 11, 20),)}, as_of=date(2026, 11, 22))
    assert c.evaluate("support_responded", facts).done


def test_quarter_start_rules_count_live_20_percent_objectives():
    draft, agreed = ObjectiveFact("draft", True), ObjectiveFact("agreed", True)
    dropped, other = ObjectiveFact("dropped", True), ObjectiveFact("agreed", False)
    facts = _facts(reports=(2, 3), objectives={2: (agreed, agreed, agreed, dropped),
                                               3: (agreed, draft, dropped, other)})
    assert c.evaluate("reports_objectives_drafted", facts) == c.AutoResult(False,
                                                                          "1 of 2 reports")
    assert c.evaluate("reports_objectives_agreed", facts) == c.AutoResult(False,
                                                                         "1 of 2 reports")
    assert c.evaluate("own_objectives_agreed", _facts(objectives={1: (agreed, draft)})) == \
        c.AutoResult(False, "1 of 2 objectives agreed")
    assert not c.evaluate("own_objectives_agreed", _facts()).done  # none yet is not agreed


def test_the_principal_s_rules_look_through_each_senior_to_their_reports():
    month = c.month("2026-10")
    mondays = [date(2026, 10, d) for d in (5, 12, 19, 26)]
    facts = replace(_facts(), period=month, as_of=month.end, seniors={5: (2, 3), 6: (4,)},
                    objectives={p: (ObjectiveFact("agreed", True),) for p in (2, 3, 4)},
                    one_to_ones={2: tuple(mondays), 3: tuple(mondays), 4: tuple(mondays[:3])})
    assert c.evaluate("seniors_reports_objectives_agreed", facts) == c.AutoResult(
        True, "3 of 3 people")
    assert c.evaluate("seniors_one_to_ones_weekly", facts) == c.AutoResult(
        False, "11 of 12 weekly one-to-ones held (3 people, 4 weeks)")
    # Part-way through the month only the weeks started so far count.
    early = replace(facts, as_of=date(2026, 10, 20))
    assert c.evaluate("seniors_one_to_ones_weekly", early).done
    assert [w.key for w in c.weeks_so_far(month, date(2026, 10, 20))] == [
        "2026-W41", "2026-W42", "2026-W43"]


def test_head_of_department_and_new_starter_rules():
    assert c.evaluate("digest_viewed", _facts(digest_views={1: 1})).done
    assert c.evaluate("digest_viewed", _facts()) == c.AutoResult(False, "Not viewed yet")
    half = replace(_facts(), subject=_subject(jira_account_id="abc"))
    assert c.evaluate("profile_complete", half) == c.AutoResult(False,
                                                                "Still to add: GitHub login")
    full = replace(_facts(), subject=_subject(jira_account_id="abc", github_login="me"))
    assert c.evaluate("profile_complete", full).done
    assert c.evaluate("first_objectives_drafted",
                      _facts(objectives={1: (ObjectiveFact("draft", False),)})).done
    assert not c.evaluate("first_objectives_drafted",
                          _facts(objectives={1: (ObjectiveFact("dropped", True),)})).done
    assert c.evaluate("first_one_to_one_held", _facts(one_to_ones={1: (TODAY,)})).done


def test_an_auto_item_follows_the_data_and_a_manual_item_follows_the_hand():
    auto = {"key": "accomplishments", "text": "Log it", "auto": "accomplishment_logged"}
    manual = {"key": "meet", "text": "Meet", "auto": None}
    ticks = {"accomplishments": True, "meet": True}
    state = c.item_state(auto, _facts(), ticks)
    assert (state.done, state.source, state.rule) == (False, "auto", "accomplishment_logged")
    state = c.item_state(manual, _facts(), ticks)
    assert (state.done, state.source, state.figure) == (True, "hand", None)
    assert not c.item_state(manual, _facts(), {}).done

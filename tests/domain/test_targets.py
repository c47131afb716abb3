"""Periods, target evaluation, streaks, and the fairness gate: pure rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from app.domain import periods
from app.domain.cases import NegativeTrigger, SupportRecord, fairness_gate
from app.domain.access import ManagementSpell, excluded_from_case
from app.domain.targets import (ActivityFacts, EvidenceFact, PastResult, PersonFacts,
                                TargetRule, away_share, all_met, evaluate, met_streak,
                                missed_streak)
from app.domain.vocabulary import (CaseKind, EvidenceKind, InterventionKind, InterventionStatus,
                                   Metric, Outcome, PeriodType)

DEV = PersonFacts(1, "7", "employee")
WEEK = periods.week("2026-W48")  # Monday 23 November to Sunday 29 November 2026


def rule(metric, period=PeriodType.week, threshold=1, **kw):
    return TargetRule(id=1, metric=metric, period=period, threshold=Decimal(threshold), **kw)


def test_iso_weeks_quarters_and_cadence_sprints():
    assert (WEEK.start, WEEK.end) == (date(2026, 11, 23), date(2026, 11, 29))
    assert periods.week_containing(date(2027, 1, 1)).key == "2026-W53"
    assert periods.quarter("2026-Q4").end == date(2026, 12, 31)
    sprint = periods.cadence_sprint(7, date(2026, 1, 5), 14, date(2026, 11, 26))
    assert (sprint.key, sprint.start, sprint.end) == ("team7-2026-11-23", date(2026, 11, 23),
                                                      date(2026, 12, 6))
    earlier = periods.cadence_sprint(7, date(2026, 1, 5), 14, date(2025, 12, 31))
    assert earlier.start == date(2025, 12, 22)
    assert [p.key for p in periods.weeks_between(date(2026, 11, 20), date(2026, 12, 1))] == [
        "2026-W47", "2026-W48", "2026-W49"]
    with pytest.raises(ValueError, match="no week 53"):
        periods.week("2025-W53")
    with pytest.raises(ValueError, match="YYYY-Www"):
        periods.week("2026-48")


def test_the_last_ended_sprint_of_each_team():
    today = date(2026, 11, 26)
    slots = periods.cadence_sprints_between(7, date(2026, 1, 5), 14, date(2026, 10, 1), today)
    jira = [periods.jira_sprint(41, date(2026, 11, 9), date(2026, 11, 20), 8),
            periods.jira_sprint(40, date(2026, 10, 26), date(2026, 11, 6), 8),
            periods.jira_sprint(42, date(2026, 11, 23), date(2026, 12, 4), 8)]
    last = periods.last_ended_sprints([*slots, *jira], today)
    assert [p.key for p in last] == ["team7-2026-11-09", "jira-41"]
    # A sprint's last day is still part of it: it has ended the day after.
    assert periods.last_ended_sprints(slots, date(2026, 11, 22))[0].key == "team7-2026-10-26"
    assert periods.last_ended_sprints(slots, date(2026, 11, 23))[0].key == "team7-2026-11-09"


@pytest.mark.parametrize("metric, kind, hours, expected", [
    (Metric.tickets_done, EvidenceKind.ticket_done, None, 2),
    (Metric.production_changes, EvidenceKind.production_change, None, 2),
    (Metric.accomplishments_logged, EvidenceKind.accomplishment, None, 2),
    (Metric.user_feedback_items, EvidenceKind.user_feedback, None, 2),
    (Metric.retro_actions_completed, EvidenceKind.retro_action, None, 2),
    (Metric.training_hours, EvidenceKind.training, Decimal("1.5"), Decimal("3.0")),
])
def test_every_evidence_metric_counts_its_kind_inside_the_period(metric, kind, hours, expected):
    evidence = [EvidenceFact(1, kind, date(2026, 11, 23), hours),
                EvidenceFact(2, kind, date(2026, 11, 29), hours),
                EvidenceFact(3, kind, date(2026, 11, 30), hours),  # the next week
                EvidenceFact(4, EvidenceKind.other, date(2026, 11, 24))]
    result = evaluate(rule(metric, threshold=2), DEV, WEEK, ActivityFacts(evidence),
                      excused_share=Decimal("0.5"))
    assert result.measured == expected and result.evidence_ids == [1, 2]
    assert result.outcome is Outcome.met


def test_one_to_ones_and_objectives_completed():
    held = ActivityFacts(one_to_ones_held=[(5, date(2026, 11, 24)), (6, date(2026, 12, 2))])
    counted = evaluate(rule(Metric.one_to_ones_held), DEV, WEEK, held,
                       excused_share=Decimal("0.5"))
    # Each kind of record under its own name: one-to-one ids are not evidence ids.
    assert counted.one_to_one_ids == [5] and counted.evidence_ids == []
    quarter = periods.quarter("2026-Q4")
    done = ActivityFacts(objectives_completed=[(1, "2026-Q4"), (2, "2026-Q4"), (3, "2026-Q3")])
    result = evaluate(rule(Metric.objectives_completed, PeriodType.quarter, 3), DEV, quarter,
                      done, excused_share=Decimal("0.5"))
    assert (result.measured, result.outcome) == (2, Outcome.missed)
    assert result.objective_ids == [1, 2] and result.evidence_ids == []


def test_tickets_count_in_their_jira_sprint_whatever_the_day():
    sprint = periods.jira_sprint(37, date(2026, 11, 9), date(2026, 11, 22), team_id=1)
    late = EvidenceFact(1, EvidenceKind.ticket_done, date(2026, 11, 24), sprint_id=37)
    other = EvidenceFact(2, EvidenceKind.ticket_done, date(2026, 11, 10), sprint_id=36)
    result = evaluate(rule(Metric.tickets_done, PeriodType.sprint), DEV, sprint,
                      ActivityFacts([late, other]), excused_share=Decimal("0.5"))
    assert result.evidence_ids == [1] and result.outcome is Outcome.met


def test_absence_over_the_share_excuses_a_miss_but_not_a_met():
    away = ActivityFacts(absences=[(date(2026, 11, 23), date(2026, 11, 25))])  # 3 of 5 days
    assert away_share(WEEK, away.absences) == Decimal("0.6")
    target = rule(Metric.accomplishments_logged)
    assert evaluate(target, DEV, WEEK, away, excused_share=Decimal("0.5")).outcome \
        is Outcome.excused
    assert evaluate(target, DEV, WEEK, away, excused_share=Decimal("0.6")).outcome \
        is Outcome.missed
    logged = ActivityFacts([EvidenceFact(1, EvidenceKind.accomplishment, date(2026, 11, 27))],
                           absences=away.absences)
    assert evaluate(target, DEV, WEEK, logged, excused_share=Decimal("0.5")).outcome \
        is Outcome.met


def test_targets_apply_by_band_and_kind():
    target = rule(Metric.accomplishments_logged, bands=frozenset({"6", "7"}),
                  kinds=frozenset({"employee"}))
    facts = ActivityFacts()
    assert evaluate(target, PersonFacts(2, "8a", "employee"), WEEK, facts,
                    excused_share=Decimal("0.5")).outcome is Outcome.not_applicable
    assert evaluate(target, PersonFacts(3, None, "contractor"), WEEK, facts,
                    excused_share=Decimal("0.5")).outcome is Outcome.not_applicable
    assert evaluate(target, DEV, WEEK, facts, excused_share=Decimal("0.5")).outcome \
        is Outcome.missed


def _results(*outcomes):
    start = date(2026, 1, 5)
    return [PastResult(f"p{i}", start + timedelta(weeks=i), Outcome(o), (i,),
                       start + timedelta(weeks=i, days=6))
            for i, o in enumerate(outcomes)]


def test_a_run_of_misses_is_counted_and_excused_periods_neither_break_nor_extend_it():
    assert missed_streak(_results("missed", "missed"), 3) is None
    run = missed_streak(_results("met", "missed", "missed", "missed"), 3)
    assert run is not None and [r.period_keys for r in run] == [("p1",), ("p2",), ("p3",)]
    bridged = missed_streak(_results("missed", "excused", "missed", "missed"), 3)
    assert bridged is not None
    assert [r.period_keys for r in bridged] == [("p0",), ("p2",), ("p3",)]
    assert missed_streak(_results("missed", "excused", "excused", "missed"), 3) is None
    assert missed_streak(_results("missed", "missed", "missed", "met"), 3) is None
    assert missed_streak(_results("missed", "not_applicable", "missed"), 2) is not None


def test_a_run_of_successes():
    assert met_streak(_results("met", "met", "met"), 3) is not None
    assert met_streak(_results("met", "missed", "met", "met"), 3) is None


def test_all_met_ignores_stretch_and_needs_something_counted():
    from app.domain.targets import Result
    ok = Result(1, Metric.tickets_done, Outcome.met, Decimal(1), Decimal(1))
    missed_stretch = Result(2, Metric.user_feedback_items, Outcome.missed, Decimal(0),
                            Decimal(1), stretch=True)
    missed = Result(3, Metric.training_hours, Outcome.missed, Decimal(0), Decimal(2))
    excused = Result(4, Metric.training_hours, Outcome.excused, Decimal(0), Decimal(2))
    assert all_met([ok, missed_stretch, excused])
    assert not all_met([ok, missed])
    assert not all_met([excused])


NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


def _support(n, completed_days_ago, kind=InterventionKind.coaching,
             status=InterventionStatus.completed, lasted_days=30, note="talked it through"):
    completed = NOW - timedelta(days=completed_days_ago)
    return SupportRecord(n, kind, status, completed, completed - timedelta(days=lasted_days),
                         note)


def test_the_fairness_gate():
    trigger = NegativeTrigger(1, NOW - timedelta(days=100), "missed")
    old = NegativeTrigger(2, NOW - timedelta(days=400), "missed long ago")
    gate: dict[str, Any] = dict(window_days=183, min_support=2, now=NOW, min_support_days=28)
    refused = fairness_gate(CaseKind.capability, negative_triggers=[old], interventions=[],
                            **gate)
    assert not refused.passed and "no negative trigger in the last 183 days" in refused.missing
    one = fairness_gate(CaseKind.capability, negative_triggers=[trigger],
                        interventions=[_support(1, 50)], **gate)
    assert not one.passed and "1 supportive intervention(s)" in one.missing[0]
    before_trigger = [_support(1, 50), _support(2, 150)]  # the second predates the trigger
    assert not fairness_gate(CaseKind.capability, negative_triggers=[trigger],
                             interventions=before_trigger, **gate).passed
    not_support = [_support(1, 50), _support(2, 40, kind=InterventionKind.recognition)]
    assert not fairness_gate(CaseKind.capability, negative_triggers=[trigger],
                             interventions=not_support, **gate).passed
    unfinished = [_support(1, 50), _support(2, 40, status=InterventionStatus.in_progress)]
    assert not fairness_gate(CaseKind.voluntary_band_change, negative_triggers=[trigger],
                             interventions=unfinished, **gate).passed
    passed = fairness_gate(CaseKind.capability, negative_triggers=[trigger],
                           interventions=[_support(1, 50), _support(2, 10)], **gate)
    assert passed.passed and len(passed.snapshot["supportive_interventions"]) == 2
    # Support clicked through in a day, or completed with nothing to say, is not support.
    rushed = fairness_gate(CaseKind.capability, negative_triggers=[trigger],
                           interventions=[_support(1, 50), _support(2, 10, lasted_days=0)],
                           **gate)
    assert not rushed.passed
    assert any("lasted 0 day(s)" in line for line in rushed.missing)
    silent = fairness_gate(CaseKind.capability, negative_triggers=[trigger],
                           interventions=[_support(1, 50), _support(2, 10, note="  ")], **gate)
    assert not silent.passed and any("without an outcome note" in m for m in silent.missing)
    # Lasting from before the trigger does not help: it must be completed after it.
    assert not fairness_gate(CaseKind.capability, negative_triggers=[trigger], interventions=[
        _support(1, 50), _support(2, 101, lasted_days=60)], **gate).passed
    assert fairness_gate(CaseKind.disciplinary, negative_triggers=[], interventions=[],
                         **gate).passed


def test_the_exclusion_rule():
    opened, closed = NOW - timedelta(days=60), NOW - timedelta(days=10)
    spell = lambda m, s, e=None: ManagementSpell(m, NOW - timedelta(days=s),  # noqa: E731
                                                 None if e is None else NOW - timedelta(days=e))
    case: dict[str, Any] = dict(case_opened_at=opened, case_closed_at=None, now=NOW)
    assert excluded_from_case(7, current_line_manager_id=7, spells=[], **case)
    assert excluded_from_case(7, current_line_manager_id=8, spells=[spell(7, 90, 30)], **case)
    assert excluded_from_case(7, current_line_manager_id=8, spells=[spell(7, 5)], **case)
    assert not excluded_from_case(7, current_line_manager_id=8, spells=[spell(7, 400, 100)],
                                  **case)
    assert not excluded_from_case(7, current_line_manager_id=8, spells=[spell(9, 90)], **case)
    closed_case: dict[str, Any] = dict(case_opened_at=opened, case_closed_at=closed, now=NOW)
    assert not excluded_from_case(7, current_line_manager_id=8, spells=[spell(7, 5, 1)],
                                  **closed_case)
    assert excluded_from_case(7, current_line_manager_id=8, spells=[spell(7, 20, 1)],
                              **closed_case)
    assert not excluded_from_case(None, current_line_manager_id=None, spells=[], **case)

"""Properties of the rules that judge time, over random histories (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain import periods
from app.domain.employment import Span
from app.domain.targets import (ActivityFacts, EvidenceFact, PastResult, PersonFacts, TargetRule,
                                evaluate, met_blocks, missed_runs, standing_misses, timeline)
from app.domain.vocabulary import EvidenceKind, Metric, Outcome, PeriodType

BASE = date(2026, 1, 5)
OUTCOMES = st.sampled_from([Outcome.met, Outcome.missed, Outcome.excused,
                            Outcome.not_applicable])


@st.composite
def sprint_histories(draw):
    """Sprints of up to three teams (staggered, any length), with commits on random days."""
    commits = draw(st.lists(st.integers(0, 120), max_size=25))
    results = []
    for team in range(draw(st.integers(1, 3))):
        length = draw(st.integers(7, 21))
        day = draw(st.integers(0, 10))
        for n in range(draw(st.integers(0, 8))):
            start = BASE + timedelta(days=day)
            end = start + timedelta(days=length - 1)
            ids = tuple(i for i, c in enumerate(commits)
                        if start <= BASE + timedelta(days=c) <= end)
            outcome = draw(OUTCOMES)
            if outcome is Outcome.met and not ids:
                outcome = Outcome.missed
            results.append(PastResult(f"t{team}-{n}", start, outcome,
                                      ids if outcome is Outcome.met else (), end))
            day += length
    return results


@given(sprint_histories(), st.integers(1, 4))
@settings(max_examples=300, deadline=None)
def test_a_streak_never_counts_a_record_twice_nor_a_step_in_two_blocks(results, n):
    blocks = met_blocks(results, n)
    steps = [step for block in blocks for step in block]
    assert len({s.period_keys for s in steps}) == len(steps)
    for block in blocks:
        ids = [i for step in block for i in step.evidence_ids]
        assert len(ids) == len(set(ids)), "a record counted twice in one streak"
        assert all(step.outcome is Outcome.met and step.evidence_ids for step in block)
        assert len(block) == n


@given(sprint_histories(), st.integers(1, 4))
@settings(max_examples=300, deadline=None)
def test_a_standing_run_of_misses_names_only_missed_periods(results, k):
    outcome = {r.period_key: r.outcome for r in results}
    for first, steps in standing_misses(results, k).items():
        keys = [key for step in steps for key in step.period_keys]
        assert keys[0] == first and len(steps) == k
        assert all(outcome[key] is Outcome.missed for key in keys)
    for run in missed_runs(results, k):
        assert len(run) >= k and all(step.outcome is Outcome.missed for step in run)


@given(sprint_histories())
@settings(max_examples=200, deadline=None)
def test_the_timeline_is_the_same_whatever_order_the_results_come_in(results):
    assert timeline(results) == timeline(list(reversed(results)))
    for step in timeline(results):
        assert len(step.evidence_ids) == len(set(step.evidence_ids))
        assert step.start <= step.end


WEEK_TARGET = TargetRule(1, Metric.accomplishments_logged, PeriodType.week, Decimal(1))


@given(st.integers(0, 60), st.integers(0, 60), st.one_of(st.none(), st.integers(0, 60)),
       st.lists(st.integers(0, 60), max_size=10),
       st.lists(st.tuples(st.integers(0, 60), st.integers(0, 10)), max_size=3))
@settings(max_examples=300, deadline=None)
def test_nobody_is_judged_outside_their_employment(week_offset, start, stay, logged, away):
    week = periods.week_containing(BASE + timedelta(days=week_offset))
    window = Span(BASE + timedelta(days=start),
                  None if stay is None else BASE + timedelta(days=start + stay))
    facts = ActivityFacts(
        evidence=[EvidenceFact(i, EvidenceKind.accomplishment, BASE + timedelta(days=d))
                  for i, d in enumerate(logged)],
        absences=[(BASE + timedelta(days=a), BASE + timedelta(days=a + n)) for a, n in away])
    result = evaluate(WEEK_TARGET, PersonFacts(1, "7", "employee", window), week, facts,
                      excused_share=Decimal("0.5"))
    if not window.covers(week):
        assert result.outcome is Outcome.not_applicable and result.evidence_ids == []
    else:
        assert result.outcome is not Outcome.not_applicable
        assert all(week.contains(BASE + timedelta(days=logged[i])) for i in result.evidence_ids)

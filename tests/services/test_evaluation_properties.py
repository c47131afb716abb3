"""Evaluation over random histories, on the real database: evidence logged, back-filled and
deleted, absences, a late start, weeks evaluated, closed and re-run in any order. Whatever
happens, no result lies outside the person's employment, every live negative trigger stands
on periods that are all missed on today's facts, re-running changes nothing, and a closed
evaluation's results never change."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.db.growth import Evidence
from app.db.models import Absence
from app.db.support import Evaluation, Intervention, TargetResult, Trigger
from app.db.types import utcnow
from app.domain import periods
from app.domain.vocabulary import PeriodType
from app.services.support import evaluations
from app.services.kit.working_calendar import DepartmentCalendar
from tests.factories import CONFIRMED

WEEKS = [periods.week(f"2026-W{n}") for n in range(40, 47)]
CALENDAR = DepartmentCalendar()

actions = st.lists(st.one_of(
    st.tuples(st.just("log"), st.integers(0, 48)),
    st.tuples(st.just("delete"), st.integers(0, 20)),
    st.tuples(st.just("away"), st.integers(0, 48), st.integers(0, 6)),
    st.tuples(st.just("evaluate"), st.integers(0, len(WEEKS) - 1)),
    st.tuples(st.just("close"), st.integers(0, len(WEEKS) - 1)),
    st.tuples(st.just("leave"), st.integers(0, 48)),
), min_size=1, max_size=25)


def _reset(db, person):
    for table in (Intervention, Trigger, TargetResult, Evaluation, Evidence, Absence):
        db.exec(delete(table))
    db.commit()


def _evaluate(engine, week):
    # As the API and `gps evaluate` do: one transaction per run.
    with Session(engine) as session:
        evaluations.run(session, period_type=PeriodType.week, period_key=week.key,
                        calendar=CALENDAR)
        session.commit()


def _snapshot(db):
    db.expire_all()
    results = sorted((r.person_id, r.period_key, r.metric, r.outcome, str(r.measured),
                      tuple(r.evidence_ids), repr(r.correction and {
                          k: v for k, v in r.correction.items() if k != "at"}))
                     for r in db.exec(select(TargetResult)))
    fired = sorted((t.facts_key, t.withdrawn_at is None) for t in db.exec(select(Trigger)))
    return results, fired


@given(history=actions, start_offset=st.integers(-10, 30),
       first_order=st.permutations(list(range(len(WEEKS)))))
@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_evaluation_is_fair_in_time_whatever_happens(db, engine, org, history, start_offset,
                                                     first_order):
    dev = org["dev"]
    _reset(db, dev)
    dev.started_on = WEEKS[0].start + timedelta(days=start_offset)
    dev.left_on = None
    db.add(dev)
    db.commit()
    base = WEEKS[0].start
    frozen: dict[int, list] = {}
    # Every week judged once on the facts as they start (nothing logged: runs of misses),
    # then the history happens, with weeks judged again as it goes.
    for index in first_order:
        _evaluate(engine, WEEKS[index])
    for action in history:
        if action[0] == "log":
            db.add(Evidence(person_id=dev.id, kind="accomplishment", source="manual",
                            occurred_on=base + timedelta(days=action[1]), title="did things"))
        elif action[0] == "delete":
            items = db.exec(select(Evidence).order_by(col(Evidence.id))).all()
            if items:
                db.delete(items[action[1] % len(items)])
        elif action[0] == "away":
            first = base + timedelta(days=action[1])
            db.add(Absence(confirmed_at=CONFIRMED, person_id=dev.id, kind="leave", start_date=first,
                           end_date=first + timedelta(days=action[2])))
        elif action[0] == "leave":
            last = max(base + timedelta(days=action[1]), dev.started_on)
            dev.left_on = last
            db.add(dev)
        elif action[0] == "evaluate":
            _evaluate(engine, WEEKS[action[1]])
        else:
            found = db.exec(select(Evaluation).where(
                Evaluation.period_key == WEEKS[action[1]].key)).first()
            if found is not None and found.status == "open":
                found.status, found.closed_at = "closed", utcnow()
                db.add(found)
                db.commit()
                frozen[found.id] = sorted(
                    (r.person_id, r.metric, r.outcome, str(r.measured))
                    for r in db.exec(select(TargetResult).where(
                        TargetResult.evaluation_id == found.id)))
        db.commit()
    evaluated = [w for w in WEEKS if db.exec(select(Evaluation).where(
        Evaluation.period_key == w.key)).first()]
    # Take today's facts into account everywhere, in an order of its own.
    for week in reversed(evaluated):
        _evaluate(engine, week)
    for week in evaluated:
        _evaluate(engine, week)
    before = _snapshot(db)
    for week in evaluated:
        _evaluate(engine, week)
    assert _snapshot(db) == before, "re-running on the same facts changed something"

    db.expire_all()
    rows = db.exec(select(TargetResult).where(TargetResult.person_id == dev.id)).all()
    current = {}
    for row in rows:
        week = periods.week(row.period_key)
        outcome = row.correction["outcome"] if row.correction else row.outcome
        if week.start < dev.started_on:
            assert outcome == "not_applicable", "judged before they started"
        if dev.left_on is not None and week.end > dev.left_on:
            assert outcome == "not_applicable", "judged after they left"
        assert week.end < date.today()
        current[(row.metric, row.period_key)] = outcome
    for trigger in db.exec(select(Trigger).where(Trigger.person_id == dev.id,
                                                 col(Trigger.withdrawn_at).is_(None))):
        if trigger.direction == "negative":
            for key in trigger.details["periods"]:
                assert current[(trigger.details["metric"], key)] == "missed", \
                    f"{trigger.summary} stands on {key}, which is not missed"
    for evaluation_id, decided in frozen.items():
        assert sorted((r.person_id, r.metric, r.outcome, str(r.measured))
                      for r in db.exec(select(TargetResult).where(
                          TargetResult.evaluation_id == evaluation_id))) == decided
    for support in db.exec(select(Intervention).where(Intervention.status == "proposed")):
        assert db.get(Trigger, support.trigger_id).withdrawn_at is None

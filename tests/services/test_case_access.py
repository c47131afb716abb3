"""The exclusion rule in SQL agrees with the rule itself (`policy.excluded_from_case`).

Random line-management histories and cases, open and closed at random times, on a coarse grid
of times so that boundaries (a spell ending the instant a case opens, a case closing the
instant a spell starts) come up often, with the odd microsecond either side. For every
(actor, case) pair, the SQL filter, the facts read for one case, and the pure predicate must
give the same answer.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from app.db.models import LineManagementPeriod, Person, id_of
from app.db.support import Concern, FormalCase
from app.domain.access import ManagementSpell, excluded_from_case
from app.services.access import case_access
from tests.factories import new_person

BASE = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
NOW = BASE + timedelta(hours=30)


def _when(rng: random.Random) -> datetime:
    moment = BASE + timedelta(hours=rng.randint(0, 36))
    return moment + timedelta(microseconds=rng.choice([0, 0, 0, 1, -1]))


def _scenario(db, rng: random.Random):
    people = [new_person(db, band="8a") for _ in range(7)]
    ids = [id_of(p) for p in people]
    for p in people:
        p.line_manager_id = rng.choice([None, *[i for i in ids if i != p.id]])
        db.add(p)
    db.commit()
    spells: dict[int, list[ManagementSpell]] = {i: [] for i in ids}
    for subject in ids:
        for _ in range(rng.randint(0, 4)):
            manager = rng.choice([i for i in ids if i != subject])
            start = _when(rng)
            end = None if rng.random() < 0.3 else max(start, _when(rng))
            db.add(LineManagementPeriod(person_id=subject, manager_id=manager, started_at=start,
                                        ended_at=end))
            spells[subject].append(ManagementSpell(manager, start, end))
    concerns = []
    for _ in range(6):
        concern = Concern(subject_id=rng.choice(ids), raised_by_id=rng.choice(ids),
                          summary="x", status="open", raised_at=_when(rng))
        db.add(concern)
        concerns.append(concern)
    db.commit()
    cases = []
    for _ in range(14):
        opened = _when(rng)
        closed = None if rng.random() < 0.5 else max(opened, _when(rng))
        source = rng.choice([None, None, *concerns])  # some cases come from a concern
        case = FormalCase(subject_id=source.subject_id if source else rng.choice(ids),
                          kind="disciplinary", status="open", summary="x",
                          opened_by_id=rng.choice(ids), opened_at=opened, closed_at=closed,
                          concern_id=source.id if source else None)
        db.add(case)
        cases.append(case)
    db.commit()
    line_manager = {p.id: db.get(Person, p.id).line_manager_id for p in people}
    return ids, spells, line_manager, cases, concerns


@pytest.mark.parametrize("seed", range(10))
def test_the_sql_filter_and_the_rule_agree_on_random_histories(db, seed):
    rng = random.Random(seed)
    ids, spells, line_manager, cases, concerns = _scenario(db, rng)
    raiser = {c.id: c.raised_by_id for c in concerns}
    checked = excluded = 0
    for actor in [*ids, None]:
        visible = set(db.scalars(select(FormalCase.id).where(
            case_access.visible_cases(actor, now=NOW))))
        for case in cases:
            expected = excluded_from_case(
                actor, current_line_manager_id=line_manager[case.subject_id],
                spells=spells[case.subject_id], case_opened_at=case.opened_at,
                case_closed_at=case.closed_at, now=NOW,
                concern_raiser_id=raiser.get(case.concern_id))
            assert (case.id not in visible) is expected, (seed, actor, case)
            assert case_access.facts_for(db, case).excludes(actor, now=NOW) is expected
            assert (case_access.visible_case(db, actor, case.id, now=NOW) is None) is expected
            checked += 1
            excluded += expected
        seen = set(db.scalars(select(Concern.id).where(
            case_access.visible_concerns(actor, now=NOW))))
        for concern in concerns:
            expected = excluded_from_case(
                actor, current_line_manager_id=line_manager[concern.subject_id],
                spells=spells[concern.subject_id], case_opened_at=concern.raised_at,
                case_closed_at=None, now=NOW, concern_raiser_id=concern.raised_by_id)
            assert (concern.id not in seen) is expected, (seed, actor, concern)
            assert case_access.facts_for_concern(db, concern).excludes(actor, now=NOW) \
                is expected
    # The scenarios exercise both answers, not just one.
    assert 0 < excluded < checked


def test_boundaries_are_inclusive_at_both_ends(db):
    """A spell that ends the instant the case opens, or starts the instant it closes,
    overlaps it; a microsecond apart, it does not."""
    subject, before, after, clear_before, clear_after = (new_person(db) for _ in range(5))
    opened, closed = BASE + timedelta(hours=5), BASE + timedelta(hours=10)
    tick = timedelta(microseconds=1)
    for manager, start, end in ((before, BASE, opened), (after, closed, None),
                                (clear_before, BASE, opened - tick),
                                (clear_after, closed + tick, None)):
        db.add(LineManagementPeriod(person_id=id_of(subject), manager_id=id_of(manager),
                                    started_at=start, ended_at=end))
    case = FormalCase(subject_id=id_of(subject), kind="disciplinary", status="closed", summary="x",
                      opened_by_id=id_of(before), opened_at=opened, closed_at=closed)
    db.add(case)
    db.commit()
    for person, shut_out in ((before, True), (after, True), (clear_before, False),
                             (clear_after, False), (subject, False)):
        hidden = case_access.visible_case(db, id_of(person), id_of(case), now=NOW) is None
        assert hidden is shut_out, person.id
        assert case_access.facts_for(db, case).excludes(person.id, now=NOW) is shut_out


def test_the_current_line_manager_is_excluded_without_any_history(db):
    manager = new_person(db, band="8a")
    subject = new_person(db, line_manager=manager)
    case = FormalCase(subject_id=id_of(subject), kind="disciplinary", status="open", summary="x",
                      opened_by_id=id_of(manager), opened_at=BASE)
    db.add(case)
    db.commit()
    assert case_access.visible_case(db, id_of(manager), id_of(case), now=NOW) is None
    assert case_access.facts_for(db, case).excludes(manager.id, now=NOW)

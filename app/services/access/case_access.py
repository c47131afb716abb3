"""The exclusion rule in SQL, and the facts the policy needs to decide it for one case.

`app.domain.access.excluded_from_case` is the rule. This module is its translation into a
filter every query about formal cases (get, list, notes, assignments, the audit view) and
concerns goes through, so an excluded person can never see, list or count them. A test
(tests/services/test_case_access.py) checks that the filter and the predicate agree on random
histories, on both databases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, literal, or_, select, true
from sqlmodel import Session, col

from app.db.models import LineManagementPeriod, Person, id_of
from app.db.support import CaseAssignment, Concern, FormalCase
from app.db.types import UTCDateTime
from app.domain.access import ManagementSpell, excluded_from_case
from app.domain.vocabulary import CaseStatus, ConcernStatus


def _not_excluded(actor_id: int | None, *, subject_id: Any, opened_at: Any, closed_at: Any,
                  now: datetime) -> ColumnElement[bool]:
    """Rows the actor is not excluded from: the subject's current line manager is not the
    actor, and no spell of the actor's as the subject's line manager overlaps
    [opened_at, coalesce(closed_at, now)]."""
    if actor_id is None:
        return true()
    end = func.coalesce(closed_at, literal(now, UTCDateTime)) if closed_at is not None \
        else literal(now, UTCDateTime)
    manages_now = exists().where(col(Person.id) == subject_id,
                                 col(Person.line_manager_id) == actor_id)
    managed_then = exists().where(
        LineManagementPeriod.person_id == subject_id,
        col(LineManagementPeriod.manager_id) == actor_id,
        LineManagementPeriod.started_at <= end,
        or_(col(LineManagementPeriod.ended_at).is_(None),
            LineManagementPeriod.ended_at >= opened_at))
    return and_(~manages_now, ~managed_then)


def visible_cases(actor_id: int | None, *, now: datetime) -> ColumnElement[bool]:
    """The filter for formal cases this actor is NOT excluded from."""
    not_excluded = _not_excluded(actor_id, subject_id=FormalCase.subject_id,
                                 opened_at=FormalCase.opened_at,
                                 closed_at=FormalCase.closed_at, now=now)
    if actor_id is None:
        return not_excluded
    raised_it = exists().where(col(Concern.id) == col(FormalCase.concern_id),
                               col(Concern.raised_by_id) == actor_id)
    return and_(not_excluded, ~raised_it)


def visible_concerns(actor_id: int | None, *, now: datetime) -> ColumnElement[bool]:
    """The filter for concerns this actor is NOT excluded from: a concern is treated as a
    case opened when it was raised and not yet closed, so whoever has line managed the
    subject since (the raiser included) never sees it."""
    not_excluded = _not_excluded(actor_id, subject_id=Concern.subject_id,
                                 opened_at=Concern.raised_at, closed_at=None, now=now)
    if actor_id is None:
        return not_excluded
    return and_(not_excluded, col(Concern.raised_by_id) != actor_id)


def assigned(actor_id: int | None, *, case_id: Any = FormalCase.id) -> ColumnElement[bool]:
    """The filter for cases the person is currently assigned to as a case manager."""
    if actor_id is None:
        return literal(False)
    return exists().where(CaseAssignment.case_id == case_id,
                          col(CaseAssignment.case_manager_id) == actor_id,
                          col(CaseAssignment.removed_at).is_(None))


def visible_case(session: Session, person_id: int | None, case_id: int, *, now: datetime,
                 for_update: bool = False) -> FormalCase | None:
    """Load one case unless the person is excluded from it (then it does not exist)."""
    stmt = select(FormalCase).where(col(FormalCase.id) == case_id,
                                    visible_cases(person_id, now=now))
    if for_update:
        stmt = stmt.with_for_update(of=FormalCase)
    return session.scalars(stmt).first()


def is_assigned(session: Session, person_id: int | None, case_id: int, *,
                now: datetime) -> bool:
    """Whether the person is assigned to the case, and not excluded from it."""
    stmt = select(col(FormalCase.id)).where(col(FormalCase.id) == case_id,
                                       visible_cases(person_id, now=now), assigned(person_id))
    return session.execute(stmt).first() is not None


@dataclass(frozen=True)
class CaseFacts:
    """What `policy.excluded_from_case` needs to know about one case."""

    current_line_manager_id: int | None
    spells: tuple[ManagementSpell, ...]
    case_opened_at: datetime
    case_closed_at: datetime | None
    concern_raiser_id: int | None = None

    def excludes(self, person_id: int | None, *, now: datetime) -> bool:
        return excluded_from_case(person_id, current_line_manager_id=self.current_line_manager_id,
                                  spells=self.spells, case_opened_at=self.case_opened_at,
                                  case_closed_at=self.case_closed_at, now=now,
                                  concern_raiser_id=self.concern_raiser_id)


def _spells(session: Session, subject_id: int) -> tuple[ManagementSpell, ...]:
    rows = session.execute(
        select(col(LineManagementPeriod.manager_id), col(LineManagementPeriod.started_at),
               col(LineManagementPeriod.ended_at))
        .where(col(LineManagementPeriod.person_id) == subject_id)
        .order_by(col(LineManagementPeriod.started_at)))
    return tuple(ManagementSpell(manager_id=m, started_at=s, ended_at=e) for m, s, e in rows)


def _line_manager_id(session: Session, subject_id: int) -> int | None:
    return session.execute(select(col(Person.line_manager_id))
                           .where(col(Person.id) == subject_id)).scalar_one_or_none()


def facts_for(session: Session, case: FormalCase) -> CaseFacts:
    """Read, now, the subject's line manager and line-management history for one case."""
    raiser = None
    if case.concern_id is not None:
        raiser = session.execute(select(col(Concern.raised_by_id))
                                 .where(col(Concern.id) == case.concern_id)).scalar_one_or_none()
    return CaseFacts(current_line_manager_id=_line_manager_id(session, case.subject_id),
                     spells=_spells(session, case.subject_id), case_opened_at=case.opened_at,
                     case_closed_at=case.closed_at, concern_raiser_id=raiser)


def facts_for_concern(session: Session, concern: Concern) -> CaseFacts:
    """The same facts for a concern: open since it was raised."""
    return CaseFacts(current_line_manager_id=_line_manager_id(session, concern.subject_id),
                     spells=_spells(session, concern.subject_id),
                     case_opened_at=concern.raised_at, case_closed_at=None,
                     concern_raiser_id=concern.raised_by_id)


def facts_for_new_case(session: Session, subject_id: int, *, now: datetime) -> CaseFacts:
    """The facts for a case that would open now about the subject."""
    return CaseFacts(current_line_manager_id=_line_manager_id(session, subject_id),
                     spells=_spells(session, subject_id), case_opened_at=now,
                     case_closed_at=None)


def in_open_casework(session: Session, person_id: int) -> bool:
    """Whether the person is the subject of an open formal case or an open concern (for the
    separation-of-duties rules, never shown to anyone as such)."""
    open_case = exists().where(col(FormalCase.subject_id) == person_id,
                               col(FormalCase.status) != CaseStatus.closed.value)
    open_concern = exists().where(col(Concern.subject_id) == person_id,
                                  col(Concern.status) == ConcernStatus.open.value)
    return bool(session.execute(select(open_case | open_concern)).scalar_one())


def unmanned_open_cases(session: Session, *, person_id: int, now: datetime) -> set[int]:
    """Open cases the person works on or is the subject of that have no current case manager
    who can work on them: active, holding the role, not their subject, not excluded."""
    working_on = select(col(CaseAssignment.case_id)).where(
        col(CaseAssignment.case_manager_id) == person_id,
        col(CaseAssignment.removed_at).is_(None))
    cases = session.scalars(select(FormalCase).where(
        col(FormalCase.status) != "closed",
        or_(col(FormalCase.id).in_(working_on), col(FormalCase.subject_id) == person_id)))
    unmanned = set()
    for case in cases:
        facts = facts_for(session, case)
        managers = session.scalars(
            select(Person)
            .join(CaseAssignment, col(CaseAssignment.case_manager_id) == col(Person.id))
            .where(col(CaseAssignment.case_id) == case.id,
                   col(CaseAssignment.removed_at).is_(None)))
        if not any(m.active and "case_manager" in m.roles and m.id != case.subject_id
                   and not facts.excludes(m.id, now=now) for m in managers):
            unmanned.add(id_of(case))
    return unmanned

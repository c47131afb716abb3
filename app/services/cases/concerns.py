"""Concerns: a line manager's worry about a report, handed to case managers.

The line manager raises a concern and gets a receipt, nothing more: what follows is for case
managers, and the exclusion rule keeps the raiser (who has line managed the subject since it
was raised) out of it for good.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CursorResult, update
from sqlmodel import Session, col, select

from app.db.support import Concern
from app.db.types import utcnow
from app.domain.concerns import ConcernAction
from app.domain.errors import (AuditNote, Conflict, DomainError, Forbidden, NotFound,
                               RuleViolation)
from app.domain.access import (CONCERN_RAISED_BY_LINE_MANAGER, NEEDS_SCOPE, Actor,
                               CallerActions, concern_actions, may_manage_cases,
                               may_raise_concern, no_such)
from app.domain.scopes import Scope
from app.domain.vocabulary import ConcernStatus
from app.services.access import case_access
from app.services.kit import audit, random_ids
from app.services.org import people
from app.services.access.relationships import relations_to
from app.services.kit.pagination import Page, keyset_page


def _refusal(actor: Actor, action: str, target_type: str, target_id: object) -> AuditNote:
    return AuditNote(actor=actor.label, action=f"{action}.refused", target_type=target_type,
                     target_id=None if target_id is None else str(target_id))


def require_case_manager(actor: Actor, *, action: str, target_type: str,
                         target_id: object) -> None:
    """Refuse case work to a caller without the `cases` scope, and log the attempt."""
    if not may_manage_cases(actor):
        raise Forbidden(detail=NEEDS_SCOPE.format(scope=Scope.cases),
                        extra={"required_scope": Scope.cases},
                        audit=_refusal(actor, action, target_type, target_id))


def raise_concern(session: Session, actor: Actor, *, subject_id: int,
                  summary: str) -> Concern:
    """Raise a concern about a report (their current line manager only)."""
    if Scope.concerns not in actor.scopes:
        raise Forbidden(detail=NEEDS_SCOPE.format(scope=Scope.concerns),
                        extra={"required_scope": Scope.concerns},
                        audit=_refusal(actor, "concern.raise", "person", subject_id))
    subject = people.get_or_404(session, subject_id)
    if not may_raise_concern(relations_to(session, actor, subject)):
        raise Forbidden(detail=CONCERN_RAISED_BY_LINE_MANAGER,
                        extra={"rule": "concern-raised-by-line-manager"},
                        audit=_refusal(actor, "concern.raise", "person", subject_id))
    assert actor.person_id is not None  # a line manager is a person
    concern = Concern(subject_id=subject_id, raised_by_id=actor.person_id, summary=summary,
                      status=ConcernStatus.open.value, raised_at=utcnow())
    random_ids.add_with_random_id(session, concern)
    session.flush()
    audit.record(session, actor=actor, action="concern.raise", target_type="concern",
                 target_id=concern.id, detail={"subject_id": subject_id})
    return concern


def list_open(session: Session, actor: Actor, *, cursor: str | None,
              limit: int) -> Page[Concern]:
    """List open concerns (case managers), leaving out those about people the caller has
    line managed since the concern was raised."""
    require_case_manager(actor, action="concern.list", target_type="concern", target_id=None)
    stmt = select(Concern).where(Concern.status == ConcernStatus.open.value,
                                 case_access.visible_concerns(actor.person_id, now=utcnow()))
    page = keyset_page(session, stmt, Concern.id, cursor=cursor, limit=limit)
    audit.record(session, actor=actor, action="concern.list", target_type="concern",
                 target_id=None, detail={"concern_ids": [c.id for c in page.items]})
    return page


def _visible(session: Session, actor: Actor, concern_id: int, *, now: datetime,
             action: str) -> Concern:
    concern = session.scalars(select(Concern).where(
        Concern.id == concern_id,
        case_access.visible_concerns(actor.person_id, now=now))).first()
    if concern is None or case_access.facts_for_concern(session, concern).excludes(
            actor.person_id, now=now):
        raise NotFound(detail=no_such("concern", concern_id),
                       audit=_refusal(actor, action, "concern", concern_id))
    return concern


def _require(actor: Actor, concern: Concern, action: ConcernAction, audited: str) -> None:
    """Authorise an action on a concern by the policy's one answer, logging a refusal."""
    try:
        _actions(actor, concern).require(
            action, noun="concern",
            why_not="This concern has already been dismissed or turned into a case.")
    except DomainError as refused:
        refused.audit = _refusal(actor, audited, "concern", concern.id)
        raise


def _close(session: Session, actor: Actor, concern: Concern, status: ConcernStatus,
           case_id: int | None, action: str) -> None:
    """Move an open concern on, once: a concern taken by someone else meanwhile is a 409."""
    moved = session.execute(
        update(Concern).where(col(Concern.id) == concern.id,
                              col(Concern.status) == ConcernStatus.open.value)
        .values(status=status.value, case_id=case_id, handled_by_id=actor.person_id))
    assert isinstance(moved, CursorResult)  # an UPDATE's result counts its rows
    if moved.rowcount != 1:
        raise Conflict(detail="This concern has already been dismissed or turned into a case.",
                       code="concern-handled",
                       audit=_refusal(actor, action, "concern", concern.id))
    session.refresh(concern)


def _actions(actor: Actor, concern: Concern) -> CallerActions:
    return concern_actions(actor, ConcernStatus(concern.status))


def allowed_actions(actor: Actor, concern: Concern) -> list[str]:
    """What the caller may do to a concern they can see, now."""
    return _actions(actor, concern).allowed


def dismiss(session: Session, actor: Actor, concern_id: int, *, reason: str) -> Concern:
    """Dismiss an open concern (case managers), with a reason kept in the audit log."""
    require_case_manager(actor, action="concern.dismiss", target_type="concern",
                         target_id=concern_id)
    concern = _visible(session, actor, concern_id, now=utcnow(), action="concern.dismiss")
    _require(actor, concern, ConcernAction.dismiss, "concern.dismiss")
    _close(session, actor, concern, ConcernStatus.dismissed, None, "concern.dismiss")
    audit.record(session, actor=actor, action="concern.dismiss", target_type="concern",
                 target_id=concern.id, detail={"reason": reason})
    return concern


def take_for_case(session: Session, actor: Actor, concern_id: int, *, subject_id: int,
                  now: datetime) -> Concern:
    """Check that an open concern about the subject may become a case (not marked yet)."""
    concern = _visible(session, actor, concern_id, now=now, action="case.open")
    _require(actor, concern, ConcernAction.open_case, "case.open")
    if concern.subject_id != subject_id:
        raise RuleViolation(detail="concern_id: this concern is about someone else; open the "
                                   "case about the concern's subject.",
                            rule="CASE-CONCERN-SUBJECT", extra={"field": "concern_id"},
                            audit=_refusal(actor, "case.open", "concern", concern.id))
    return concern


def mark_case_opened(session: Session, actor: Actor, concern: Concern, *, case_id: int) -> None:
    """Record that the concern became this case."""
    _close(session, actor, concern, ConcernStatus.case_opened, case_id, "case.open")
    audit.record(session, actor=actor, action="concern.case_opened", target_type="concern",
                 target_id=concern.id, detail={"case_id": case_id})


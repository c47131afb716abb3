"""Granting or removing `admin` or `case_manager`: one admin proposes, another decides.

Nobody decides their own proposal or a change to their own roles (`app.domain.access`). Other roles
change in one step (PATCH /v1/people/{id}). The first admins are made on the server itself
(`gps people grant-role`, or the bootstrap admin), with a recorded reason.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from app.db.duties import RoleChangeRequest
from app.db.models import Person, id_of
from app.db.types import utcnow
from app.domain.errors import Conflict, Forbidden, NotFound, RuleViolation
from app.domain.access import (ROLE_CHANGE_PROPOSED_IN_PERSON, TWO_ADMIN_ROLES, Actor,
                               may_decide_role_change, require_scope)
from app.domain.scopes import Scope
from app.domain.vocabulary import Role, RoleChangeKind, RoleChangeStatus
from app.services.access import case_access
from app.services.kit import audit
from app.services.org import people
from app.services.org.people import refuse_leaving_cases_unmanned
from app.services.kit.pagination import Page, keyset_page

PENDING, APPROVED, REJECTED = (s.value for s in (RoleChangeStatus.pending,
                                                  RoleChangeStatus.approved,
                                                  RoleChangeStatus.rejected))
GRANT, REMOVE = RoleChangeKind.grant.value, RoleChangeKind.remove.value


def _applied(person: Person, role: str, change: str) -> list[str]:
    roles = set(person.roles)
    if change == GRANT:
        roles.add(role)
    else:
        roles.discard(role)
    return sorted(roles)


def _check_applicable(person: Person, role: str, change: str) -> None:
    holds = role in person.roles
    if change == GRANT and holds:
        raise Conflict(detail=f"This person already holds `{role}`.", code="role-held")
    if change == REMOVE and not holds:
        raise Conflict(detail=f"This person does not hold `{role}`.", code="role-not-held")
    if change == GRANT and not person.active:
        raise Conflict(detail="This person is not active; roles are granted to active people "
                              "only.", code="person-inactive")


def propose(session: Session, actor: Actor, *, person_id: int, role: Role, change: str,
            reason: str) -> RoleChangeRequest:
    """Propose granting or removing `admin` or `case_manager` (an admin)."""
    require_scope(actor, Scope.people_write)
    if actor.person_id is None:
        raise Forbidden(detail=ROLE_CHANGE_PROPOSED_IN_PERSON)
    if role not in TWO_ADMIN_ROLES:
        raise RuleViolation(detail=f"role: `{role.value}` changes in one step with PATCH "
                                   "/v1/people/{person_id}; only `admin` and `case_manager` "
                                   "need a second admin.", rule="ROLE-ONE-STEP",
                            extra={"field": "role"})
    # Hold the person's row: two admins proposing at once queue here, and the second finds
    # the first's proposal waiting.
    person = session.exec(select(Person).where(Person.id == person_id).with_for_update()
                          .execution_options(populate_existing=True)).first()
    if person is None:
        raise NotFound(detail=f"No person with id {person_id}.")
    _check_applicable(person, role.value, change)
    waiting = session.exec(select(RoleChangeRequest.id).where(
        RoleChangeRequest.person_id == person_id, RoleChangeRequest.role == role.value,
        RoleChangeRequest.status == PENDING)).first()
    if waiting is not None:
        raise Conflict(detail=f"Role change {waiting} for this person and role is waiting for "
                              "a decision; approve or reject it first.",
                       code="role-change-pending", extra={"role_change_id": waiting})
    request = RoleChangeRequest(person_id=person_id, role=role.value, change=change,
                                reason=reason, status=PENDING, proposed_by_id=actor.person_id,
                                proposed_at=utcnow())
    session.add(request)
    session.flush()
    audit.record(session, actor=actor, action="role_change.propose", target_type="person",
                 target_id=person_id, detail={"role_change_id": request.id, "role": role.value,
                                              "change": change, "reason": reason})
    return request


def get(session: Session, actor: Actor, request_id: int, *,
        for_update: bool = False) -> RoleChangeRequest:
    require_scope(actor, Scope.people_write)
    stmt = select(RoleChangeRequest).where(RoleChangeRequest.id == request_id)
    if for_update:
        stmt = stmt.with_for_update()
    found = session.exec(stmt).first()
    if found is None:
        raise NotFound(detail=f"No role change with id {request_id}.")
    return found


def list_requests(session: Session, actor: Actor, *, status: str | None, cursor: str | None,
                  limit: int) -> Page[RoleChangeRequest]:
    require_scope(actor, Scope.people_write)
    stmt = select(RoleChangeRequest)
    if status is not None:
        stmt = stmt.where(RoleChangeRequest.status == status)
    return keyset_page(session, stmt, RoleChangeRequest.id, cursor=cursor, limit=limit)


def _decidable(session: Session, actor: Actor, request_id: int) -> RoleChangeRequest:
    request = get(session, actor, request_id, for_update=True)
    why_not = may_decide_role_change(actor, proposed_by_id=request.proposed_by_id,
                                     subject_id=request.person_id)
    if why_not is not None:
        raise Forbidden(detail=why_not)
    if request.status != PENDING:
        raise Conflict(detail=f"This role change was {request.status} already.",
                       code="role-change-decided", extra={"state": request.status})
    return request


def _apply(session: Session, person: Person, role: str, change: str, *,
           now: datetime) -> list[str]:
    """Grant or remove the role, refusing a change that leaves an open case without a case
    manager; return the roles held before."""
    _check_applicable(person, role, change)
    unmanned_before = case_access.unmanned_open_cases(session, person_id=id_of(person),
                                                      now=now)
    before = list(person.roles)
    person.roles = _applied(person, role, change)
    person.version += 1
    person.updated_at = now
    session.add(person)
    session.flush()
    refuse_leaving_cases_unmanned(session, person_id=id_of(person), before=unmanned_before,
                                  now=now)
    return before


def approve(session: Session, actor: Actor, request_id: int, *,
            reason: str | None) -> RoleChangeRequest:
    """Approve and apply a proposed role change (another admin)."""
    request = _decidable(session, actor, request_id)
    now = utcnow()
    person = people.get_or_404(session, request.person_id)
    before = _apply(session, person, request.role, request.change, now=now)
    request.status, request.decided_by_id = APPROVED, actor.person_id
    request.decided_at, request.decision_reason = now, reason
    session.add(request)
    session.flush()
    audit.record(session, actor=actor, action="person.update", target_type="person",
                 target_id=person.id, detail={
                     "fields": ["roles"],
                     "changes": {"roles": {"before": before, "after": person.roles}},
                     "role_change_id": request.id, "proposed_by": request.proposed_by_id})
    audit.record(session, actor=actor, action="role_change.approve", target_type="person",
                 target_id=person.id, detail={"role_change_id": request.id, "reason": reason})
    return request


def reject(session: Session, actor: Actor, request_id: int, *,
           reason: str | None) -> RoleChangeRequest:
    """Reject a proposed role change (another admin)."""
    request = _decidable(session, actor, request_id)
    request.status, request.decided_by_id = REJECTED, actor.person_id
    request.decided_at, request.decision_reason = utcnow(), reason
    session.add(request)
    session.flush()
    audit.record(session, actor=actor, action="role_change.reject", target_type="person",
                 target_id=request.person_id,
                 detail={"role_change_id": request.id, "reason": reason})
    return request


def grant_on_server(session: Session, *, email: str, role: Role, change: str, reason: str,
                    operator: str) -> Person:
    """Grant or remove a role from the server's command line (the first admins): recorded
    with the reason and who ran it. Removing the last case manager of an open case is
    refused here too."""
    person = session.exec(select(Person).where(Person.email == email.strip().lower())).first()
    if person is None:
        raise NotFound(detail=f"No person with the e-mail address {email.strip()[:320]}.")
    now = utcnow()
    before = _apply(session, person, role.value, change, now=now)
    audit.record(session, actor=f"server:{operator}"[:100], action="person.update",
                 target_type="person", target_id=person.id, detail={
                     "fields": ["roles"],
                     "changes": {"roles": {"before": before, "after": person.roles}},
                     "via": "gps people role", "reason": reason})
    return person

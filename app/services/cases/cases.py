"""Formal cases: opened behind the fairness gate, worked by assigned case managers, followed
by their subject, and invisible to anyone the exclusion rule shuts out.

Every query about a case goes through `case_access` (the exclusion rule in SQL); who may do
what is then `access.case_access`. Every read and write is written to the audit log, and so is
every refused attempt (through `AuditNote`, which survives the refused request's rollback).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, or_
from sqlmodel import Session, col, select

from app.db.duties import CaseRefusal
from app.db.models import AuditEntry, Person, id_of
from app.db.support import (CaseAssignment, CaseNote, FormalCase, Intervention, PolicyVersion,
                            Trigger)
from app.db.types import utcnow
from app.domain import access as access_policy
from app.domain.cases import (CaseAction, GateResult, NegativeTrigger, SupportRecord, advance,
                              fairness_gate, move_action)
from app.domain.errors import (AuditNote, Conflict, DomainError, Forbidden, NotFound,
                               PreconditionFailed, RuleViolation)
from app.domain.access import Actor, CallerActions, CaseAccess, may_manage_cases
from app.domain.scopes import Scope
from app.domain.vocabulary import (GATED_CASE_KINDS, SUPPORTIVE_KINDS, CaseKind, CaseStatus,
                                   InterventionKind, InterventionStatus, NoteVisibility, Role,
                                   TriggerDirection)
from app.services.access import case_access
from app.services.cases import concerns
from app.services.kit import audit, random_ids
from app.services.org import people
from app.services.access.case_access import CaseFacts
from app.services.kit.pagination import Page, keyset_page


@dataclass(frozen=True)
class CaseView:
    """A case as one caller may see it: everything for its case managers; for its subject the
    status, outcome, consent, the case managers to contact and the shared notes."""

    case: FormalCase
    access: CaseAccess
    notes: list[CaseNote] = field(default_factory=list)
    assignments: list[CaseAssignment] = field(default_factory=list)
    allowed_actions: list[str] = field(default_factory=list)
    # The case managers its subject can contact (name and e-mail), for the subject's view.
    contacts: list[Person] = field(default_factory=list)


def _actions(actor: Actor, case: FormalCase, access: CaseAccess) -> CallerActions:
    """What the caller may do to the case now: the policy's one answer (see access.py)."""
    return access_policy.case_actions(actor, access, status=CaseStatus(case.status),
                                      kind=CaseKind(case.kind),
                                      consented=case.consent_at is not None)


@contextmanager
def _audited(actor: Actor, action: str, target_type: str, target_id: object) -> Iterator[None]:
    """Write any refusal of this attempt to the audit log, whatever refused it."""
    try:
        yield
    except DomainError as exc:
        if exc.audit is None:
            exc.audit = AuditNote(actor=actor.label, action=f"{action}.refused",
                                  target_type=target_type,
                                  target_id=None if target_id is None else str(target_id))
        raise


def _load(session: Session, actor: Actor, case_id: int, *, now: datetime,
          for_update: bool = False) -> tuple[FormalCase, CaseAccess, CaseFacts]:
    """Load a case the caller may see; to anyone else it does not exist."""
    case = case_access.visible_case(session, actor.person_id, case_id, now=now,
                                    for_update=for_update)
    if case is not None:
        facts = case_access.facts_for(session, case)
        access = access_policy.case_access(
            actor, excluded=facts.excludes(actor.person_id, now=now),
            assigned=case_access.is_assigned(session, actor.person_id, case_id, now=now),
            is_subject=case.subject_id == actor.person_id)
        if access is not CaseAccess.none:
            return case, access, facts
    raise NotFound(detail=access_policy.no_such("case", case_id))


def _require_case_scope(actor: Actor) -> None:
    if not may_manage_cases(actor):
        raise Forbidden(detail=access_policy.NEEDS_SCOPE.format(scope=Scope.cases),
                        extra={"required_scope": Scope.cases})


def _as_manager(session: Session, actor: Actor, case_id: int, *, now: datetime,
                for_update: bool = True) -> tuple[FormalCase, CaseFacts]:
    _require_case_scope(actor)
    case, access, facts = _load(session, actor, case_id, now=now, for_update=for_update)
    if access is not CaseAccess.manager:
        raise Forbidden(detail=access_policy.CASE_WORK_BY_ASSIGNED,
                        extra={"rule": "case-work-by-assigned"})
    return case, facts


def _check_version(case: FormalCase, expected_version: int | None) -> None:
    if expected_version is not None and case.version != expected_version:
        raise PreconditionFailed(detail="This case was changed since you read it; fetch it "
                                        "again and resend with the new ETag.")


def _save(session: Session, case: FormalCase, now: datetime) -> None:
    case.version += 1
    case.updated_at = now
    session.add(case)
    session.flush()


def _notes(actor: Actor, case_id: int, *, now: datetime, shared_only: bool) -> Select[Any]:
    stmt = (select(CaseNote).join(FormalCase, col(FormalCase.id) == col(CaseNote.case_id))
            .where(CaseNote.case_id == case_id,
                   case_access.visible_cases(actor.person_id, now=now)))
    if shared_only:
        stmt = stmt.where(CaseNote.visibility == NoteVisibility.shared.value)
    return stmt


def _view(session: Session, actor: Actor, case: FormalCase, access: CaseAccess, *,
          now: datetime) -> CaseView:
    manager = access is CaseAccess.manager
    notes = list(session.scalars(_notes(actor, id_of(case), now=now,
                                        shared_only=not manager).order_by(col(CaseNote.id))))
    allowed = _actions(actor, case, access).allowed
    assignments = _current_assignments(session, actor, id_of(case), now=now)
    if not manager:
        return CaseView(case, access, notes, allowed_actions=allowed,
                        contacts=case_managers(session, [a.case_manager_id for a in assignments]))
    return CaseView(case, access, notes, assignments, allowed)


def case_managers(session: Session, person_ids: list[int]) -> list[Person]:
    """The people behind these ids, in id order: a case's case managers, for its subject to
    contact."""
    if not person_ids:
        return []
    return list(session.scalars(select(Person).where(col(Person.id).in_(person_ids))
                                .order_by(col(Person.id))))


def _current_assignments(session: Session, actor: Actor, case_id: int, *,
                         now: datetime) -> list[CaseAssignment]:
    """The case's current case managers, read through the exclusion filter like every case
    query."""
    return list(session.scalars(
        select(CaseAssignment).join(FormalCase, col(FormalCase.id) == col(CaseAssignment.case_id))
        .where(CaseAssignment.case_id == case_id,
               col(CaseAssignment.removed_at).is_(None),
               case_access.visible_cases(actor.person_id, now=now))
        .order_by(col(CaseAssignment.id))))


# --- opening ---------------------------------------------------------------------------------


def _policy_in_force(session: Session, today: date) -> PolicyVersion:
    found = session.scalars(
        select(PolicyVersion).where(PolicyVersion.effective_from <= today,
                                    or_(col(PolicyVersion.effective_to).is_(None),
                                        col(PolicyVersion.effective_to) >= today))
        .order_by(col(PolicyVersion.effective_from).desc()).limit(1)).first()
    if found is None:
        raise RuleViolation(detail="No policy version is in force today, so the fairness gate "
                                   "cannot be checked; an admin must publish one.",
                            rule="POLICY-IN-FORCE")
    return found


def _gate(session: Session, subject_id: int, kind: CaseKind, now: datetime) -> GateResult:
    """Check that support was tried first, from the records and the policy in force."""
    if kind not in GATED_CASE_KINDS:
        return fairness_gate(kind, negative_triggers=[], interventions=[], window_days=0,
                             min_support=0, now=now)
    version = _policy_in_force(session, now.date())
    triggers = session.scalars(select(Trigger).where(
        Trigger.person_id == subject_id, Trigger.direction == TriggerDirection.negative.value,
        col(Trigger.withdrawn_at).is_(None),
        Trigger.fired_at >= now - timedelta(days=version.case_window_days)))
    support = session.scalars(select(Intervention).where(
        Intervention.person_id == subject_id,
        col(Intervention.kind).in_([k.value for k in SUPPORTIVE_KINDS]),
        Intervention.status == InterventionStatus.completed.value,
        col(Intervention.completed_at).is_not(None)))
    result = fairness_gate(
        kind, negative_triggers=[NegativeTrigger(t.id, t.fired_at, t.summary)
                                 for t in triggers],
        interventions=[SupportRecord(i.id, InterventionKind(i.kind),
                                     InterventionStatus(i.status), i.completed_at, i.agreed_at,
                                     i.outcome_note, self_requested=i.requested_by_id is not None)
                       for i in support],
        window_days=version.case_window_days, min_support=version.case_min_interventions,
        min_support_days=version.case_min_support_days, now=now)
    return GateResult(result.passed, result.missing,
                      {**result.snapshot, "policy_version_id": version.id})


def open_case(session: Session, actor: Actor, *, subject_id: int, kind: CaseKind, summary: str,
              concern_id: int | None) -> CaseView:
    """Open a formal case (a case manager who is not excluded), assigned to the opener."""
    now = utcnow()
    with _audited(actor, "case.open", "person", subject_id):
        _require_case_scope(actor)
        people.get_or_404(session, subject_id)
        if subject_id == actor.person_id:
            raise Forbidden(detail=access_policy.NO_CASE_ABOUT_YOURSELF,
                            extra={"rule": "no-case-about-yourself"})
        if case_access.facts_for_new_case(session, subject_id, now=now).excludes(
                actor.person_id, now=now):
            raise Forbidden(detail=access_policy.CASES_CLOSED_TO_LINE_MANAGER,
                            extra={"rule": "exclusion-rule"})
        concern = concerns.take_for_case(session, actor, concern_id, subject_id=subject_id,
                                         now=now) if concern_id is not None else None
        gate = _gate(session, subject_id, kind, now)
        if not gate.passed:
            raise RuleViolation(detail=f"A {kind.value} case needs evidence that support was "
                                       "tried first, and this is missing: "
                                       + "; ".join(gate.missing) + ".",
                                rule="CASE-FAIRNESS-GATE", extra={"missing": gate.missing})
        assert actor.person_id is not None  # only people hold the cases scope
        case = FormalCase(subject_id=subject_id, kind=kind.value,
                          status=CaseStatus.open.value, summary=summary,
                          concern_id=concern_id, opened_by_id=actor.person_id,
                          opened_at=now, evidence_snapshot=gate.snapshot, updated_at=now)
        random_ids.add_with_random_id(session, case)
        session.flush()
        session.add(CaseAssignment(case_id=id_of(case), case_manager_id=actor.person_id,
                                   assigned_at=now))
        if concern is not None:
            concerns.mark_case_opened(session, actor, concern, case_id=id_of(case))
        session.flush()
        audit.record(session, actor=actor, action="case.open", target_type="case",
                     target_id=case.id, detail={"subject_id": subject_id, "kind": kind.value,
                                                "concern_id": concern_id})
        return _view(session, actor, case, CaseAccess.manager, now=now)


# --- reading ---------------------------------------------------------------------------------


def list_cases(session: Session, actor: Actor, *, status: CaseStatus | None, cursor: str | None,
               limit: int) -> Page[CaseView]:
    """List the cases the caller is assigned to (case managers) and those about the caller;
    to everyone else, nothing."""
    now = utcnow()
    person_id = actor.person_id
    page: Page[FormalCase] = Page([], None)
    if person_id is not None:
        mine = col(FormalCase.subject_id) == person_id
        who = or_(mine, case_access.assigned(person_id)) if may_manage_cases(actor) else mine
        stmt = select(FormalCase).where(case_access.visible_cases(person_id, now=now), who)
        if status is not None:
            stmt = stmt.where(FormalCase.status == status.value)
        page = keyset_page(session, stmt, FormalCase.id, cursor=cursor, limit=limit)
    items = []
    for case in page.items:
        is_subject = case.subject_id == person_id
        # The filter above already left out every case the caller is excluded from.
        access = access_policy.case_access(actor, excluded=False, assigned=not is_subject,
                                    is_subject=is_subject)
        if access is not CaseAccess.none:
            items.append(CaseView(case, access,
                                  allowed_actions=_actions(actor, case, access).allowed))
    audit.record(session, actor=actor, action="case.list", target_type="case", target_id=None,
                 detail={"case_ids": [v.case.id for v in items]})
    return Page(items, page.next_cursor)


def view(session: Session, actor: Actor, case_id: int) -> CaseView:
    """Read one case as the caller may see it."""
    now = utcnow()
    with _audited(actor, "case.read", "case", case_id):
        case, access, _ = _load(session, actor, case_id, now=now)
        found = _view(session, actor, case, access, now=now)
    audit.record(session, actor=actor, action="case.read", target_type="case", target_id=case_id,
                 detail={"view": access.value})
    return found


def list_notes(session: Session, actor: Actor, case_id: int, *, cursor: str | None,
               limit: int) -> Page[CaseNote]:
    """List a case's notes: all of them for its case managers, shared ones for its subject."""
    now = utcnow()
    with _audited(actor, "case.notes.read", "case", case_id):
        _, access, _ = _load(session, actor, case_id, now=now)
        page = keyset_page(session, _notes(actor, case_id, now=now,
                                           shared_only=access is not CaseAccess.manager),
                           CaseNote.id, cursor=cursor, limit=limit)
    audit.record(session, actor=actor, action="case.notes.read", target_type="case",
                 target_id=case_id, detail={"note_ids": [n.id for n in page.items]})
    return page


def audit_entries(session: Session, actor: Actor, *, case_id: int, cursor: str | None,
                  limit: int) -> Page[AuditEntry]:
    """List the audit log of a case and of the concern it came from (its case managers)."""
    now = utcnow()
    with _audited(actor, "case.audit.read", "case", case_id):
        case, _ = _as_manager(session, actor, case_id, now=now, for_update=False)
        about = [and_(col(AuditEntry.target_type) == "case",
                      col(AuditEntry.target_id) == str(case.id))]
        if case.concern_id is not None:
            about.append(and_(col(AuditEntry.target_type) == "concern",
                              col(AuditEntry.target_id) == str(case.concern_id)))
        page = keyset_page(session, select(AuditEntry).where(or_(*about)), AuditEntry.id,
                           cursor=cursor, limit=limit)
    audit.record(session, actor=actor, action="case.audit.read", target_type="case",
                 target_id=case_id)
    return page


def refusal_counts(session: Session, actor: Actor, *, case_id: int, cursor: str | None,
                   limit: int) -> Page[CaseRefusal]:
    """List the refused attempts on a case, counted per caller and action (its case
    managers): who tried, how often, first and last time."""
    now = utcnow()
    with _audited(actor, "case.audit.read", "case", case_id):
        _as_manager(session, actor, case_id, now=now, for_update=False)
        page = keyset_page(session, select(CaseRefusal).where(
            CaseRefusal.case_ref == str(case_id)), CaseRefusal.id, cursor=cursor, limit=limit)
    audit.record(session, actor=actor, action="case.audit.read", target_type="case",
                 target_id=case_id, detail={"refusal_counts": True})
    return page


# --- working a case --------------------------------------------------------------------------


def transition(session: Session, actor: Actor, case_id: int, *, to: CaseStatus,
               expected_version: int | None) -> CaseView:
    """Move a case one step on its lifecycle (its case managers)."""
    now = utcnow()
    with _audited(actor, "case.transition", "case", case_id):
        case, _ = _as_manager(session, actor, case_id, now=now)
        _check_version(case, expected_version)
        before = CaseStatus(case.status)
        action = move_action(to)
        if action in (CaseAction.review, CaseAction.close):
            _actions(actor, case, CaseAccess.manager).require(action, noun="case")
        advance(before, to)
        if to is CaseStatus.outcome_recorded:
            raise RuleViolation(detail=f"Record the outcome with POST /v1/cases/{case_id}/outcome"
                                       "; it moves the case to outcome_recorded.",
                                rule="CASE-OUTCOME", extra={"field": "to"})
        case.status = to.value
        if to is CaseStatus.closed:
            case.closed_at = now
        _save(session, case, now)
        audit.record(session, actor=actor, action="case.transition", target_type="case",
                     target_id=case_id, detail={"from": before.value, "to": to.value})
        return _view(session, actor, case, CaseAccess.manager, now=now)


def record_outcome(session: Session, actor: Actor, case_id: int, *, outcome: str,
                   expected_version: int | None) -> CaseView:
    """Record a case's outcome (its case managers): under_review → outcome_recorded. A
    voluntary band change needs the subject's recorded consent first."""
    now = utcnow()
    with _audited(actor, "case.outcome", "case", case_id):
        case, _ = _as_manager(session, actor, case_id, now=now)
        _check_version(case, expected_version)
        waits = (case.kind == CaseKind.voluntary_band_change.value and case.consent_at is None
                 and case.status == CaseStatus.under_review.value)
        _actions(actor, case, CaseAccess.manager).require(
            CaseAction.record_outcome, noun="case", why_not=(
                "A voluntary band change needs the consent of the person it is about before "
                f"an outcome is recorded; they record it with POST /v1/cases/{case_id}/consent."
            ) if waits else None, **({"rule": "CASE-CONSENT"} if waits else {}))
        case.outcome = outcome
        case.status = CaseStatus.outcome_recorded.value
        _save(session, case, now)
        audit.record(session, actor=actor, action="case.outcome", target_type="case",
                     target_id=case_id)
        return _view(session, actor, case, CaseAccess.manager, now=now)


def record_consent(session: Session, actor: Actor, case_id: int) -> CaseView:
    """Record the subject's consent to a voluntary band change (the subject only)."""
    now = utcnow()
    with _audited(actor, "case.consent", "case", case_id):
        case, access, _ = _load(session, actor, case_id, now=now, for_update=True)
        vbc = case.kind == CaseKind.voluntary_band_change.value
        _actions(actor, case, access).require(
            CaseAction.consent, noun="case",
            why_not=(f"The case is {case.status}; consent can no longer change its outcome."
                     if vbc else "Consent is recorded only for a voluntary band change: this "
                     f"{case.kind} case has no consent step."), rule="CASE-CONSENT")
        if case.consent_at is None:
            case.consent_at = now
            _save(session, case, now)
        audit.record(session, actor=actor, action="case.consent", target_type="case",
                     target_id=case_id)
        return _view(session, actor, case, CaseAccess.subject, now=now)


def _refuse_if_closed(case: FormalCase) -> None:
    if case.status == CaseStatus.closed.value:
        raise Conflict(detail="The case is closed; it can no longer change.",
                       code="case-closed", extra={"state": case.status})


def add_note(session: Session, actor: Actor, case_id: int, *, visibility: NoteVisibility,
             body: str) -> CaseNote:
    """Add a note to a case (its case managers); shared notes are read by the subject too."""
    now = utcnow()
    with _audited(actor, "case.note.create", "case", case_id):
        case, _ = _as_manager(session, actor, case_id, now=now)
        _actions(actor, case, CaseAccess.manager).require(
            CaseAction.add_note, noun="case",
            why_not="The case is closed; it can no longer change.")
        assert actor.person_id is not None  # only people hold the cases scope
        note = CaseNote(case_id=case_id, author_id=actor.person_id,
                        visibility=visibility.value, body=body, created_at=now)
        session.add(note)
        session.flush()
        audit.record(session, actor=actor, action="case.note.create", target_type="case",
                     target_id=case_id, detail={"note_id": note.id,
                                                "visibility": visibility.value})
        return note


def assign(session: Session, actor: Actor, case_id: int, *,
           case_manager_id: int) -> CaseAssignment:
    """Assign another case manager to a case (its case managers). Nobody the exclusion rule
    shuts out of the case can be assigned."""
    now = utcnow()
    with _audited(actor, "case.assign", "case", case_id):
        case, facts = _as_manager(session, actor, case_id, now=now)
        _refuse_if_closed(case)
        assignee = session.get(Person, case_manager_id)
        if assignee is None or not assignee.active \
                or Role.case_manager.value not in assignee.roles:
            raise RuleViolation(detail=f"case_manager_id: person {case_manager_id} is not an "
                                       "active case manager.", rule="CASE-ASSIGNEE",
                                extra={"field": "case_manager_id"})
        if assignee.id == case.subject_id or facts.excludes(assignee.id, now=now) \
                or case_access.visible_case(session, assignee.id, case_id, now=now) is None:
            raise RuleViolation(detail=access_policy.CASE_EXCLUDED_ASSIGNEE.format(
                                    person_id=case_manager_id), rule="CASE-EXCLUDED-ASSIGNEE",
                                extra={"field": "case_manager_id"})
        if case_access.is_assigned(session, assignee.id, case_id, now=now):
            raise Conflict(detail=f"Person {case_manager_id} is already assigned to this case.",
                           code="already-assigned")
        assignment = CaseAssignment(case_id=case_id, case_manager_id=case_manager_id,
                                    assigned_at=now)
        session.add(assignment)
        session.flush()
        audit.record(session, actor=actor, action="case.assign", target_type="case",
                     target_id=case_id, detail={"case_manager_id": case_manager_id})
        return assignment


def unassign(session: Session, actor: Actor, case_id: int, *, person_id: int) -> None:
    """Take a case manager off a case (its case managers); a case always keeps at least one
    case manager who may work on it."""
    now = utcnow()
    with _audited(actor, "case.unassign", "case", case_id):
        _, facts = _as_manager(session, actor, case_id, now=now)
        current = _current_assignments(session, actor, case_id, now=now)
        leaving = [a for a in current if a.case_manager_id == person_id]
        if not leaving:
            raise NotFound(detail=f"Person {person_id} is not assigned to case {case_id}.")
        staying = [a for a in current if a.case_manager_id != person_id
                   and not facts.excludes(a.case_manager_id, now=now)]
        if not staying:
            raise Conflict(detail="A case keeps at least one case manager who may work on it; "
                                  "assign another before taking this one off.",
                           code="last-case-manager")
        for assignment in leaving:
            assignment.removed_at = now
            session.add(assignment)
        session.flush()
        audit.record(session, actor=actor, action="case.unassign", target_type="case",
                     target_id=case_id, detail={"case_manager_id": person_id})

"""Routes: concerns, formal cases and the case audit log.

The line manager of a case's subject is structurally excluded: to them the case does not
exist (404), whatever roles they hold. Every access, and every refused attempt, is audited.
Case work needs the `cases` scope, and raising a concern the `concerns:raise` scope: the
services check them themselves so that a refusal is written to the audit log too (see
`app.api.auth`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from app.api.auth import CasesActor, ConcernsActor, OptionalIfMatch, Paging, SignedIn
from app.api.conditional import expected_version, set_etag
from app.api.deps import API_PREFIX, SessionDep
from app.api.links import location
from app.api.problems import problem_responses
from app.api.schemas.cases import (AssignmentCreate, AssignmentRead, AuditEntryRead,
                                   CaseManagerRead, CaseRefusalRead, CaseSubjectRead,
                                   CaseCreate, CaseNoteCreate, CaseNoteRead, CaseOutcome,
                                   CaseRead, CaseSummary, CaseTransition, ConcernCreate,
                                   ConcernDismiss, ConcernRead, ConcernReceipt, case_read)
from app.api.schemas.common import Page, PathId
from app.db.models import id_of
from app.domain.vocabulary import CaseStatus
from app.services.cases import cases, concerns

router = APIRouter(prefix=API_PREFIX)


READ_ERRORS = problem_responses(401, 403, 404, 422)
ACTION_ERRORS = problem_responses(401, 403, 404, 409, 412, 413, 422)


def _answer(response: Response, found: cases.CaseView) -> CaseManagerRead | CaseSubjectRead:
    set_etag(response, "case", id_of(found.case), found.case.version)
    return case_read(found)


def _version(if_match: str | None, case_id: int) -> int | None:
    """If-Match is optional on case actions; when sent, it must name the current version."""
    return expected_version(if_match, "case", case_id) if if_match and if_match.strip() \
        else None


# --- concerns --------------------------------------------------------------------------------


@router.post("/concerns", operation_id="raise_concern", tags=["concerns"],
             status_code=status.HTTP_201_CREATED, response_model=ConcernReceipt,
             responses=problem_responses(401, 403, 404, 413, 422))
def raise_concern(body: ConcernCreate, session: SessionDep,
                  actor: ConcernsActor) -> ConcernReceipt:
    """Raise a concern about one of your reports (their current line manager only). You get
    a receipt and nothing more: case managers decide what follows, and as the line manager you
    are kept out of it."""
    concern = concerns.raise_concern(session, actor, subject_id=body.subject_id,
                                     summary=body.summary)
    return ConcernReceipt(id=concern.id, received_at=concern.raised_at)


@router.get("/concerns", operation_id="list_concerns", tags=["concerns"],
            response_model=Page[ConcernRead], responses=READ_ERRORS)
def list_concerns(session: SessionDep, actor: CasesActor, paging: Paging) -> Page[ConcernRead]:
    """List open concerns (case managers), except those about people you line manage or
    have line managed since the concern was raised."""
    page = concerns.list_open(session, actor, cursor=paging.cursor, limit=paging.limit)
    return Page(items=[ConcernRead.of(c, concerns.allowed_actions(actor, c)) for c in page.items],
                next_cursor=page.next_cursor)


@router.post("/concerns/{concern_id:int}/dismiss", operation_id="dismiss_concern",
             tags=["concerns"], response_model=ConcernRead,
             responses=problem_responses(401, 403, 404, 409, 413, 422))
def dismiss_concern(concern_id: PathId, body: ConcernDismiss, session: SessionDep,
                    actor: CasesActor) -> ConcernRead:
    """Dismiss an open concern with a reason (case managers): no case follows."""
    dismissed = concerns.dismiss(session, actor, concern_id, reason=body.reason)
    return ConcernRead.of(dismissed, concerns.allowed_actions(actor, dismissed))


# --- cases -----------------------------------------------------------------------------------


@router.post("/cases", operation_id="open_case", tags=["cases"],
             status_code=status.HTTP_201_CREATED, response_model=CaseRead,
             responses=problem_responses(401, 403, 404, 409, 413, 422))
def open_case(body: CaseCreate, request: Request, response: Response, session: SessionDep,
              actor: CasesActor) -> CaseRead:
    """Open a formal case (a case manager who is not, and is not excluded as, the subject's
    line manager); you are assigned to it. A `capability` or `voluntary_band_change` case
    needs the fairness gate: a negative trigger within the policy's window and enough
    supportive interventions completed since (422 `CASE-FAIRNESS-GATE` says what is
    missing); the evidence is kept in `evidence_snapshot`. Giving `concern_id` takes up that
    open concern."""
    found = cases.open_case(session, actor, subject_id=body.subject_id, kind=body.kind,
                            summary=body.summary, concern_id=body.concern_id)
    response.headers["Location"] = location(request, "get_case", case_id=found.case.id)
    return _answer(response, found)


@router.get("/cases", operation_id="list_cases", tags=["cases"],
            response_model=Page[CaseSummary], responses=problem_responses(401, 422))
def list_cases(session: SessionDep, actor: SignedIn, paging: Paging,
               status: Annotated[CaseStatus | None, Query()] = None) -> Page[CaseSummary]:
    """List the cases assigned to you (case managers) and the cases about you (their status).
    Anyone else gets an empty list."""
    page = cases.list_cases(session, actor, status=status, cursor=paging.cursor,
                            limit=paging.limit)
    return Page(items=[CaseSummary.of(v) for v in page.items], next_cursor=page.next_cursor)


@router.get("/cases/{case_id:int}", operation_id="get_case", tags=["cases"],
            response_model=CaseRead, responses=READ_ERRORS)
def get_case(case_id: PathId, response: Response, session: SessionDep,
             actor: SignedIn) -> CaseRead:
    """Read a case: everything for its assigned case managers (`view: manager`); its status
    and shared notes for the person it is about (`view: subject`). To anyone else it does not
    exist."""
    return _answer(response, cases.view(session, actor, case_id))


@router.post("/cases/{case_id:int}/transition", operation_id="transition_case",
             tags=["cases"], response_model=CaseRead, responses=ACTION_ERRORS)
def transition_case(case_id: PathId, body: CaseTransition, response: Response,
                    session: SessionDep, actor: CasesActor,
                    if_match: OptionalIfMatch = None) -> CaseRead:
    """Move a case one step on (its case managers): open → under_review, outcome_recorded →
    closed. Any other move is a 409; the outcome is recorded with `/outcome`."""
    return _answer(response, cases.transition(session, actor, case_id, to=body.to,
                                              expected_version=_version(if_match, case_id)))


@router.post("/cases/{case_id:int}/outcome", operation_id="record_case_outcome",
             tags=["cases"], response_model=CaseRead, responses=ACTION_ERRORS)
def record_case_outcome(case_id: PathId, body: CaseOutcome, response: Response,
                        session: SessionDep, actor: CasesActor,
                        if_match: OptionalIfMatch = None) -> CaseRead:
    """Record the outcome of a case under review (its case managers). A voluntary band
    change needs the subject's consent first (422 `CASE-CONSENT`)."""
    return _answer(response, cases.record_outcome(
        session, actor, case_id, outcome=body.outcome,
        expected_version=_version(if_match, case_id)))


@router.post("/cases/{case_id:int}/consent", operation_id="consent_to_case", tags=["cases"],
             response_model=CaseRead, responses=problem_responses(401, 403, 404, 409, 422))
def consent_to_case(case_id: PathId, response: Response, session: SessionDep,
                    actor: SignedIn) -> CaseRead:
    """Record your consent to a voluntary band change about you (the subject only)."""
    return _answer(response, cases.record_consent(session, actor, case_id))


@router.post("/cases/{case_id:int}/notes", operation_id="create_case_note", tags=["cases"],
             status_code=status.HTTP_201_CREATED, response_model=CaseNoteRead,
             responses=problem_responses(401, 403, 404, 409, 413, 422))
def create_case_note(case_id: PathId, body: CaseNoteCreate, session: SessionDep,
                     actor: CasesActor) -> CaseNoteRead:
    """Add a note to a case (its case managers). Shared notes are read by the subject too."""
    return CaseNoteRead.of(cases.add_note(session, actor, case_id, visibility=body.visibility,
                                          body=body.body))


@router.get("/cases/{case_id:int}/notes", operation_id="list_case_notes", tags=["cases"],
            response_model=Page[CaseNoteRead], responses=READ_ERRORS)
def list_case_notes(case_id: PathId, session: SessionDep, actor: SignedIn,
                    paging: Paging) -> Page[CaseNoteRead]:
    """List a case's notes, oldest first: all of them for its case managers, the shared
    ones for the person it is about."""
    page = cases.list_notes(session, actor, case_id, cursor=paging.cursor, limit=paging.limit)
    return Page(items=[CaseNoteRead.of(n) for n in page.items], next_cursor=page.next_cursor)


@router.post("/cases/{case_id:int}/assignments", operation_id="assign_case_manager",
             tags=["cases"], status_code=status.HTTP_201_CREATED,
             response_model=AssignmentRead,
             responses=problem_responses(401, 403, 404, 409, 413, 422))
def assign_case_manager(case_id: PathId, body: AssignmentCreate, session: SessionDep,
                        actor: CasesActor) -> AssignmentRead:
    """Assign another case manager to a case (its case managers). Someone who is or has been
    the subject's line manager while the case is open cannot be assigned (422
    `CASE-EXCLUDED-ASSIGNEE`)."""
    return AssignmentRead.of(cases.assign(session, actor, case_id,
                                          case_manager_id=body.case_manager_id))


@router.delete("/cases/{case_id:int}/assignments/{person_id:int}",
               operation_id="unassign_case_manager", tags=["cases"],
               status_code=status.HTTP_204_NO_CONTENT,
               responses=problem_responses(401, 403, 404, 409, 422))
def unassign_case_manager(case_id: PathId, person_id: PathId, session: SessionDep,
                          actor: CasesActor) -> Response:
    """Take a case manager off a case (its case managers); the last one cannot leave."""
    cases.unassign(session, actor, case_id, person_id=person_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- audit -----------------------------------------------------------------------------------


@router.get("/audit", operation_id="list_case_audit", tags=["audit"],
            response_model=Page[AuditEntryRead], responses=READ_ERRORS)
def list_case_audit(session: SessionDep, actor: CasesActor,
                    case_id: Annotated[PathId, Query(description="The case whose log to read")],
                    paging: Paging) -> Page[AuditEntryRead]:
    """Read the audit log of a case and of the concern it came from (its case managers):
    every read, change and refused attempt, oldest first."""
    page = cases.audit_entries(session, actor, case_id=case_id, cursor=paging.cursor,
                               limit=paging.limit)
    return Page(items=[AuditEntryRead.of(e) for e in page.items],
                next_cursor=page.next_cursor)


@router.get("/audit/refusals", operation_id="list_case_refusals", tags=["audit"],
            response_model=Page[CaseRefusalRead], responses=READ_ERRORS)
def list_case_refusals(session: SessionDep, actor: CasesActor,
                       case_id: Annotated[PathId, Query(description="The case")],
                       paging: Paging) -> Page[CaseRefusalRead]:
    """Refused attempts on a case, counted per caller and kind (its case managers): the
    audit log keeps the first of each, this keeps how many and when the last was."""
    page = cases.refusal_counts(session, actor, case_id=case_id, cursor=paging.cursor,
                                limit=paging.limit)
    return Page(items=[CaseRefusalRead.model_validate(r) for r in page.items],
                next_cursor=page.next_cursor)

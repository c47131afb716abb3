"""Objectives and check-ins: the quarterly growth cycle, and the HR events it publishes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, text
from sqlmodel import Session, col, select

from app.db.growth import CheckIn, Evidence, HrEvent, Objective
from app.db.models import Person, RecordChange, id_of
from app.db.types import utcnow
from app.domain.errors import PreconditionFailed, RuleViolation
from app.domain.objectives import (ObjectiveAction, allowed_actions, transition,
                                   twenty_percent_warning)
from app.domain.access import (OBJECTIVE_ACTIONS, OVERRIDE_NEEDS_REASON, OVERRIDE_REASON, Action,
                               Actor, Record, Relation, actions_for, authorize_action, no_such,
                               require_scope)
from app.domain.errors import NotFound
from app.domain.quarters import Quarter
from app.domain.scopes import Scope
from app.domain.vocabulary import HrEventType, ObjectiveStatus, Role
from app.services.access.relationships import direct_relations, relations_to
from app.services.kit import audit, history, staleness
from app.services.org import people
from app.services.support import triggers
from app.services.kit.pagination import Page, keyset_page
from app.services.kit.patches import UNSET, Unset, given
from app.services.access.records import load_about_person


@dataclass(frozen=True)
class ObjectiveView:
    objective: Objective
    evidence_ids: list[int]
    warnings: list[str]
    allowed_actions: list[str]


# The HR feed never skips or repeats an event. On PostgreSQL, ids come from a sequence when a row
# is inserted but become visible when its transaction commits, so a row with a lower id could
# appear after a poller has moved past it. Writers of feed events therefore take this
# transaction-scoped advisory lock first: the next event's id is only drawn after the previous
# event's transaction has committed. (SQLite has one writer at a time.) Feed events are rare
# (objective completions), so serialising their writers costs nothing.
FEED_WRITER_LOCK = 0x6_7_5_3_4_6  # an arbitrary constant naming the feed writers' lock


def serialise_feed_writers(session: Session) -> None:
    """Call before inserting a feed event, in the writing transaction."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FEED_WRITER_LOCK})


def _quarter(text: str) -> str:
    try:
        return str(Quarter.parse(text))
    except ValueError as exc:
        raise RuleViolation(detail=f"quarter: {exc}.", rule="QUARTER",
                            extra={"field": "quarter"}) from None


RECORD_TYPE = "objective"
# The fields an objective's history follows.
_TRACKED = ("title", "description", "quarter", "twenty_percent_time",
            "quality_dashboard_outcome", "status", "completion_note", "drop_reason",
            "reopen_reason", "change_request")


@dataclass(frozen=True)
class _Loaded:
    objective: Objective
    owner: Person
    relations: frozenset[Relation]


def _load(session: Session, actor: Actor, objective_id: int,
          action: ObjectiveAction | None = None, *, lock: bool = False,
          policy_action: Action = Action.read) -> _Loaded:
    """Load an objective the actor may see (strangers are told it does not exist), and
    refuse an `action` no rule gives them (OBJECTIVE_ACTIONS, the same rules that make the
    `allowed_actions` they see). An admin reaches any objective to drop it as an override.
    With `lock`, of two completions sent at once the second finds the objective completed
    and is refused: it never publishes a second HR event."""
    if action is ObjectiveAction.drop and actor.has_role(Role.admin):
        require_scope(actor, Scope.growth)
        objective = session.get(Objective, objective_id, with_for_update=True if lock else None,
                                populate_existing=lock)
        if objective is None:
            raise NotFound(detail=no_such("objective", objective_id))
        owner = people.get_or_404(session, objective.person_id)
        relations = relations_to(session, actor, owner)
    else:
        loaded = load_about_person(session, actor, Objective, objective_id, scope=Scope.growth,
                                   kind=Record.objective, action=policy_action,
                                   what="objective", lock=lock)
        objective, owner, relations = loaded.record, loaded.person, loaded.relations
    if action is not None:
        authorize_action(relations, actor.roles, action.value, OBJECTIVE_ACTIONS)
    return _Loaded(objective, owner, relations)


def actions_now(actor: Actor, relations: frozenset[Relation],
                status: ObjectiveStatus) -> list[str]:
    """What this caller may do to an objective in this status now."""
    return actions_for(relations, actor.roles, [a.value for a in allowed_actions(status)],
                       OBJECTIVE_ACTIONS)


def _twenty_percent_count(session: Session, person_id: int, quarter: str) -> int:
    return session.exec(select(func.count()).select_from(Objective).where(
        Objective.person_id == person_id, Objective.quarter == quarter,
        col(Objective.twenty_percent_time).is_(True),
        Objective.status != ObjectiveStatus.dropped.value)).one()


def _views(session: Session, actor: Actor, relations: frozenset[Relation],
           objectives: list[Objective], *, with_warnings: bool = False) -> list[ObjectiveView]:
    """Objectives of one person, as `actor` (who stands to them as `relations`) sees them."""
    ids = [id_of(o) for o in objectives]
    linked: dict[int, list[int]] = {i: [] for i in ids}
    if ids:
        for objective_id, evidence_id in session.exec(
                select(Evidence.objective_id, Evidence.id)
                .where(col(Evidence.objective_id).in_(ids)).order_by(col(Evidence.id))):
            assert objective_id is not None and evidence_id is not None  # linked, stored
            linked[objective_id].append(evidence_id)
    views = []
    for o in objectives:
        warnings: list[str] = []
        if with_warnings and o.twenty_percent_time:
            warning = twenty_percent_warning(_twenty_percent_count(session, o.person_id,
                                                                   o.quarter), o.quarter)
            warnings = [warning] if warning else []
        views.append(ObjectiveView(o, linked[id_of(o)], warnings,
                                   actions_now(actor, relations, ObjectiveStatus(o.status))))
    return views


def view(session: Session, actor: Actor, objective_id: int) -> ObjectiveView:
    loaded = _load(session, actor, objective_id)
    return _views(session, actor, loaded.relations, [loaded.objective], with_warnings=True)[0]


def list_objectives(session: Session, actor: Actor, *, person_id: int | None,
                    quarter: str | None, status: ObjectiveStatus | None,
                    twenty_percent_time: bool | None, cursor: str | None,
                    limit: int) -> Page[ObjectiveView]:
    """List one person's objectives (the caller's own by default), filtered."""
    require_scope(actor, Scope.growth)
    subject = people.subject_for(session, actor, person_id, record=Record.objective,
                                 action=Action.read)
    stmt = select(Objective).where(Objective.person_id == subject.id)
    if quarter is not None:
        stmt = stmt.where(Objective.quarter == _quarter(quarter))
    if status is not None:
        stmt = stmt.where(Objective.status == status.value)
    if twenty_percent_time is not None:
        stmt = stmt.where(col(Objective.twenty_percent_time).is_(twenty_percent_time))
    page = keyset_page(session, stmt, Objective.id, cursor=cursor, limit=limit)
    # Only the caller's own relations to the owner (self, line manager) and roles decide
    # what they may do, and the owner's record says those.
    return Page(items=_views(session, actor, direct_relations(actor, subject), page.items),
                next_cursor=page.next_cursor)


@dataclass(frozen=True)
class NewObjective:
    title: str
    quarter: str  # YYYY-Qn
    description: str = ""
    twenty_percent_time: bool = True
    quality_dashboard_outcome: str | None = None


@dataclass(frozen=True)
class ObjectiveChanges:
    """What PATCH may change: the wording. Fields left UNSET keep their value."""

    title: str | Unset = UNSET
    description: str | Unset = UNSET
    quarter: str | Unset = UNSET
    twenty_percent_time: bool | Unset = UNSET
    quality_dashboard_outcome: str | None | Unset = UNSET


def create_objective(session: Session, actor: Actor, *, person_id: int | None,
                     values: NewObjective) -> ObjectiveView:
    """Draft an objective: only its owner writes it (the line manager who tries is refused,
    OBJECTIVE_OWNER_WRITES)."""
    require_scope(actor, Scope.growth)
    owner = people.subject_for(session, actor, person_id, record=Record.objective,
                               action=Action.write)
    objective = Objective(person_id=id_of(owner), status=ObjectiveStatus.draft.value,
                          created_by_id=actor.person_id, updated_by_id=actor.person_id,
                          title=values.title,
                          description=values.description, quarter=_quarter(values.quarter),
                          twenty_percent_time=values.twenty_percent_time,
                          quality_dashboard_outcome=values.quality_dashboard_outcome)
    session.add(objective)
    session.flush()
    history.write(session, record_type=RECORD_TYPE, record_id=id_of(objective),
                  actor_id=actor.person_id, action="create",
                  changes=history.created(objective, _TRACKED))
    return _views(session, actor, direct_relations(actor, owner), [objective],
                  with_warnings=True)[0]


def update_objective(session: Session, actor: Actor, objective_id: int, *,
                     changes: ObjectiveChanges, expected_version: int | None) -> ObjectiveView:
    """Change a draft, changes_requested or agreed objective's wording (the owner only). An
    objective the line manager sent back for changes returns to draft."""
    loaded = _load(session, actor, objective_id, ObjectiveAction.edit, lock=True)
    objective = loaded.objective
    if expected_version is not None and objective.version != expected_version:
        raise PreconditionFailed(detail="This objective was changed since you read it; fetch "
                                        "it again and resend with the new ETag.")
    before = history.snapshot(objective, _TRACKED)
    objective.status = transition(ObjectiveStatus(objective.status), ObjectiveAction.edit).value
    sent = given(changes)
    if "quarter" in sent:
        sent["quarter"] = _quarter(sent["quarter"])
    for name, value in sent.items():
        setattr(objective, name, value)
    return _save(session, actor, loaded, "edit", before)


def _save(session: Session, actor: Actor, loaded: _Loaded, action: str,
          before: dict[str, object], *, note: str | None = None) -> ObjectiveView:
    """Store a change by `actor` and its line in the objective's history."""
    objective = loaded.objective
    objective.version += 1
    objective.updated_at = utcnow()
    objective.updated_by_id = actor.person_id
    session.add(objective)
    session.flush()
    history.write(session, record_type=RECORD_TYPE, record_id=id_of(objective),
                  actor_id=actor.person_id, action=action,
                  changes=history.changed(before, objective), note=note)
    return _views(session, actor, loaded.relations, [objective], with_warnings=True)[0]


def agree(session: Session, actor: Actor, objective_id: int) -> ObjectiveView:
    """Agree a draft objective (the owner's line manager)."""
    loaded = _load(session, actor, objective_id, ObjectiveAction.agree, lock=True)
    objective = loaded.objective
    before = history.snapshot(objective, _TRACKED)
    objective.status = transition(ObjectiveStatus(objective.status), ObjectiveAction.agree).value
    objective.agreed_by_id, objective.agreed_at = actor.person_id, utcnow()
    return _save(session, actor, loaded, "agree", before)


def request_changes(session: Session, actor: Actor, objective_id: int, *,
                    note: str) -> ObjectiveView:
    """Send a draft back to its owner with what to change (the owner's line manager):
    draft → changes_requested. The owner's next edit returns it to draft."""
    loaded = _load(session, actor, objective_id, ObjectiveAction.request_changes, lock=True)
    objective = loaded.objective
    before = history.snapshot(objective, _TRACKED)
    objective.status = transition(ObjectiveStatus(objective.status),
                                  ObjectiveAction.request_changes).value
    objective.change_request = note
    return _save(session, actor, loaded, "request_changes", before, note=note)


def complete(session: Session, actor: Actor, objective_id: int, *, note: str | None,
             evidence_ids: list[int]) -> ObjectiveView:
    """Complete an agreed objective (the owner), with a note or evidence; tells HR."""
    loaded = _load(session, actor, objective_id, ObjectiveAction.complete, lock=True)
    objective, owner = loaded.objective, loaded.owner
    before = history.snapshot(objective, _TRACKED)
    status = transition(ObjectiveStatus(objective.status), ObjectiveAction.complete)
    if not (note and note.strip()) and not evidence_ids:
        raise RuleViolation(detail="Completing an objective needs a completion note or at least "
                                   "one piece of evidence.", rule="COMPLETION-EVIDENCE",
                            extra={"field": "note"})
    for evidence in _own_evidence(session, id_of(owner), evidence_ids):
        evidence.objective_id = objective.id
        evidence.version += 1  # its ETag must change with its link
        evidence.updated_by_id = actor.person_id
        session.add(evidence)
    objective.status = status.value
    objective.completion_note = note.strip() if note else None
    objective.completed_at = utcnow()
    _publish(session, objective, owner, HrEventType.objective_completed)
    view = _save(session, actor, loaded, "complete", before, note=objective.completion_note)
    triggers.on_objective_completed(session, objective=objective, owner=owner)
    _mark_quarter_stale(session, objective)
    return view


def _mark_quarter_stale(session: Session, objective: Objective) -> None:
    quarter = Quarter.parse(objective.quarter)
    staleness.mark(session, start=quarter.first_day, end=quarter.last_day)


def _own_evidence(session: Session, owner_id: int, ids: list[int]) -> list[Evidence]:
    if not ids:
        return []
    found = {e.id: e for e in session.exec(select(Evidence).where(
        col(Evidence.id).in_(set(ids)), col(Evidence.person_id) == owner_id,
        col(Evidence.retracted_at).is_(None)))}
    missing = sorted(set(ids) - set(found))
    if missing:
        raise RuleViolation(detail=f"evidence_ids: {missing[0]} is not current evidence of the "
                                   "objective's owner.", rule="COMPLETION-EVIDENCE",
                            extra={"field": "evidence_ids"})
    return list(found.values())


def drop(session: Session, actor: Actor, objective_id: int, *, reason: str,
         override_reason: str | None = None) -> ObjectiveView:
    """Drop a draft, changes_requested or agreed objective, with a reason: its owner, or an
    admin overriding them (a leaver's or a mistaken objective) with `override_reason`, which
    the history and the audit log keep."""
    loaded = _load(session, actor, objective_id, ObjectiveAction.drop, lock=True)
    objective = loaded.objective
    override = Relation.self not in loaded.relations
    if override and not (override_reason and override_reason.strip()):
        raise RuleViolation(detail=OVERRIDE_NEEDS_REASON, rule=OVERRIDE_REASON,
                            extra={"field": "override_reason"})
    before = history.snapshot(objective, _TRACKED)
    objective.status = transition(ObjectiveStatus(objective.status), ObjectiveAction.drop).value
    objective.drop_reason = reason
    if not override:
        return _save(session, actor, loaded, "drop", before, note=reason)
    assert override_reason is not None  # checked above
    audit.record(session, actor=actor, action="objective.override_drop", target_type="objective",
                 target_id=id_of(objective), detail={"person_id": objective.person_id,
                                                     "reason": reason,
                                                     "override_reason": override_reason})
    return _save(session, actor, loaded, "override_drop", before,
                 note=f"Override: {override_reason.strip()}")


def reopen(session: Session, actor: Actor, objective_id: int, *, reason: str) -> ObjectiveView:
    """Reopen a completed objective (the owner's line manager); tells HR."""
    loaded = _load(session, actor, objective_id, ObjectiveAction.reopen, lock=True)
    objective, owner = loaded.objective, loaded.owner
    before = history.snapshot(objective, _TRACKED)
    objective.status = transition(ObjectiveStatus(objective.status), ObjectiveAction.reopen).value
    objective.reopen_reason = reason
    objective.completed_at = None
    _publish(session, objective, owner, HrEventType.objective_reopened)
    triggers.on_objective_reopened(session, objective=objective, reason=reason)
    _mark_quarter_stale(session, objective)
    return _save(session, actor, loaded, "reopen", before, note=reason)


def _publish(session: Session, objective: Objective, owner: Person, kind: HrEventType) -> None:
    """Write the HR feed event in the same transaction as the change it reports."""
    serialise_feed_writers(session)
    session.add(HrEvent(
        event_type=kind.value, occurred_at=utcnow(), objective_id=id_of(objective),
        person_id=id_of(owner), employee_number=owner.employee_number,
        title=objective.title, quarter=objective.quarter,
        twenty_percent_time=objective.twenty_percent_time,
        quality_dashboard_outcome=objective.quality_dashboard_outcome))


def add_check_in(session: Session, actor: Actor, objective_id: int, *, on: date, note: str,
                 progress: int | None) -> CheckIn:
    """Record a dated progress note (owner or line manager, as its author); not on dropped
    objectives."""
    objective = _load(session, actor, objective_id, policy_action=Action.comment).objective
    if objective.status == ObjectiveStatus.dropped.value:
        transition(ObjectiveStatus.dropped, ObjectiveAction.edit)
    assert actor.person_id is not None  # the policy lets only people write check-ins
    check_in = CheckIn(objective_id=objective_id, author_id=actor.person_id,
                       created_by_id=actor.person_id, updated_by_id=actor.person_id, on=on, note=note, progress=progress)
    session.add(check_in)
    session.flush()
    return check_in


def list_check_ins(session: Session, actor: Actor, objective_id: int, *, cursor: str | None,
                   limit: int) -> Page[CheckIn]:
    _load(session, actor, objective_id)
    return keyset_page(session, select(CheckIn).where(CheckIn.objective_id == objective_id),
                       CheckIn.id, cursor=cursor, limit=limit)


def list_history(session: Session, actor: Actor, objective_id: int, *, cursor: str | None,
                 limit: int) -> Page[RecordChange]:
    """An objective's history, oldest first, for whoever may read the objective."""
    _load(session, actor, objective_id)
    return history.list_changes(session, record_type=RECORD_TYPE, record_id=objective_id,
                                cursor=cursor, limit=limit)

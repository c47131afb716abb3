"""Interventions: support offered to a person, and recognition of what went well.

A negative trigger *proposes* support to the person's line manager; it never opens a case and
nothing punitive follows from it. The person agrees to the support or declines it; the line
manager starts it and records it as completed. A positive trigger becomes a recognition,
recorded as completed, for the head of department's update (`app/services/digest.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, or_, select

from app.db.models import Person, id_of
from app.db.support import Intervention, Trigger
from app.db.types import utcnow
from app.domain import evidence as evidence_kinds
from app.domain.errors import Forbidden, NotFound, RuleViolation
from app.domain.access import (SUPPORT_AGREED_BY_ITS_PERSON,
                               SUPPORT_REQUEST_NEEDS_A_LINE_MANAGER,
                               SUPPORT_REQUESTED_BY_ITS_PERSON, SUPPORT_RUN_BY_LINE_MANAGER,
                               Action, Actor, Record, Relation, actions_for, authorize_action,
                               intervention_actions, no_such, require_scope,
                               sees_support_request)
from app.domain.interventions import PAST, InterventionAction, allowed_actions, transition
from app.domain.scopes import Scope
from app.domain.vocabulary import (InterventionKind, InterventionStatus, Metric, PeriodType,
                                   SupportRequestKind, TriggerDirection)
from app.services.org import people
from app.db.models import RecordChange
from app.services.access.relationships import direct_relations
from app.services.kit import history
from app.services.kit.pagination import Page, keyset_page
from app.services.access.records import Loaded, authorize_about, load_about_person

RECORD_TYPE = "intervention"
# The fields an intervention's history follows.
_TRACKED = ("kind", "status", "summary", "notes", "proposed_to_id", "outcome_note",
            "withdrawn_reason")

# The words for a move the caller's relation to the person does not allow.
_REFUSALS = {Action.agree: SUPPORT_AGREED_BY_ITS_PERSON, Action.write: SUPPORT_RUN_BY_LINE_MANAGER}


# --- the trigger engine's two entry points (no access checks: the engine is trusted) --------

_KIND_FOR_METRIC = {
    Metric.training_hours.value: InterventionKind.training_plan,
    Metric.tickets_done.value: InterventionKind.pairing,
    Metric.production_changes.value: InterventionKind.pairing,
    Metric.accomplishments_logged.value: InterventionKind.workload_review,
    Metric.objectives_completed.value: InterventionKind.objective_reset,
}
# The metrics in words: those evidence counts toward are named with its kinds.
_METRIC_WORDS: dict[str, str] = {
    **{metric.value: words for metric, words in evidence_kinds.metric_words().items()},
    Metric.one_to_ones_held.value: "One-to-ones held",
    Metric.objectives_completed.value: "Completed 20%-time objectives",
}
_OFFERS = {
    InterventionKind.training_plan: "a training plan",
    InterventionKind.pairing: "pairing with a colleague",
    InterventionKind.workload_review: "a look at the workload",
    InterventionKind.objective_reset: "a fresh look at the quarter's objectives",
    InterventionKind.coaching: "coaching",
}
_NOT_A_JUDGEMENT = "It is an offer of support, not a judgement, and goes ahead only if agreed."


def support_kind(metric: str | None) -> InterventionKind:
    """The support a missed metric suggests; coaching when nothing more specific fits."""
    return _KIND_FOR_METRIC.get(metric or "", InterventionKind.coaching)


def _run_words(details: dict) -> str:
    """'for 3 weeks running', from the trigger's `periods` (a count or the list of period
    keys) and `period_type`; gentler words when the trigger does not say."""
    periods = details.get("periods")
    count = len(periods) if isinstance(periods, list) else periods
    period = details.get("period_type")
    if period not in {p.value for p in PeriodType}:
        period = "period"
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        return "for a while"
    if count == 1:
        return f"in one {period}"
    return f"for {count} {period}s running"


def support_summary(trigger: Trigger, kind: InterventionKind) -> str:
    """Kind words: what was missed, and the support offered to talk through together."""
    return _summary(trigger.details, kind)


def _summary(details: dict, kind: InterventionKind) -> str:
    metric = details.get("metric")
    if metric:
        words = _METRIC_WORDS.get(metric) or str(metric).replace("_", " ").capitalize()
        what = f"{words} were under target"
    else:
        what = "A target was not met"
    return (f"{what} {_run_words(details)}: {_OFFERS[kind]} is proposed to talk "
            f"through together. {_NOT_A_JUDGEMENT}")


@dataclass(frozen=True)
class Fired:
    """A trigger just recorded, with what acting on it needs."""

    trigger_id: int
    person_id: int
    line_manager_id: int | None
    direction: TriggerDirection
    summary: str
    details: dict


def act_on(session: Session, fired: list[Fired], *, now: datetime) -> None:
    """Propose support for each new negative trigger and record each positive one as a
    recognition, in one statement for them all; a trigger that has its intervention already
    (a concurrent evaluation) is left as it is."""
    if not fired:
        return
    rows = []
    for f in fired:
        negative = f.direction is TriggerDirection.negative
        kind = support_kind(f.details.get("metric")) if negative \
            else InterventionKind.recognition
        rows.append(dict(
            person_id=f.person_id, kind=kind.value, trigger_id=f.trigger_id,
            status=(InterventionStatus.proposed if negative
                    else InterventionStatus.completed).value,
            proposed_to_id=f.line_manager_id if negative else None,
            summary=_summary(f.details, kind) if negative else f.summary, notes="",
            created_by_id=None, agreed_at=None, completed_at=None if negative else now,
            outcome_note=None, withdrawn_at=None, withdrawn_reason=None,
            trigger_withdrawn_at=None, version=1, created_at=now, updated_at=now))
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    made = session.execute(
        insert(Intervention).on_conflict_do_nothing(index_elements=["trigger_id"])
        .returning(col(Intervention.id), col(Intervention.kind), col(Intervention.status),
                   col(Intervention.summary), col(Intervention.proposed_to_id)), rows).all()
    # Their history starts with their proposal by the trigger engine (no actor).
    if made:
        session.execute(insert(RecordChange), [dict(
            record_type=RECORD_TYPE, record_id=row.id, actor_id=None, at=now, action="create",
            note=None, changes={name: {"before": None, "after": value} for name, value in (
                ("kind", row.kind), ("status", row.status), ("summary", row.summary),
                ("proposed_to_id", row.proposed_to_id)) if value is not None})
            for row in made])


def _for_trigger(session: Session, trigger: Trigger, person: Person,
                 direction: TriggerDirection) -> Intervention | None:
    if trigger.direction != direction.value or trigger.person_id != person.id:
        raise ValueError(f"trigger {trigger.id} is not a {direction.value} trigger about "
                         f"person {person.id}")
    if trigger.id is None:
        session.add(trigger)
        session.flush()
    return session.exec(select(Intervention).where(col(Intervention.trigger_id) == trigger.id)
                        .order_by(col(Intervention.id)).limit(1)).first()


def propose_support(session: Session, *, trigger: Trigger, person: Person) -> Intervention:
    """Propose one supportive intervention for a negative trigger to the person's current line
    manager. Idempotent: a trigger proposes support once."""
    return _act_on_one(session, trigger, person, TriggerDirection.negative)


def recognise(session: Session, *, trigger: Trigger, person: Person) -> Intervention:
    """Record a positive trigger as a completed recognition. Idempotent per trigger."""
    return _act_on_one(session, trigger, person, TriggerDirection.positive)


def _act_on_one(session: Session, trigger: Trigger, person: Person,
                direction: TriggerDirection) -> Intervention:
    existing = _for_trigger(session, trigger, person, direction)
    if existing is not None:
        return existing
    act_on(session, [Fired(id_of(trigger), id_of(person), person.line_manager_id, direction,
                           trigger.summary, trigger.details)], now=trigger.fired_at)
    made = _for_trigger(session, trigger, person, direction)
    assert made is not None  # act_on inserted it, or a concurrent call did
    return made


def on_trigger_withdrawn(session: Session, *, trigger: Trigger, reason: str,
                         now: datetime) -> None:
    """The trigger's facts changed: withdraw the support nobody has acted on yet and the
    recognition it gave; support already agreed or under way goes on, marked so the line
    manager sees that the reason behind it changed."""
    for intervention in session.exec(select(Intervention).where(
            Intervention.trigger_id == trigger.id)):
        before = history.snapshot(intervention, _TRACKED)
        status = InterventionStatus(intervention.status)
        if status is InterventionStatus.proposed or (
                intervention.kind == InterventionKind.recognition.value
                and status is InterventionStatus.completed):
            intervention.status = InterventionStatus.withdrawn.value
            intervention.withdrawn_at, intervention.withdrawn_reason = now, reason
        elif status in (InterventionStatus.agreed, InterventionStatus.in_progress):
            intervention.trigger_withdrawn_at = now
            line = (f"{now.date().isoformat()}, the trigger behind this support was withdrawn "
                    f"({reason}); it goes on unless you and the person decide otherwise.")
            intervention.notes = f"{intervention.notes}\n{line}" if intervention.notes else line
        else:
            continue  # completed or declined: history stays as it was
        history.write(session, record_type=RECORD_TYPE, record_id=id_of(intervention),
                      actor_id=None, action="trigger_withdrawn",
                      changes=history.changed(before, intervention), note=reason, at=now)
        intervention.updated_by_id = None
        intervention.version += 1
        intervention.updated_at = now
        session.add(intervention)


def on_trigger_reinstated(session: Session, *, trigger: Trigger, person: Person) -> None:
    """The same facts hold again: what was withdrawn with the trigger comes back."""
    now = utcnow()
    for intervention in session.exec(select(Intervention).where(
            Intervention.trigger_id == trigger.id)):
        before = history.snapshot(intervention, _TRACKED)
        if intervention.status == InterventionStatus.withdrawn.value:
            recognition = intervention.kind == InterventionKind.recognition.value
            intervention.status = (InterventionStatus.completed if recognition
                                   else InterventionStatus.proposed).value
            intervention.withdrawn_at, intervention.withdrawn_reason = None, None
            if not recognition:
                intervention.proposed_to_id = person.line_manager_id
        intervention.trigger_withdrawn_at = None
        history.write(session, record_type=RECORD_TYPE, record_id=id_of(intervention),
                      actor_id=None, action="trigger_reinstated",
                      changes=history.changed(before, intervention), at=now)
        intervention.updated_by_id = None
        intervention.version += 1
        intervention.updated_at = now
        session.add(intervention)


# --- the API's use cases ---------------------------------------------------------------------


@dataclass(frozen=True)
class InterventionView:
    intervention: Intervention
    allowed_actions: list[str]


def _view(actor: Actor, relations: frozenset[Relation],
          intervention: Intervention) -> InterventionView:
    """An intervention with the actions this actor may take on it now."""
    return InterventionView(intervention, actions_for(
        relations, actor.roles, allowed_actions(InterventionStatus(intervention.status),
                                                InterventionKind(intervention.kind)),
        intervention_actions(requested=intervention.requested_by_id is not None)))


def _authorize(session: Session, actor: Actor, person: Person,
               action: Action) -> frozenset[Relation]:
    """Let the actor do `action` to a person's interventions (reading, proposing); returns
    how the actor stands to the person."""
    return authorize_about(session, actor, person, kind=Record.intervention, action=action,
                    what="person", missing=no_such("person", person.id),
                    refusal=_REFUSALS.get(action))


def _load(session: Session, actor: Actor, intervention_id: int,
          action: Action, *, lock: bool = False) -> Loaded[Intervention]:
    """Load an intervention the actor may act on; anyone else is refused (403, naming the
    rule). With `lock`, of an agree and a decline sent at once the second finds the first's
    status
    and is refused or applied on top of it: never lost. A refusal to act on support is in
    the words of support (the policy's own words for reading, e.g. to team leads)."""
    try:
        loaded = load_about_person(
            session, actor, Intervention, intervention_id, scope=Scope.interventions,
            kind=Record.intervention, action=action, what="intervention", lock=lock,
            refusal=_REFUSALS.get(action))
    except Forbidden:
        # Support a person asked for in private is a record whose very existence is theirs
        # and their line manager's: to anyone else it does not exist (404, not 403).
        row = session.get(Intervention, intervention_id)
        if row is not None and row.requested_by_id is not None and not row.shared:
            raise NotFound(detail=no_such("intervention", intervention_id)) from None
        raise
    return _private_to_the_two(loaded)


def _private_to_the_two(loaded: Loaded[Intervention]) -> Loaded[Intervention]:
    """Support a person asked for and has not shared does not exist for anyone but them and
    their line manager."""
    record = loaded.record
    if record.requested_by_id is not None and not sees_support_request(
            loaded.relations, shared=record.shared):
        raise NotFound(detail=no_such("intervention", record.id))
    return loaded


def view(session: Session, actor: Actor, intervention_id: int) -> InterventionView:
    loaded = _load(session, actor, intervention_id, Action.read)
    return _view(actor, loaded.relations, loaded.record)


def list_interventions(session: Session, actor: Actor, *, person_id: int | None,
                       status: InterventionStatus | None, kind: InterventionKind | None,
                       cursor: str | None, limit: int) -> Page[InterventionView]:
    """List one person's interventions (the caller's own by default), filtered."""
    require_scope(actor, Scope.interventions)
    subject_id = person_id if person_id is not None else actor.person_id
    if subject_id is None:
        raise RuleViolation(detail="person_id: say whose interventions to list.",
                            rule="PERSON-REQUIRED", extra={"field": "person_id"})
    subject = people.get_or_404(session, subject_id)
    relations = _authorize(session, actor, subject, Action.read)
    stmt = select(Intervention).where(Intervention.person_id == subject_id)
    if not sees_support_request(relations, shared=False):
        stmt = stmt.where(or_(col(Intervention.requested_by_id).is_(None),
                              col(Intervention.shared)))
    if status is not None:
        stmt = stmt.where(Intervention.status == status.value)
    if kind is not None:
        stmt = stmt.where(Intervention.kind == kind.value)
    page = keyset_page(session, stmt, Intervention.id, cursor=cursor, limit=limit)
    relations = direct_relations(actor, subject)  # all that the actions' rules name
    return Page(items=[_view(actor, relations, i) for i in page.items],
                next_cursor=page.next_cursor)


def create_intervention(session: Session, actor: Actor, *, person_id: int,
                        kind: InterventionKind, summary: str, notes: str) -> InterventionView:
    """Propose support for a report, or recognise them (the person's line manager). Support
    starts as `proposed` for the person to agree to or decline; a recognition is recorded as
    completed."""
    require_scope(actor, Scope.interventions)
    person = people.get_or_404(session, person_id)
    _authorize(session, actor, person, Action.write)
    recognition = kind is InterventionKind.recognition
    now = utcnow()
    intervention = Intervention(
        person_id=person_id, kind=kind.value, summary=summary, notes=notes,
        status=(InterventionStatus.completed if recognition else InterventionStatus.proposed).value,
        proposed_to_id=None if recognition else actor.person_id, created_by_id=actor.person_id,
        updated_by_id=actor.person_id, completed_at=now if recognition else None,
        created_at=now, updated_at=now)
    session.add(intervention)
    session.flush()
    history.write(session, record_type=RECORD_TYPE, record_id=id_of(intervention),
                  actor_id=actor.person_id, action="create",
                  changes=history.created(intervention, _TRACKED))
    return _view(actor, direct_relations(actor, person), intervention)


@dataclass(frozen=True)
class NewSupportRequest:
    """Support a person asks for themselves, in their own words."""

    kind: SupportRequestKind
    words: str
    shared: bool = False


def request_support(session: Session, actor: Actor, request: NewSupportRequest) -> InterventionView:
    """Ask for support (the person themselves): proposed to their line manager from the
    person, who is recorded as having asked. It is for the two of them only unless the
    person shares it, and never counts as support tried before a formal case."""
    require_scope(actor, Scope.interventions)
    if actor.person_id is None:
        raise Forbidden(detail=SUPPORT_REQUESTED_BY_ITS_PERSON)
    person = people.get_or_404(session, actor.person_id)
    if person.line_manager_id is None:
        raise RuleViolation(detail=SUPPORT_REQUEST_NEEDS_A_LINE_MANAGER,
                            rule="SUPPORT-REQUEST-LINE-MANAGER")
    now = utcnow()
    intervention = Intervention(
        person_id=actor.person_id, kind=request.kind.value, summary=request.words, notes="",
        status=InterventionStatus.proposed.value, proposed_to_id=person.line_manager_id,
        created_by_id=actor.person_id, requested_by_id=actor.person_id, shared=request.shared,
        created_at=now, updated_at=now)
    session.add(intervention)
    session.flush()
    history.write(session, record_type=RECORD_TYPE, record_id=id_of(intervention),
                  actor_id=actor.person_id, action="request",
                  changes=history.created(intervention, _TRACKED))
    return _view(actor, frozenset({Relation.self}), intervention)


def set_sharing(session: Session, actor: Actor, intervention_id: int, *,
                shared: bool) -> InterventionView:
    """Share support you asked for with those who read your interventions (your management
    chain, coach and buddy), or make it private to you and your line manager again."""
    loaded = _load(session, actor, intervention_id, Action.read, lock=True)
    intervention = loaded.record
    if intervention.requested_by_id is None:
        raise NotFound(detail=no_such("support request", intervention_id))
    if intervention.requested_by_id != actor.person_id:
        raise Forbidden(detail=SUPPORT_REQUESTED_BY_ITS_PERSON)
    if intervention.shared != shared:
        intervention.shared = shared
        intervention.version += 1
        intervention.updated_at = utcnow()
        session.add(intervention)
        session.flush()
    return _view(actor, loaded.relations, intervention)


def _move(session: Session, actor: Actor, intervention_id: int, action: InterventionAction,
          *, note: str | None = None) -> InterventionView:
    loaded = _load(session, actor, intervention_id, Action.read, lock=True)
    intervention = loaded.record
    authorize_action(loaded.relations, actor.roles, action.value,
                     intervention_actions(requested=intervention.requested_by_id is not None))
    before = history.snapshot(intervention, _TRACKED)
    status = transition(InterventionStatus(intervention.status),
                        InterventionKind(intervention.kind), action)
    now = utcnow()
    intervention.status = status.value
    if status is InterventionStatus.agreed:
        intervention.agreed_at = now
    if status is InterventionStatus.completed:
        intervention.completed_at = now
        intervention.outcome_note = note or None
    if note:
        line = f"{now.date().isoformat()}, {PAST[action]}: {note}"
        intervention.notes = f"{intervention.notes}\n{line}" if intervention.notes else line
    intervention.version += 1
    intervention.updated_by_id = actor.person_id
    intervention.updated_at = now
    session.add(intervention)
    session.flush()
    history.write(session, record_type=RECORD_TYPE, record_id=id_of(intervention),
                  actor_id=actor.person_id, action=action.value,
                  changes=history.changed(before, intervention), note=note)
    return _view(actor, loaded.relations, intervention)


def agree(session: Session, actor: Actor, intervention_id: int) -> InterventionView:
    """Agree to proposed support (the person it is for): proposed → agreed."""
    return _move(session, actor, intervention_id, InterventionAction.agree)


def decline(session: Session, actor: Actor, intervention_id: int, *,
            reason: str) -> InterventionView:
    """Decline proposed or agreed support, with a reason (the person it is for)."""
    return _move(session, actor, intervention_id, InterventionAction.decline, note=reason)


def start(session: Session, actor: Actor, intervention_id: int) -> InterventionView:
    """Start agreed support (the person's line manager): agreed → in_progress."""
    return _move(session, actor, intervention_id, InterventionAction.start)


def complete(session: Session, actor: Actor, intervention_id: int, *,
             note: str | None) -> InterventionView:
    """Record support as completed, with its outcome (the line manager). Support completed
    without an outcome note does not count as evidence that support was tried."""
    return _move(session, actor, intervention_id, InterventionAction.complete,
                 note=note.strip() if note else None)


def list_history(session: Session, actor: Actor, intervention_id: int, *, cursor: str | None,
                 limit: int) -> Page[RecordChange]:
    """An intervention's history, oldest first, for whoever may read the intervention."""
    _load(session, actor, intervention_id, Action.read)
    return history.list_changes(session, record_type=RECORD_TYPE, record_id=intervention_id,
                                cursor=cursor, limit=limit)

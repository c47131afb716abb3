"""Checklists: situational, per person and period, ticking themselves from the data.

Facts are gathered with one IN query per kind of fact a checklist's rules need, so the number
of statements does not grow with the number of reports.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.db.growth import CheckIn, Evidence, Objective, OneToOne
from app.db.models import Person, id_column, id_of
from app.db.oversight import ChecklistTemplate, ChecklistTick, DigestView
from app.db.support import Intervention
from app.db.types import utcnow
from app.domain import checklists as rules
from app.domain.checklists import (ChecklistPeriod, ChecklistPeriodType, Fact, Facts, ItemState,
                                   ObjectiveFact, Situation, Subject)
from app.domain.errors import Conflict, FieldProblem, InvalidInput, NotFound, RuleViolation
from app.domain.access import (ONLY_PEOPLE_HAVE_CHECKLISTS, Action, Actor, Record, authorize,
                               require_scope)
from app.domain.scopes import Scope
from app.domain.vocabulary import (SUPPORTIVE_KINDS, EvidenceKind, InterventionStatus,
                                   OneToOneStatus, PersonKind)
from app.services.org import people
from app.services.kit.pagination import Page, keyset_page
from app.services.access.relationships import relations_to


@dataclass(frozen=True)
class ChecklistView:
    situation: str
    title: str
    period: ChecklistPeriod
    template_version: int
    items: list[ItemState]


@dataclass
class _Context:
    """What is read once per request and shared by every checklist of the person."""

    subject: Subject
    today: date
    reports: tuple[int, ...]
    apprentices: tuple[int, ...]
    seniors: dict[int, tuple[int, ...]] | None = None  # read when first needed


def _today() -> date:
    return utcnow().date()


def _subject(person: Person) -> Subject:
    return Subject(id=id_of(person), band=person.band, roles=frozenset(person.roles or []),
                   kind=person.kind, created_on=person.created_at.astimezone(UTC).date(),
                   jira_account_id=person.jira_account_id, github_login=person.github_login)


def _context(session: Session, person: Person) -> _Context:
    rows = session.exec(select(id_column(Person.id), Person.line_manager_id, Person.buddy_id,
                               Person.kind)
                        .where(col(Person.active).is_(True))
                        .where((Person.line_manager_id == person.id)
                               | ((Person.buddy_id == person.id)
                                  & (Person.kind == PersonKind.apprentice.value)))
                        .order_by(col(Person.id))).all()
    reports = tuple(r[0] for r in rows if r[1] == person.id)
    apprentices = tuple(r[0] for r in rows if r[2] == person.id and rules.is_apprentice(r[3]))
    return _Context(_subject(person), _today(), reports, apprentices)


def _seniors(session: Session, ctx: _Context) -> dict[int, tuple[int, ...]]:
    if ctx.seniors is None:
        found: dict[int, list[int]] = defaultdict(list)
        if ctx.reports:
            for person_id, manager_id in session.exec(
                    select(id_column(Person.id), Person.line_manager_id)
                    .where(col(Person.line_manager_id).in_(ctx.reports),
                           col(Person.active).is_(True)).order_by(col(Person.id))):
                assert manager_id is not None  # one of the reports, as selected
                found[manager_id].append(person_id)
        ctx.seniors = {k: tuple(v) for k, v in found.items()}
    return ctx.seniors


def _day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return (datetime.combine(start, time.min, tzinfo=UTC),
            datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC))


def _gather(session: Session, ctx: _Context, period: ChecklistPeriod,
            needs: frozenset[Fact]) -> Facts:
    """Read the facts the rules need: one query per kind of fact, for everyone at once."""
    seniors = _seniors(session, ctx) if Fact.seniors in needs else {}
    who = sorted({ctx.subject.id, *ctx.reports, *ctx.apprentices,
                  *(p for ps in seniors.values() for p in ps)})
    once = period.type is ChecklistPeriodType.once
    facts: dict[str, Any] = {}

    def dated(column: Any) -> list[Any]:
        return [] if once else [column >= period.start, column <= period.end]

    if Fact.accomplishments in needs:
        facts["accomplishments"] = dict(session.exec(
            select(Evidence.person_id, func.count()).where(
                col(Evidence.person_id).in_(who), Evidence.kind == EvidenceKind.accomplishment,
                col(Evidence.retracted_at).is_(None), *dated(Evidence.occurred_on))
            .group_by(col(Evidence.person_id))).all())
    if Fact.training_hours in needs:
        facts["training_hours"] = {p: Decimal(h or 0) for p, h in session.exec(
            select(Evidence.person_id, func.sum(Evidence.hours)).where(
                col(Evidence.person_id).in_(who), Evidence.kind == EvidenceKind.training,
                col(Evidence.retracted_at).is_(None), *dated(Evidence.occurred_on))
            .group_by(col(Evidence.person_id)))}
    if Fact.one_to_ones in needs:
        held: dict[int, list[date]] = defaultdict(list)
        for person_id, on in session.exec(select(col(OneToOne.person_id), col(OneToOne.on)).where(
                col(OneToOne.person_id).in_(who), OneToOne.status == OneToOneStatus.held,
                *dated(OneToOne.on))):
            held[person_id].append(on)
        facts["one_to_ones"] = {k: tuple(v) for k, v in held.items()}
    if Fact.check_ins in needs:
        facts["check_ins"] = dict(session.exec(
            select(Objective.person_id, func.count()).select_from(CheckIn).join(
                Objective, col(Objective.id) == col(CheckIn.objective_id)).where(
                col(Objective.person_id).in_(who), col(Objective.twenty_percent_time).is_(True),
                *dated(CheckIn.on))
            .group_by(col(Objective.person_id))).all())
    if Fact.objectives in needs:
        stmt = select(Objective.person_id, Objective.status, Objective.twenty_percent_time).where(
            col(Objective.person_id).in_(who))
        if not once:
            stmt = stmt.where(col(Objective.quarter).in_(rules.quarters_overlapping(period)))
        found: dict[int, list[ObjectiveFact]] = defaultdict(list)
        for person_id, status, twenty in session.exec(stmt.order_by(col(Objective.id))):
            found[person_id].append(ObjectiveFact(status, twenty))
        facts["objectives"] = {k: tuple(v) for k, v in found.items()}
    if Fact.proposals in needs:
        waiting: dict[int, list[date]] = defaultdict(list)
        for person_id, created in session.exec(
                select(Intervention.person_id, Intervention.created_at).where(
                    col(Intervention.person_id).in_(who),
                    Intervention.status == InterventionStatus.proposed,
                    col(Intervention.kind).in_([k.value for k in SUPPORTIVE_KINDS]))):
            waiting[person_id].append(created.astimezone(UTC).date())
        facts["proposals"] = {k: tuple(v) for k, v in waiting.items()}
    if Fact.digest_views in needs:
        start, end = _day_bounds(period.start, period.end)
        views = select(DigestView.person_id, func.count()).where(
            col(DigestView.person_id).in_(who))
        if not once:
            views = views.where(DigestView.viewed_at >= start, DigestView.viewed_at < end)
        facts["digest_views"] = dict(session.exec(
            views.group_by(col(DigestView.person_id))).all())
    return Facts(subject=ctx.subject, period=period, as_of=min(ctx.today, period.end),
                 reports=ctx.reports, apprentices=ctx.apprentices, seniors=seniors, **facts)


# --- reading checklists --------------------------------------------------------------------


def _by_situation(session: Session) -> dict[str, list[ChecklistTemplate]]:
    grouped: dict[str, list[ChecklistTemplate]] = defaultdict(list)
    for template in session.exec(select(ChecklistTemplate).order_by(
            col(ChecklistTemplate.situation), col(ChecklistTemplate.version))):
        grouped[template.situation].append(template)
    return grouped


def _bad_key(exc: ValueError) -> InvalidInput:
    return InvalidInput(detail=f"period_key: {exc}.", problems=[FieldProblem("period_key",
                                                                             str(exc))])


def _resolve(ctx: _Context, versions: list[ChecklistTemplate],
             key: str | None) -> tuple[ChecklistTemplate, ChecklistPeriod] | None:
    """The period a key names for this situation, and the template version in force for it."""
    period_type = ChecklistPeriodType(versions[-1].period_type)
    try:
        period = rules.resolve_period(period_type, key, today=ctx.today,
                                      joined_on=ctx.subject.created_on)
        template = rules.in_force(versions, period.start)
        if template is not None and template.period_type != period_type:
            # An older version with another rhythm is in force: read the period its way.
            period = rules.resolve_period(ChecklistPeriodType(template.period_type), key,
                                          today=ctx.today, joined_on=ctx.subject.created_on)
            template = rules.in_force(versions, period.start)
    except ValueError as exc:
        raise _bad_key(exc) from None
    return (template, period) if template is not None else None


def _view(session: Session, ctx: _Context, template: ChecklistTemplate, period: ChecklistPeriod,
          ticks: dict[tuple[str, str, str], bool]) -> ChecklistView:
    names = [i["auto"] for i in template.items if i.get("auto")]
    facts = _gather(session, ctx, period, rules.needs_of(names))
    mine = {item: done for (situation, key, item), done in ticks.items()
            if situation == template.situation and key == period.key}
    return ChecklistView(template.situation, template.title, period, template.version,
                         [rules.item_state(i, facts, mine) for i in template.items])


def _ticks(session: Session, person_id: int,
           keys: set[str]) -> dict[tuple[str, str, str], bool]:
    if not keys:
        return {}
    return {(t.situation, t.period_key, t.item_key): t.done for t in session.exec(
        select(ChecklistTick).where(ChecklistTick.person_id == person_id,
                                    col(ChecklistTick.period_key).in_(sorted(keys))))}


def list_checklists(session: Session, actor: Actor, *, person_id: int | None,
                    period_type: ChecklistPeriodType | None,
                    period_key: str | None) -> tuple[Person, list[ChecklistView]]:
    """A person's checklists (the caller's by default) for the current periods, or for the
    period a key names (only checklists of that rhythm, then)."""
    require_scope(actor, Scope.growth)
    subject_id = person_id if person_id is not None else actor.person_id
    if subject_id is None:
        raise RuleViolation(detail="person_id: say whose checklists these are (a service "
                                   "account has none of its own).", rule="PERSON-REQUIRED",
                            extra={"field": "person_id"})
    person = people.get_or_404(session, subject_id)
    authorize(actor, Record.checklist, Action.read, relations_to(session, actor, person),
              what="person")
    if period_key is not None:
        try:
            keyed = rules.period_type_of_key(period_key)
        except ValueError as exc:
            raise _bad_key(exc) from None
        if period_type is not None and period_type is not keyed:
            raise InvalidInput(detail=f"period_key: {period_key!r} is not a {period_type} key.",
                               problems=[FieldProblem("period_key", "Does not match "
                                                                    "period_type.")])
        period_type = keyed
    ctx = _context(session, person)
    situations = rules.applicable_situations(
        ctx.subject, has_reports=bool(ctx.reports), buddies_apprentice=bool(ctx.apprentices),
        today=ctx.today)
    templates = _by_situation(session)
    chosen: list[tuple[ChecklistTemplate, ChecklistPeriod]] = []
    for situation in situations:
        versions = templates.get(situation.value)
        if not versions:
            continue
        if period_type is not None and all(v.period_type != period_type for v in versions):
            continue
        resolved = _resolve(ctx, versions, period_key)
        if resolved is not None and (period_type is None or resolved[1].type is period_type):
            chosen.append(resolved)
    ticks = _ticks(session, id_of(person), {p.key for _, p in chosen})
    return person, [_view(session, ctx, t, p, ticks) for t, p in chosen]


def tick(session: Session, actor: Actor, *, situation: str, item_key: str,
         period_key: str | None, done: bool) -> ChecklistView:
    """Tick (or untick) a manual item of one of the caller's own checklists."""
    require_scope(actor, Scope.growth)
    if actor.person_id is None:
        raise NotFound(detail=ONLY_PEOPLE_HAVE_CHECKLISTS)
    person = people.get_or_404(session, actor.person_id)
    authorize(actor, Record.checklist, Action.write, relations_to(session, actor, person),
              what="person")
    ctx = _context(session, person)
    applicable = {s.value for s in rules.applicable_situations(
        ctx.subject, has_reports=bool(ctx.reports), buddies_apprentice=bool(ctx.apprentices),
        today=ctx.today)}
    versions = _by_situation(session).get(situation)
    resolved = _resolve(ctx, versions, period_key) if versions and situation in applicable \
        else None
    if resolved is None:
        raise NotFound(detail=f"You have no '{situation}' checklist for that period.")
    template, period = resolved
    item = next((i for i in template.items if i["key"] == item_key), None)
    if item is None:
        raise NotFound(detail=f"The '{situation}' checklist has no item '{item_key}'.")
    if item.get("auto"):
        raise Conflict(detail="This item ticks itself from what is recorded in GPS (and unticks "
                              "if that is undone), so it cannot be ticked by hand.",
                       extra={"rule": item["auto"]})
    existing = session.exec(select(ChecklistTick).where(
        ChecklistTick.person_id == person.id, ChecklistTick.situation == situation,
        ChecklistTick.period_key == period.key, ChecklistTick.item_key == item_key)).first()
    record = existing or ChecklistTick(person_id=id_of(person), situation=situation,
                                       period_key=period.key, item_key=item_key, done=done)
    record.done, record.ticked_by_id, record.ticked_at = done, actor.person_id, utcnow()
    session.add(record)
    session.flush()
    ticks = _ticks(session, id_of(person), {period.key})
    return _view(session, ctx, template, period, ticks)


# --- templates -----------------------------------------------------------------------------


def list_templates(session: Session, actor: Actor, *, situation: str | None,
                   cursor: str | None, limit: int) -> Page[ChecklistTemplate]:
    """Every version of every checklist template (any signed-in person)."""
    require_scope(actor, Scope.growth)
    stmt = select(ChecklistTemplate)
    if situation is not None:
        stmt = stmt.where(ChecklistTemplate.situation == situation)
    return keyset_page(session, stmt, ChecklistTemplate.id, cursor=cursor, limit=limit)


def create_template(session: Session, actor: Actor, *, situation: str, title: str,
                    period_type: ChecklistPeriodType, effective_from: date,
                    items: list[dict[str, Any]]) -> ChecklistTemplate:
    """Add a new version of a situation's checklist (admins): the version in force for a
    period is the latest whose effective_from is on or before the period's first day."""
    require_scope(actor, Scope.policy_write)
    if situation not in {s.value for s in Situation}:
        raise RuleViolation(detail=f"situation: GPS knows when these apply: "
                                   f"{', '.join(s.value for s in Situation)}.",
                            rule="CHECKLIST-SITUATION", extra={"field": "situation"})
    keys = [i["key"] for i in items]
    if len(set(keys)) != len(keys):
        raise RuleViolation(detail="items: each item needs its own key.",
                            rule="CHECKLIST-ITEM-KEY", extra={"field": "items"})
    unknown = rules.unknown_rules(items)
    if unknown:
        raise RuleViolation(detail=f"items: {unknown[0]!r} is not an auto-tick rule GPS knows; "
                                   f"use one of {', '.join(sorted(rules.RULES))}, or null for "
                                   "an item ticked by hand.", rule="CHECKLIST-RULE",
                            extra={"field": "items", "known_rules": sorted(rules.RULES)})
    latest = session.exec(select(func.max(ChecklistTemplate.version)).where(
        ChecklistTemplate.situation == situation)).one()
    template = ChecklistTemplate(situation=situation, title=title,
                                 period_type=period_type.value, version=(latest or 0) + 1,
                                 effective_from=effective_from,
                                 items=[{"key": i["key"], "text": i["text"],
                                         "auto": i.get("auto")} for i in items],
                                 created_by_id=actor.person_id)
    session.add(template)
    session.flush()
    return template

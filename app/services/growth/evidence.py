"""Evidence: dated records about a person, written by hand or arriving from Jira and GitHub."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from app.db.models import Evidence, Objective, id_of
from app.db.types import utcnow
from app.domain.employment import Span, day_outside
from app.domain.errors import (Conflict, FieldProblem, InvalidInput, PreconditionFailed,
                               RuleViolation)
from app.domain.access import Action, Actor, Record, require_scope
from app.domain.scopes import Scope
from app.domain.evidence import INTEGRATION_KINDS, KINDS, SOURCE_NAMES, KindRules, kinds_with
from app.domain.vocabulary import EvidenceKind, EvidenceSource
from app.services.kit import staleness
from app.services.org import people
from app.services.support import triggers
from app.services.kit.working_calendar import department_today
from app.services.kit.pagination import Page, keyset_page
from app.services.kit.patches import UNSET, Unset, given, merge
from app.services.access.records import load_about_person

MAX_TRAINING_HOURS = Decimal(24)  # per record: one day's training at most
_HUNDREDTHS = Decimal("0.01")


@dataclass(frozen=True)
class _Broken:
    field: str
    message: str
    rule: str


def _check(session: Session, *, person_id: int, kind: EvidenceKind, source: EvidenceSource,
           hours: Decimal | None, topic: str | None, objective_id: int | None,
           occurred_on: date | None = None) -> None:
    """Refuse evidence that breaks the rules of its kind, naming every field at fault; evidence
    recorded by hand falls inside the person's employment and has happened."""
    broken: list[_Broken] = []
    if source is EvidenceSource.manual and occurred_on is not None:
        person = people.get_or_404(session, person_id)
        outside = day_outside(occurred_on, Span(person.started_on, person.left_on),
                              today=department_today(), what="The evidence")
        if outside:
            broken.append(_Broken("occurred_on", outside, "EVIDENCE-DATE"))
    rules = KINDS[kind]
    if kind in INTEGRATION_KINDS and source is EvidenceSource.manual:
        broken.append(_Broken(
            "kind", f"`{kind.value}` evidence arrives only from the "
                    f"{SOURCE_NAMES[rules.source]} integration (Jira and GitHub send delivery "
                    "evidence by themselves); it cannot be recorded by hand.",
                    "EVIDENCE-FROM-INTEGRATION"))
    broken += _missing_fields(kind, rules, hours=hours, topic=topic)
    if objective_id is not None:
        objective = session.get(Objective, objective_id)
        if objective is None or objective.person_id != person_id:
            # The same answer whether the objective is someone else's or does not exist.
            broken.append(_Broken("objective_id", f"No objective {objective_id} of this person; "
                                                  "evidence links only to the person's own "
                                                  "objectives.", "EVIDENCE-OBJECTIVE-OWNER"))
    if broken:
        raise RuleViolation(detail=" ".join(f"{b.field}: {b.message}" for b in broken),
                            rule=broken[0].rule, extra={"field": broken[0].field},
                            problems=[FieldProblem(b.field, b.message) for b in broken])


# What a kind that must carry a field needs, in words.
_NEEDS = {"hours": "the hours it took (more than 0, at most 24)", "topic": "a topic"}


def _missing_fields(kind: EvidenceKind, rules: KindRules, *, hours: Decimal | None,
                    topic: str | None) -> list[_Broken]:
    """What evidence of this kind must carry and lacks, and what only other kinds carry."""
    broken: list[_Broken] = []
    rule = f"EVIDENCE-{kind.value.upper().replace('_', '-')}"
    given = {"hours": hours, "topic": topic}
    for name in rules.required:
        if given[name] is None or given[name] == "":
            broken.append(_Broken(name, f"{rules.label} needs {_NEEDS[name]}.",
                                  f"{rule}-{name.upper()}"))
        elif name == "hours" and hours is not None and (
                not Decimal(0) < hours <= MAX_TRAINING_HOURS
                or hours != hours.quantize(_HUNDREDTHS)):
            broken.append(_Broken("hours", f"{rules.label} hours are more than 0 and at most 24 "
                                           "per record, to two decimal places.",
                                  f"{rule}-HOURS"))
    if hours is not None and "hours" not in rules.required:
        having = " or ".join(k.value for k in kinds_with("hours"))
        broken.append(_Broken("hours", f"Only {having} evidence has hours; leave `hours` out "
                                       f"for `{kind.value}`.", "EVIDENCE-HOURS-TRAINING-ONLY"))
    return broken


def add_evidence(session: Session, *, person_id: int, kind: EvidenceKind,
                 source: EvidenceSource, occurred_on: date, title: str, description: str = "",
                 hours: Decimal | None = None, topic: str | None = None,
                 objective_id: int | None = None, external_id: str | None = None,
                 details: dict[str, Any] | None = None,
                 created_by_id: int | None = None) -> Evidence:
    """Record evidence in the caller's transaction, applying the rules of its kind.

    Checks no access: callers (the API through `record_evidence`, the Jira and GitHub
    integrations) decide who may record it.
    """
    _check(session, person_id=person_id, kind=kind, source=source, hours=hours, topic=topic,
           objective_id=objective_id, occurred_on=occurred_on)
    evidence = Evidence(person_id=person_id, kind=kind.value, source=source.value,
                        occurred_on=occurred_on, title=title, description=description,
                        hours=hours, topic=topic, objective_id=objective_id,
                        external_id=external_id, details=details or {},
                        created_by_id=created_by_id, updated_by_id=created_by_id)
    session.add(evidence)
    session.flush()
    return evidence


def record_evidence(session: Session, actor: Actor, *, person_id: int | None,
                    kind: EvidenceKind, occurred_on: date, title: str, description: str,
                    hours: Decimal | None, topic: str | None,
                    objective_id: int | None) -> Evidence:
    """Record evidence by hand: only the person it is about writes it."""
    require_scope(actor, Scope.growth)
    subject = people.subject_for(session, actor, person_id, record=Record.evidence,
                                 action=Action.write)
    evidence = add_evidence(session, person_id=id_of(subject), kind=kind,
                            source=EvidenceSource.manual, occurred_on=occurred_on, title=title,
                            description=description, hours=hours, topic=topic,
                            objective_id=objective_id, created_by_id=actor.person_id)
    if kind is EvidenceKind.qualification:
        triggers.on_qualification(session, evidence=evidence, person=subject)
    staleness.mark(session, start=occurred_on)
    return evidence


def _load(session: Session, actor: Actor, evidence_id: int, action: Action) -> Evidence:
    """The evidence, if the actor may do `action` to it: 403 naming the rule to whoever may
    not read it or may read it but not do this (its existence is not protected)."""
    return load_about_person(session, actor, Evidence, evidence_id, scope=Scope.growth,
                             kind=Record.evidence, action=action, what="evidence").record


def get_visible(session: Session, actor: Actor, evidence_id: int) -> Evidence:
    """Return one piece of evidence the actor may read, or refuse (see `_load`)."""
    return _load(session, actor, evidence_id, Action.read)


def _writable(session: Session, actor: Actor, evidence_id: int) -> Evidence:
    """The evidence, if the actor may change it: 403 (naming the rule) to anyone else, 409
    for integration evidence."""
    evidence = _load(session, actor, evidence_id, Action.write)
    if evidence.source != EvidenceSource.manual:
        source = SOURCE_NAMES.get(EvidenceSource(evidence.source), evidence.source)
        raise Conflict(detail=f"This evidence came from {source}; it is immutable through the "
                              f"API and changes only when {source} says so (a ticket moved out "
                              "of Done, for example, retracts it).",
                       code="integration-evidence", extra={"source": evidence.source})
    return evidence


@dataclass(frozen=True)
class EvidenceChanges:
    """What PATCH may change on manual evidence; the person, source and integration fields
    stay. Fields left UNSET keep their value; None clears an optional one."""

    kind: EvidenceKind | Unset = UNSET
    occurred_on: date | Unset = UNSET
    title: str | Unset = UNSET
    description: str | Unset = UNSET
    hours: Decimal | None | Unset = UNSET
    topic: str | None | Unset = UNSET
    objective_id: int | None | Unset = UNSET


def update_evidence(session: Session, actor: Actor, evidence_id: int, *,
                    changes: EvidenceChanges, expected_version: int | None) -> Evidence:
    """Change manual evidence (its person only), refusing a stale version."""
    evidence = _writable(session, actor, evidence_id)
    if expected_version is not None and evidence.version != expected_version:
        raise PreconditionFailed(detail="This evidence was changed since you read it; fetch it "
                                        "again and resend with the new ETag.")
    occurred_on = merge(changes.occurred_on, evidence.occurred_on)
    _check(session, person_id=evidence.person_id,
           kind=merge(changes.kind, EvidenceKind(evidence.kind)),
           source=EvidenceSource(evidence.source), hours=merge(changes.hours, evidence.hours),
           topic=merge(changes.topic, evidence.topic),
           objective_id=merge(changes.objective_id, evidence.objective_id),
           occurred_on=occurred_on)
    was_qualification = evidence.kind == EvidenceKind.qualification.value
    days = (evidence.occurred_on, occurred_on)  # the day it moves from and to
    for name, value in given(changes).items():
        setattr(evidence, name, value.value if isinstance(value, EvidenceKind) else value)
    if was_qualification and evidence.kind != EvidenceKind.qualification.value:
        triggers.on_qualification_gone(session, evidence=evidence,
                                       why=f"changed to {evidence.kind}")
    elif not was_qualification and evidence.kind == EvidenceKind.qualification.value:
        triggers.on_qualification(session, evidence=evidence,
                                  person=people.get_or_404(session, evidence.person_id))
    staleness.mark(session, start=min(days), end=max(days))
    evidence.version += 1
    evidence.updated_by_id = actor.person_id
    evidence.updated_at = utcnow()
    session.add(evidence)
    session.flush()
    return evidence


def delete_evidence(session: Session, actor: Actor, evidence_id: int) -> None:
    """Delete manual evidence recorded in error (its person only)."""
    evidence = _writable(session, actor, evidence_id)
    if evidence.kind == EvidenceKind.qualification.value:
        triggers.on_qualification_gone(session, evidence=evidence, why="deleted")
    staleness.mark(session, start=evidence.occurred_on)
    session.delete(evidence)
    session.flush()


def list_evidence(session: Session, actor: Actor, *, person_id: int | None,
                  kind: EvidenceKind | None, source: EvidenceSource | None, start: date | None,
                  end: date | None, objective_id: int | None, include_retracted: bool,
                  cursor: str | None, limit: int) -> Page[Evidence]:
    """List one person's evidence (the caller's by default), filtered."""
    require_scope(actor, Scope.growth)
    subject = people.subject_for(session, actor, person_id, record=Record.evidence,
                                 action=Action.read)
    if start is not None and end is not None and end < start:
        raise InvalidInput(detail="to: the range ends before it starts.",
                           problems=[FieldProblem("to", "Must be on or after `from`.")])
    stmt = select(Evidence).where(Evidence.person_id == subject.id)
    if kind is not None:
        stmt = stmt.where(Evidence.kind == kind.value)
    if source is not None:
        stmt = stmt.where(Evidence.source == source.value)
    if start is not None:
        stmt = stmt.where(Evidence.occurred_on >= start)
    if end is not None:
        stmt = stmt.where(Evidence.occurred_on <= end)
    if objective_id is not None:
        stmt = stmt.where(Evidence.objective_id == objective_id)
    if not include_retracted:
        stmt = stmt.where(col(Evidence.retracted_at).is_(None))
    return keyset_page(session, stmt, Evidence.id, cursor=cursor, limit=limit)


def evidence_for(session: Session, *, person_id: int, start: date, end: date) -> list[Evidence]:
    """Return a person's evidence from `start` to `end` inclusive, retracted evidence left out,
    oldest first. Checks no access (the caller has)."""
    stmt = (select(Evidence)
            .where(Evidence.person_id == person_id, Evidence.occurred_on >= start,
                   Evidence.occurred_on <= end, col(Evidence.retracted_at).is_(None))
            .order_by(col(Evidence.occurred_on), col(Evidence.id)))
    return list(session.exec(stmt))



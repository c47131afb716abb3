"""People: the directory, personal details, line management and its history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, String, cast, func, or_
from sqlmodel import Session, col, select

from app.db.models import BandPeriod, LineManagementPeriod, Person, TeamMember, id_of
from app.db.types import utcnow
from app.domain import line_management as lm
from app.domain.employment import check_window
from app.domain.errors import Conflict, NotFound, PreconditionFailed, RuleViolation
from app.domain.access import (TWO_ADMINS, Action, Actor, Record, Relation,
                               authorize, permits, may_override_line_rules,
                               privileged_roles_changed, require_scope, sees_personal_details)
from app.domain.scopes import Scope
from app.domain.vocabulary import Band, PersonKind, Role
from app.services.access import case_access
from app.services.kit import audit, staleness
from app.services.kit.pagination import Page, keyset_page
from app.services.kit.patches import UNSET, Unset, given
from app.services.access.relationships import (direct_relations, everyone_below, managers_above,
                                        relations_to)

UNIQUE_FIELDS = ("email", "employee_number", "jira_account_id", "github_login")


@dataclass(frozen=True)
class PersonView:
    """A person as one actor may see them."""

    person: Person
    team_ids: list[int]
    full: bool  # personal details visible (self, management chain, admin)


def with_role(role: Role) -> ColumnElement[bool]:
    """A filter for people holding a role (roles are a small JSON list on the person)."""
    return cast(Person.roles, String).like(f'%"{role.value}"%')


def subject_for(session: Session, actor: Actor, person_id: int | None, *, record: Record,
                action: Action) -> Person:
    """The person a request is about (the caller by default), once the policy allows the
    action on their records of this kind."""
    subject_id = person_id if person_id is not None else actor.person_id
    if subject_id is None:
        raise RuleViolation(detail="person_id: say whose records these are (a service account "
                                   "has none of its own).", rule="PERSON-REQUIRED",
                            extra={"field": "person_id"})
    subject = get_or_404(session, subject_id)
    # The everyday callers (the person, their line manager) are known from the subject's own
    # record; the line, team and coaching are read only when those do not already allow it.
    if not permits(actor, record, action, direct_relations(actor, subject)):
        authorize(actor, record, action, relations_to(session, actor, subject), what="person")
    return subject


def get_or_404(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(detail=f"No person with id {person_id}.")
    return person


def _team_ids(session: Session, person_ids: list[int]) -> dict[int, list[int]]:
    by_person: dict[int, list[int]] = {pid: [] for pid in person_ids}
    if person_ids:
        rows = session.exec(select(TeamMember.person_id, TeamMember.team_id)
                            .where(col(TeamMember.person_id).in_(person_ids))
                            .order_by(col(TeamMember.team_id)))
        for person_id, team_id in rows:
            by_person[person_id].append(team_id)
    return by_person


def _views(session: Session, actor: Actor, people: list[Person]) -> list[PersonView]:
    teams = _team_ids(session, [p.id for p in people if p.id is not None])
    # Personal details are shown to admins, to the person, and to their management chain.
    # For lists this is decided from the line tree below the actor, read once.
    below = _below_actor(session, actor)
    views = []
    for p in people:
        relations = set()
        if p.id == actor.person_id:
            relations.add(Relation.self)
        if p.id in below:
            relations.add(Relation.chain)
        views.append(PersonView(p, teams[id_of(p)],
                                sees_personal_details(actor, frozenset(relations))))
    return views


def _below_actor(session: Session, actor: Actor) -> set[int]:
    if actor.person_id is None or actor.has_role(Role.admin):
        return set()
    return everyone_below(session, actor.person_id)


def view(session: Session, actor: Actor, person_id: int) -> PersonView:
    """Return one person as the actor may see them."""
    require_scope(actor, Scope.people_read)
    person = get_or_404(session, person_id)
    relations = relations_to(session, actor, person)
    return PersonView(person, _team_ids(session, [person_id])[person_id],
                      sees_personal_details(actor, relations))


def list_people(session: Session, actor: Actor, *, team_id: int | None,
                line_manager_id: int | None, band: Band | None, active: bool | None,
                cursor: str | None, limit: int) -> Page[PersonView]:
    """Return one page of the directory, filtered."""
    require_scope(actor, Scope.people_read)
    stmt = select(Person)
    if team_id is not None:
        stmt = stmt.where(col(Person.id).in_(
            select(TeamMember.person_id).where(TeamMember.team_id == team_id)))
    if line_manager_id is not None:
        stmt = stmt.where(Person.line_manager_id == line_manager_id)
    if band is not None:
        stmt = stmt.where(Person.band == band.value)
    if active is not None:
        stmt = stmt.where(Person.active == active)
    page = keyset_page(session, stmt, Person.id, cursor=cursor, limit=limit)
    return Page(items=_views(session, actor, page.items), next_cursor=page.next_cursor)


def direct_reports(session: Session, actor: Actor, person_id: int) -> list[PersonView]:
    """Return a person's current direct reports."""
    require_scope(actor, Scope.people_read)
    get_or_404(session, person_id)
    reports = list(session.exec(select(Person).where(Person.line_manager_id == person_id)
                                .order_by(col(Person.id))))
    return _views(session, actor, reports)


def _facts(person: Person) -> lm.PersonFacts:
    return lm.PersonFacts(id=person.id, kind=PersonKind(person.kind),
                          band=Band(person.band) if person.band else None, active=person.active)


def _check_unique(session: Session, values: dict[str, Any], *, exclude_id: int | None) -> None:
    clauses = [getattr(Person, f) == values[f] for f in UNIQUE_FIELDS if values.get(f)]
    if not clauses:
        return
    stmt = select(Person).where(or_(*clauses))
    if exclude_id is not None:
        stmt = stmt.where(Person.id != exclude_id)
    clash = session.exec(stmt).first()
    if clash is not None:
        taken = next(f for f in UNIQUE_FIELDS
                     if values.get(f) and getattr(clash, f) == values[f])
        raise Conflict(detail=f"Another person already has this {taken.replace('_', ' ')}.",
                       extra={"field": taken})


def _assign_line_manager(session: Session, actor: Actor, person: Person, manager_id: int | None,
                         override_reason: str | None) -> None:
    """Apply the line-management rules and keep the history the exclusion rule relies on."""
    now = utcnow()
    used_override = False
    if manager_id is not None:
        manager = session.get(Person, manager_id)
        if manager is None:
            raise RuleViolation(detail=f"line_manager_id: no person with id {manager_id}.",
                                rule="LM-EXISTS", extra={"field": "line_manager_id"})
        chain = managers_above(session, manager_id)
        broken = lm.line_manager_violations(_facts(person), _facts(manager), chain)
        used_override = lm.enforce(broken, override_reason=override_reason,
                                   may_override=may_override_line_rules(actor),
                                   field="line_manager_id")
    if person.id is not None and person.line_manager_id == manager_id:
        return
    if person.id is not None:
        for period in session.exec(select(LineManagementPeriod).where(
                LineManagementPeriod.person_id == person.id,
                col(LineManagementPeriod.ended_at).is_(None))):
            period.ended_at = now
            session.add(period)
    person.line_manager_id = manager_id
    if manager_id is not None:
        session.flush()  # the person needs an id before the history can name them
        session.add(LineManagementPeriod(
            person_id=id_of(person), manager_id=manager_id, started_at=now,
            override_reason=override_reason if used_override else None,
            recorded_by_id=actor.person_id))
        if used_override:
            audit.record(session, actor=actor, action="person.line_manager.override",
                         target_type="person", target_id=person.id,
                         detail={"manager_id": manager_id, "reason": override_reason})


def _assign_buddy(session: Session, actor: Actor, person: Person, buddy_id: int | None,
                  override_reason: str | None) -> None:
    if buddy_id is not None:
        buddy = session.get(Person, buddy_id)
        if buddy is None:
            raise RuleViolation(detail=f"buddy_id: no person with id {buddy_id}.",
                                rule="BUDDY-EXISTS", extra={"field": "buddy_id"})
        lm.enforce(lm.buddy_violations(_facts(person), _facts(buddy)),
                   override_reason=override_reason, may_override=may_override_line_rules(actor),
                   field="buddy_id")
    person.buddy_id = buddy_id


def _refuse_privileged_roles(before: list[str], after: list[str]) -> None:
    changed = privileged_roles_changed(before, after)
    if changed:
        raise RuleViolation(detail=TWO_ADMINS.format(roles=" or ".join(
            f"`{r}`" for r in sorted(changed))), rule="ROLE-TWO-ADMINS",
            extra={"field": "roles"})


# The fields integrations know a person by (deliveries wait for them until they are known).
IDENTITY_FIELDS = frozenset({"jira_account_id", "github_login", "email"})
# Called after a person is created, or after one of their IDENTITY_FIELDS changed.
IdentityChanged = Callable[[Person], None]


@dataclass(frozen=True)
class NewPerson:
    """A person to create. There is no password: nobody sets another person's password
    (they get a set-password link)."""

    name: str
    email: str
    kind: PersonKind
    band: Band | None = None
    line_manager_id: int | None = None
    buddy_id: int | None = None
    roles: list[Role] = field(default_factory=list)
    employee_number: str | None = None
    jira_account_id: str | None = None
    github_login: str | None = None
    started_on: date | None = None  # the first day of employment; today if None


@dataclass(frozen=True)
class PersonChanges:
    """What PATCH may change; fields left UNSET keep their value, None clears an optional
    one."""

    name: str | Unset = UNSET
    email: str | Unset = UNSET
    kind: PersonKind | Unset = UNSET
    band: Band | None | Unset = UNSET
    line_manager_id: int | None | Unset = UNSET
    buddy_id: int | None | Unset = UNSET
    roles: list[Role] | Unset = UNSET
    employee_number: str | None | Unset = UNSET
    jira_account_id: str | None | Unset = UNSET
    github_login: str | None | Unset = UNSET
    active: bool | Unset = UNSET
    started_on: date | Unset = UNSET
    left_on: date | None | Unset = UNSET


def _stored_roles(roles: list[Role]) -> list[str]:
    return sorted({Role(r).value for r in roles})


def create_person(session: Session, actor: Actor, *, values: NewPerson,
                  override_reason: str | None = None,
                  on_identity_change: IdentityChanged | None = None,
                  on_server: bool = False) -> Person:
    """Create a person (admin). `on_identity_change` is called with the new person, so the
    caller can apply what was waiting for their Jira account, GitHub login or e-mail.

    Nobody gives a new person a password (they get a set-password link), and `admin` or
    `case_manager` are granted through a role change two admins agree to; only code running
    on the server itself (`on_server`: the demo data) gives those roles at once."""
    require_scope(actor, Scope.people_write)
    roles = _stored_roles(values.roles)
    if not on_server:
        _refuse_privileged_roles([], roles)
    _check_unique(session, {f: getattr(values, f) for f in UNIQUE_FIELDS}, exclude_id=None)
    person = Person(name=values.name, email=values.email, kind=values.kind.value,
                    band=values.band.value if values.band else None, roles=roles,
                    employee_number=values.employee_number,
                    jira_account_id=values.jira_account_id, github_login=values.github_login,
                    started_on=values.started_on or date.today())
    manager_id, buddy_id = values.line_manager_id, values.buddy_id
    _check_window(person)
    session.add(person)
    session.flush()
    session.add(BandPeriod(person_id=id_of(person), band=person.band, kind=person.kind,
                           started_on=person.started_on))
    _assign_line_manager(session, actor, person, manager_id, override_reason)
    _assign_buddy(session, actor, person, buddy_id, override_reason)
    session.add(person)
    session.flush()
    audit.record(session, actor=actor, action="person.create", target_type="person",
                 target_id=person.id, detail=_created_detail(person))
    if on_identity_change is not None:
        on_identity_change(person)
    return person


def update_person(session: Session, actor: Actor, person_id: int, *, changes: PersonChanges,
                  expected_version: int | None, override_reason: str | None = None,
                  on_identity_change: IdentityChanged | None = None) -> Person:
    """Change a person (admin), refusing a stale version. `on_identity_change` is called when
    their Jira account, GitHub login or e-mail changed."""
    require_scope(actor, Scope.people_write)
    person = get_or_404(session, person_id)
    if expected_version is not None and person.version != expected_version:
        raise PreconditionFailed(detail="This person was changed since you read them; fetch "
                                        "them again and resend with the new ETag.")
    # The fields sent, as stored: enumerations by their values, roles sorted, each once.
    sent = given(changes)
    for name in ("kind", "band"):
        if sent.get(name) is not None:
            sent[name] = sent[name].value
    if "roles" in sent:
        sent["roles"] = _stored_roles(sent["roles"])
        _refuse_privileged_roles(person.roles, sent["roles"])
    _check_unique(session, sent, exclude_id=person.id)
    before_window = (person.started_on, person.left_on)
    # Every audited field, not only those sent: a change of kind can clear the buddy.
    before = {name: getattr(person, name) for name in _AUDITED_ON_CREATE}
    guard = bool({"active", "roles", "line_manager_id"} & sent.keys())
    now = utcnow()
    unmanned_before = case_access.unmanned_open_cases(session, person_id=id_of(person), now=now) \
        if guard else set()
    manager_changed = "line_manager_id" in sent
    manager_id = sent.pop("line_manager_id", person.line_manager_id)
    buddy_id = sent.pop("buddy_id", person.buddy_id)
    for name, value in sent.items():
        setattr(person, name, value)
    if person.kind != PersonKind.apprentice and buddy_id is not None and "kind" in sent \
            and "buddy_id" not in sent:
        buddy_id = None  # only apprentices have buddies
    # Re-check the rules whenever the line manager, band or kind changes.
    if manager_changed or {"band", "kind"} & sent.keys():
        _assign_line_manager(session, actor, person, manager_id, override_reason)
    _assign_buddy(session, actor, person, buddy_id, override_reason)
    if "active" in sent and not person.active:
        _refuse_deactivating_a_manager(session, person)
        if person.left_on is None:
            person.left_on = date.today()  # leaving ends the employment window
    elif sent.get("active") and "left_on" not in sent:
        person.left_on = None  # back again
    _check_window(person)
    if {"band", "kind"} & sent.keys():
        _record_band(session, person, date.today())
    if {"started_on", "left_on", "active"} & sent.keys():
        # Who was employed when changed: every period since the earliest day it touches.
        days = [d for d in (before_window + (person.started_on, person.left_on)) if d]
        staleness.mark(session, start=min(days), end=date.today())
    session.add(person)
    session.flush()
    if guard:
        refuse_leaving_cases_unmanned(session, person_id=id_of(person), before=unmanned_before,
                                      now=now)
    changed = {name: {"before": _plain(before[name]), "after": _plain(getattr(person, name))}
               for name in sorted(before) if before[name] != getattr(person, name)}
    person.version += 1
    person.updated_at = now
    session.add(person)
    session.flush()
    audit.record(session, actor=actor, action="person.update", target_type="person",
                 target_id=person.id, detail={"fields": sorted(changed), "changes": changed})
    if on_identity_change is not None and IDENTITY_FIELDS & sent.keys():
        on_identity_change(person)
    return person


def _check_window(person: Person) -> None:
    try:
        check_window(person.started_on, person.left_on)
    except ValueError as exc:
        raise RuleViolation(detail=f"{exc}: a person leaves after they start.",
                            rule="PERSON-WINDOW", extra={"field": "left_on"}) from None


def _record_band(session: Session, person: Person, today: date) -> None:
    """Keep the band and kind history: the one held until yesterday ends, today's starts."""
    current = session.exec(select(BandPeriod).where(
        BandPeriod.person_id == person.id, col(BandPeriod.ended_on).is_(None))).all()
    if all(row.band == person.band and row.kind == person.kind for row in current) and current:
        return
    for row in current:
        if row.started_on >= today:
            session.delete(row)  # changed again the same day: only the last one held
        else:
            row.ended_on = today - timedelta(days=1)
            session.add(row)
    session.add(BandPeriod(person_id=id_of(person), band=person.band, kind=person.kind,
                           started_on=max(today, person.started_on)))


def _refuse_deactivating_a_manager(session: Session, person: Person) -> None:
    reports = session.exec(select(func.count()).select_from(Person).where(
        col(Person.line_manager_id) == person.id, col(Person.active).is_(True))).one()
    if reports:
        raise RuleViolation(
            detail=f"This person still line manages {reports} active people; give them a new "
                   "line manager before deactivating this person.", rule="LM-ACTIVE")


LEAVES_CASE_UNMANNED = (
    "This change would leave an open formal case with no case manager who can work on it. "
    "Nothing was changed. The case's case managers must first assign another case manager "
    "to it (POST /v1/cases/{case_id}/assignments); then make this change again. GPS does not "
    "say which case: ask the case managers, or the service desk.")


def refuse_leaving_cases_unmanned(session: Session, *, person_id: int, before: set[int],
                                  now: Any) -> None:
    """Refuse a change (already flushed) to a person that leaves an open case with no case
    manager who can reach it. The refusal names no case and no subject: admins make these
    changes, and an admin may be someone the case must not exist for."""
    after = case_access.unmanned_open_cases(session, person_id=person_id, now=now)
    if after - before:
        raise Conflict(detail=LEAVES_CASE_UNMANNED, code="case-needs-case-manager")


_AUDITED_ON_CREATE = ("name", "email", "kind", "band", "line_manager_id", "buddy_id", "roles",
                      "employee_number", "jira_account_id", "github_login", "active",
                      "started_on", "left_on")


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return list(value) if isinstance(value, list | tuple) else value


def _created_detail(person: Person) -> dict[str, Any]:
    changed = {name: {"before": None, "after": _plain(getattr(person, name))}
               for name in _AUDITED_ON_CREATE if getattr(person, name) not in (None, [])}
    return {"fields": sorted(changed), "changes": changed}

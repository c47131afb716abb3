"""The access policy: the one place that decides who may do what to which record.

Two layers, both applied on every route:
1. scopes (in the token) say which *functions* a caller may use;
2. relationships (read from the database at request time) say which *records*.

A caller who may not read a record is told it does not exist (NotFound, so 404), never that
it is forbidden: 404 comes before 403 so nobody learns that a record exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from app.domain.errors import Forbidden, NotFound
from app.domain.vocabulary import Role


class Relation(StrEnum):
    """How an actor stands to the person a record is about."""

    self = "self"
    line_manager = "line_manager"
    chain = "chain"  # above the person in the line tree, not the direct line manager
    buddy = "buddy"
    coach = "coach"
    team_lead = "team_lead"
    case_manager = "case_manager"


@dataclass(frozen=True)
class Actor:
    """Who is calling: a person or a service account, with their effective scopes."""

    scopes: frozenset[str]
    person_id: int | None = None
    client_id: str | None = None
    roles: frozenset[Role] = field(default_factory=frozenset)
    token_id: str | None = None

    @property
    def is_person(self) -> bool:
        return self.person_id is not None

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    @property
    def label(self) -> str:
        return f"person:{self.person_id}" if self.is_person else f"client:{self.client_id}"


class Record(StrEnum):
    """Kinds of record about a person that the relationship rules govern."""

    personal_details = "personal_details"  # email, HR number, integration ids, roles
    absence = "absence"
    reports = "reports"  # the list of someone's direct reports


class Action(StrEnum):
    read = "read"
    write = "write"


_MANAGEMENT = frozenset({Relation.self, Relation.line_manager, Relation.chain})

# Which relationships may read / write each kind of record; admins are listed separately so
# that the table shows plainly where the admin role reaches and where it does not.
_READ: dict[Record, frozenset[Relation]] = {
    Record.personal_details: _MANAGEMENT,
    Record.absence: _MANAGEMENT,
    Record.reports: frozenset(Relation),  # the line tree is part of the directory
}
_WRITE: dict[Record, frozenset[Relation]] = {
    Record.personal_details: frozenset(),
    Record.absence: frozenset({Relation.self, Relation.line_manager}),
    Record.reports: frozenset(),
}
_ADMIN_READS = frozenset({Record.personal_details, Record.absence, Record.reports})
_ADMIN_WRITES = frozenset({Record.personal_details, Record.absence})


def require_scope(actor: Actor, scope: str) -> None:
    """Refuse a function the caller's token does not carry the scope for."""
    if scope not in actor.scopes:
        raise Forbidden(detail=f"This needs the `{scope}` scope, which your token does not carry.",
                        extra={"required_scope": scope})


def may(actor: Actor, record: Record, action: Action, relations: frozenset[Relation]) -> bool:
    is_admin = actor.has_role(Role.admin)
    if action is Action.read:
        return bool(relations & _READ[record]) or (is_admin and record in _ADMIN_READS)
    return bool(relations & _WRITE[record]) or (is_admin and record in _ADMIN_WRITES)


def authorize(actor: Actor, record: Record, action: Action, relations: frozenset[Relation],
              *, what: str) -> None:
    """Raise NotFound if the actor may not know the record exists, Forbidden if they may
    see it but not do this to it."""
    if not may(actor, record, Action.read, relations):
        raise NotFound(detail=f"No {what} with that id.")
    if action is Action.write and not may(actor, record, Action.write, relations):
        raise Forbidden(detail=f"You may see this {what} but not change it.")


def sees_personal_details(actor: Actor, relations: frozenset[Relation]) -> bool:
    """Whether the actor sees a person's full record, or only the directory entry."""
    return may(actor, Record.personal_details, Action.read, relations)

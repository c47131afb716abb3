"""Records about a person, loaded for a caller the access policy lets act on them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from sqlmodel import Session

from app.db.models import Person
from app.domain.access import (Action, Actor, Record, Relation, authorize, may, no_such,
                               require_scope)
from app.domain.errors import Forbidden, NotFound
from app.services.access.relationships import relations_to


class AboutPerson(Protocol):
    """A row about one person (an objective, a piece of evidence, an intervention...)."""

    @property
    def person_id(self) -> int: ...


T = TypeVar("T", bound=AboutPerson)


@dataclass(frozen=True)
class Loaded(Generic[T]):
    record: T
    person: Person  # the person it is about
    relations: frozenset[Relation]  # how the caller stands to them


def authorize_about(session: Session, actor: Actor, person: Person, *, kind: Record,
                    action: Action, what: str, missing: str,
                    refusal: str | None = None) -> frozenset[Relation]:
    """Let the actor do `action` to a record of this kind about `person`, or refuse by the
    policy's refusal rule: 404 worded `missing` to whoever may not know a protected record
    exists; 403 naming the rule to whoever may not see an unprotected one; 403 to whoever
    may see it but not do this, worded `refusal` or else by the policy. Returns how the actor
    stands to the person.
    """
    relations = relations_to(session, actor, person)
    try:
        authorize(actor, kind, action, relations, what=what)
    except NotFound:
        raise NotFound(detail=missing) from None
    except Forbidden as refused:
        if refusal is None or not may(actor, kind, Action.read, relations):
            raise
        raise Forbidden(detail=refusal, extra=refused.extra) from None
    return relations


def load_about_person(session: Session, actor: Actor, model: type[T], record_id: int, *,
                      scope: str, kind: Record, action: Action, what: str,
                      lock: bool = False, refusal: str | None = None) -> Loaded[T]:
    """Load a record about a person for an actor who may do `action` to it (the token's
    `scope`, then the policy for records of this `kind`). A record that does not exist and a
    protected one the actor may not know exists get the same 404, "No {what} with id
    {record_id}."; see `authorize_about` for the rest.

    With `lock`, the row is held until the transaction ends, so a change decided on its state
    is decided on the latest one: of two changes sent at once (through any replicas), the
    second waits, then finds the first's state and is refused or applied on top of it.
    """
    require_scope(actor, scope)
    missing = no_such(what, record_id)
    record = session.get(model, record_id, with_for_update=True if lock else None,
                         populate_existing=lock)
    if record is None:
        raise NotFound(detail=missing)
    person = session.get(Person, record.person_id)
    if person is None:
        raise NotFound(detail=no_such("person", record.person_id))
    relations = authorize_about(session, actor, person, kind=kind, action=action, what=what,
                                missing=missing, refusal=refusal)
    return Loaded(record, person, relations)

"""Factories for arranging test data, and tokens for acting as someone."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import Session

from app.db.models import BandPeriod, Person, Team, TeamMember, TeamMembership, id_of
from app.services.identity import auth, tokens
from app.services.kit import passwords
from app.settings import Settings

_seq = itertools.count(1)
# The test department's people and teams have been there for years, unless a test says not.
LONG_AGO = date(2020, 1, 1)
# Absences arranged straight in the database stand confirmed, as if the line manager had.
CONFIRMED = datetime(2020, 1, 1, tzinfo=UTC)
PASSWORD = "correct horse battery staple"
_PASSWORD_HASH = passwords.hash_secret(PASSWORD)


def new_person(db: Session, *, kind: str = "employee", band: str | None = "7",
               line_manager: Person | None = None, roles: list[str] | None = None,
               active: bool = True, name: str | None = None, email: str | None = None,
               login: bool = False, **extra: Any) -> Person:
    n = next(_seq)
    extra.setdefault("started_on", LONG_AGO)
    person = Person(name=name or f"Person {n}", email=(email or f"person{n}@example.org").lower(),
                    kind=kind, band=band, line_manager_id=line_manager.id if line_manager else None,
                    roles=roles or [], active=active,
                    password_hash=_PASSWORD_HASH if login else None, **extra)
    db.add(person)
    db.commit()
    db.add(BandPeriod(person_id=id_of(person), band=band, kind=kind, started_on=person.started_on))
    db.commit()
    return person


def new_team(db: Session, *, members: list[Person], lead: Person | None = None,
             name: str | None = None, since: date = LONG_AGO) -> Team:
    team = Team(name=name or f"Team {next(_seq)}", delivery_manager_id=lead.id if lead else None)
    db.add(team)
    db.commit()
    for member in members:
        db.add(TeamMember(team_id=id_of(team), person_id=id_of(member)))
        db.add(TeamMembership(team_id=id_of(team), person_id=id_of(member),
                              started_on=max(since, member.started_on)))
    db.commit()
    return team


def bearer(settings: Settings, person: Person) -> dict[str, str]:
    issued = tokens.issue(settings, subject=f"person:{person.id}",
                          scopes=auth.person_scopes(person))
    return {"Authorization": f"Bearer {issued.token}"}


@pytest.fixture
def person(db: Session) -> Callable[..., Person]:
    return lambda **kw: new_person(db, **kw)


@pytest.fixture
def as_(settings: Settings) -> Callable[[Person], dict[str, str]]:
    """Headers that act as a person: `client.get(url, headers=as_(alice))`."""
    return lambda who: bearer(settings, who)


@pytest.fixture
def org(db: Session) -> dict[str, Person]:
    """A small department: head (8c) > principal (8b) > senior (8a) > two developers."""
    admin = new_person(db, band=None, roles=["admin"], name="Admin")
    head = new_person(db, band="8c", roles=["head_of_department"], name="Head")
    principal = new_person(db, band="8b", line_manager=head, name="Principal")
    senior = new_person(db, band="8a", line_manager=principal, name="Senior")
    other_senior = new_person(db, band="8a", line_manager=principal, name="Other senior")
    dev = new_person(db, band="7", line_manager=senior, name="Dev",
                     employee_number="000042", jira_account_id="5b10ac8d82e05b22cc7d4ef5",
                     github_login="dev-one")
    peer = new_person(db, band="6", line_manager=senior, name="Peer")
    other_dev = new_person(db, band="7", line_manager=other_senior, name="Other dev")
    return dict(admin=admin, head=head, principal=principal, senior=senior,
                other_senior=other_senior, dev=dev, peer=peer, other_dev=other_dev)


class StatementCounter:
    """Counts (and keeps) the SQL statements an engine runs while active.

    Every statement the app sends goes through `before_cursor_execute`, whichever connection
    or session runs it, so a request's count includes authentication, the unit of work's own
    statements (SQLite's BEGIN) and anything a response streams afterwards.
    """

    def __init__(self, engine) -> None:
        self.engine = engine
        self.sql: list[str] = []

    @property
    def count(self) -> int:
        return len(self.sql)

    def _on_execute(self, conn, cursor, statement, *args, **kwargs) -> None:
        self.sql.append(" ".join(statement.split()))

    def repeated(self) -> dict[str, int]:
        """Statements run more than once, with how often: where an N+1 shows itself."""
        seen: dict[str, int] = {}
        for statement in self.sql:
            seen[statement] = seen.get(statement, 0) + 1
        return {s: n for s, n in seen.items() if n > 1}

    def __enter__(self) -> StatementCounter:
        from sqlalchemy import event
        event.listen(self.engine, "before_cursor_execute", self._on_execute)
        return self

    def __exit__(self, *exc: object) -> None:
        from sqlalchemy import event
        event.remove(self.engine, "before_cursor_execute", self._on_execute)


@pytest.fixture
def statements(engine):
    """`with statements() as counted: client.get(...)`, then `counted.count` (and
    `counted.sql`, `counted.repeated()` to see which)."""
    return lambda: StatementCounter(engine)

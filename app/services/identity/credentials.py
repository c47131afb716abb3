"""Passwords under separation of duties: nobody sets another person's password.

An admin issues a one-time, short-lived set-password link (only its SHA-256 is stored); the
person uses it to choose their own password. A person changes their own password with their
current one. Any change stamps `credentials_changed_at`, which refuses every GPS token the
person was issued before it (`auth.actor_from_token`, no extra statement).

A link is refused for people whose account would give whoever holds the link more than the
admin already has, or reach into a formal case: holders of `admin` or `case_manager`, the
subject of an open formal case or an open concern, and anyone the admin line manages or has
line managed. The refusal reads the same whichever of these applies, so a line manager who
is an admin learns nothing about cases from it: for them it never depends on cases at all.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.db.duties import PasswordLink
from app.db.models import LineManagementPeriod, Person, id_of
from app.db.types import utcnow
from app.domain.errors import Conflict, Forbidden, RuleViolation
from app.domain.access import (NOT_BY_LINK, SERVICE_ACCOUNTS_HAVE_NO_PASSWORD, Actor,
                               may_issue_password_link, require_scope)
from app.domain.scopes import Scope
from app.services.access import case_access
from app.services.identity import rate_limits
from app.services.kit import audit, passwords
from app.services.org import people
from app.settings import Settings

LINK_UNUSABLE = ("This set-password link is not valid: it may be mistyped, used already, "
                 "replaced by a newer one or expired. Ask an admin for a new one, or the "
                 "service desk.")


@dataclass(frozen=True)
class IssuedLink:
    person_id: int
    token: str
    expires_at: datetime


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _refuse_local_passwords_off(settings: Settings) -> None:
    if not settings.local_passwords:
        raise Conflict(detail="Local passwords are switched off here: people sign in with the "
                              "department's identity provider, and change their password "
                              "there.", code="local-passwords-off")


def _managed_by(session: Session, person: Person, actor_id: int | None) -> bool:
    """Whether the actor line manages the person now or ever did."""
    if actor_id is None:
        return False
    if person.line_manager_id == actor_id:
        return True
    return session.exec(select(LineManagementPeriod.id).where(
        LineManagementPeriod.person_id == person.id,
        LineManagementPeriod.manager_id == actor_id)).first() is not None


def _link_refused(session: Session, person: Person, *, actor_id: int | None = None) -> bool:
    return not may_issue_password_link(
        managed_by_actor=_managed_by(session, person, actor_id), roles=person.roles,
        in_open_casework=lambda: case_access.in_open_casework(session, id_of(person)))


def issue_link(session: Session, actor: Actor, *, person_id: int,
               settings: Settings) -> IssuedLink:
    """Issue a one-time set-password link for a person (admin); any earlier unused link for
    them stops working."""
    require_scope(actor, Scope.people_write)
    person = people.get_or_404(session, person_id)
    _refuse_local_passwords_off(settings)
    if _link_refused(session, person, actor_id=actor.person_id):
        raise Conflict(detail=NOT_BY_LINK, code="password-not-by-link")
    if not person.active:
        raise Conflict(detail="This person is not active; reactivate them first.",
                       code="person-inactive")
    now = utcnow()
    session.execute(update(PasswordLink).where(
        col(PasswordLink.person_id) == person.id,
        col(PasswordLink.spent_at).is_(None)).values(spent_at=now))
    token = secrets.token_urlsafe(32)
    expires_at = now + timedelta(hours=settings.password_link_hours)
    link = PasswordLink(person_id=id_of(person), token_hash=_digest(token),
                        issued_by=actor.label, issued_at=now, expires_at=expires_at)
    session.add(link)
    session.flush()
    audit.record(session, actor=actor, action="person.password_link", target_type="person",
                 target_id=person.id, detail={"link_id": link.id,
                                              "expires_at": expires_at.isoformat()})
    return IssuedLink(person_id=id_of(person), token=token, expires_at=expires_at)


def set_password_with_link(session: Session, settings: Settings, *, token: str,
                           password: str) -> Person:
    """Spend a link and set the password it was issued for (no sign-in needed). The link is
    spent in one statement, so two uses at once cannot both succeed."""
    _refuse_local_passwords_off(settings)
    now = utcnow()
    spent = session.execute(
        update(PasswordLink)
        .where(col(PasswordLink.token_hash) == _digest(token),
               col(PasswordLink.spent_at).is_(None),
               col(PasswordLink.expires_at) > now)
        .values(spent_at=now).returning(col(PasswordLink.person_id), col(PasswordLink.id))
    ).first()
    if spent is None:
        # Well-formed but not usable: the house's 422 for input that breaks a rule.
        raise RuleViolation(detail=LINK_UNUSABLE, rule="PASSWORD-LINK",
                            extra={"field": "token"})
    person_id, link_id = spent
    person = people.get_or_404(session, person_id)
    # Roles or cases may have changed since the link was issued.
    if not person.active or _link_refused(session, person):
        raise Conflict(detail=NOT_BY_LINK, code="password-not-by-link")
    _store(session, person, password, now=now)
    audit.record(session, actor=f"person:{person.id}", action="person.update",
                 target_type="person", target_id=person.id,
                 detail={"fields": ["password"], "changes": {"password": "password set"},
                         "via": "set-password link", "link_id": link_id})
    return person


def change_own_password(session: Session, settings: Settings, actor: Actor, *,
                        current_password: str, new_password: str,
                        address: str | None) -> Person:
    """A person changes their own password, proving it with the current one. Checking the
    current password is throttled like signing in (a stolen token must not become a way to
    guess the password): it may raise `rate_limits.TooManyAttempts`."""
    _refuse_local_passwords_off(settings)
    if actor.person_id is None:
        raise Forbidden(detail=SERVICE_ACCOUNTS_HAVE_NO_PASSWORD)
    person = people.get_or_404(session, actor.person_id)
    tried = rate_limits.attempt(kind="person", name=person.email, address=address)
    claimed = rate_limits.claim(session, settings, tried)
    if not passwords.verify_secret(person.password_hash, current_password):
        raise RuleViolation(detail="current_password: this is not your current password.",
                            rule="PASSWORD-CURRENT", extra={"field": "current_password"})
    if current_password == new_password:
        raise RuleViolation(detail="new_password: choose a password different from the "
                                   "current one.", rule="PASSWORD-NEW",
                            extra={"field": "new_password"})
    rate_limits.succeeded(session, tried, claimed)
    _store(session, person, new_password, now=utcnow())
    audit.record(session, actor=actor, action="person.update", target_type="person",
                 target_id=person.id, detail={"fields": ["password"],
                                              "changes": {"password": "password set"},
                                              "via": "own change"})
    return person


def set_password_on_server(session: Session, person: Person, password: str) -> None:
    """Set a password from the server itself (the bootstrap admin, demo data)."""
    _store(session, person, password, now=utcnow())


def _store(session: Session, person: Person, password: str, *, now: datetime) -> None:
    person.password_hash = passwords.hash_secret(password)
    person.credentials_changed_at = now
    person.version += 1
    person.updated_at = now
    session.add(person)
    session.flush()

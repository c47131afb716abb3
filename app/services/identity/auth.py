"""Sign-in (password and client credentials), token revocation, and who a token belongs to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.db.models import Person, RevokedToken, ServiceAccount
from app.domain.errors import AuditNote, OAuthError, Unauthenticated
from app.domain.access import Actor
from app.domain.scopes import scopes_for_roles
from app.domain.vocabulary import Role
from app.services.identity import tokens
from app.services.kit import passwords
from app.settings import Settings


@dataclass(frozen=True)
class Grant:
    token: tokens.IssuedToken
    scopes: frozenset[str]


def _narrow(available: frozenset[str], requested: frozenset[str]) -> frozenset[str]:
    """Grant what was asked for, or everything available when nothing was asked for."""
    if not requested:
        return available
    unknown = requested - available
    if unknown:
        raise OAuthError(detail="You asked for scopes you do not hold: "
                                + ", ".join(sorted(unknown)) + ".", error="invalid_scope")
    return requested


def person_scopes(person: Person) -> frozenset[str]:
    return scopes_for_roles({Role(r) for r in person.roles})


def password_grant(session: Session, settings: Settings, *, email: str, password: str,
                   requested: frozenset[str]) -> Grant:
    person = session.exec(select(Person).where(Person.email == email.strip().lower())).first()
    if not passwords.verify_secret(person.password_hash if person else None, password) \
            or person is None or not person.active:
        raise OAuthError(detail="The e-mail address or password is wrong, or the account is "
                                "not active.", error="invalid_grant",
                         audit=AuditNote(actor=f"login:{email.strip().lower()[:80]}",
                                         action="auth.password", target_type="person",
                                         target_id=str(person.id) if person else None))
    scopes = _narrow(person_scopes(person), requested)
    return Grant(tokens.issue(settings, subject=f"person:{person.id}", scopes=scopes), scopes)


def client_credentials_grant(session: Session, settings: Settings, *, client_id: str,
                             client_secret: str, requested: frozenset[str]) -> Grant:
    account = session.exec(
        select(ServiceAccount).where(ServiceAccount.client_id == client_id)).first()
    if not passwords.verify_secret(account.secret_hash if account else None, client_secret) \
            or account is None or account.revoked_at is not None:
        raise OAuthError(detail="Unknown client, wrong secret, or the service account has been "
                                "revoked.", error="invalid_client")
    scopes = _narrow(frozenset(account.scopes), requested)
    return Grant(tokens.issue(settings, subject=f"client:{account.client_id}", scopes=scopes),
                 scopes)


def actor_from_token(session: Session, settings: Settings, token: str) -> Actor:
    """Return the actor a bearer token speaks for, checked against the database now.

    One statement reads the token's holder and whether the token has been revoked, so a
    revoked token, a deactivated person and a revoked service account all stop working on
    their next request.
    """
    claims = tokens.verify(settings, token)
    revoked = select(RevokedToken.jti).where(RevokedToken.jti == claims.jti).exists()
    kind, _, ident = claims.subject.partition(":")
    if claims.external:
        # The external issuer vouches for an e-mail address; GPS decides who that is and
        # what they may do, exactly as for its own tokens. Addresses are stored lower-cased.
        row = session.exec(select(Person, revoked).where(Person.email == ident.lower())).first()
        person = _unless_revoked(row)
        if person is None or not person.active:
            raise Unauthenticated(detail="No active person in GPS has the e-mail address "
                                         "this token was issued for.")
        return Actor(person_id=person.id, roles=frozenset(Role(r) for r in person.roles),
                     scopes=person_scopes(person), token_id=claims.jti)
    if kind == "person" and ident.isdigit():
        row = session.exec(select(Person, revoked).where(Person.id == int(ident))).first()
        person = _unless_revoked(row)
        if person is None or not person.active:
            raise Unauthenticated(detail="The account this token was issued to is not active.")
        changed = person.credentials_changed_at
        if changed is not None and claims.issued_at < changed.timestamp():
            raise Unauthenticated(detail="The password of the account this token was issued "
                                         "to has changed since. Sign in again.")
        return Actor(person_id=person.id, roles=frozenset(Role(r) for r in person.roles),
                     scopes=claims.scopes & person_scopes(person), token_id=claims.jti)
    if kind == "client":
        client_row = session.exec(select(ServiceAccount, revoked)
                                  .where(ServiceAccount.client_id == ident)).first()
        account = _unless_revoked(client_row)
        if account is None or account.revoked_at is not None:
            raise Unauthenticated(detail="The service account this token was issued to has "
                                         "been revoked.")
        return Actor(client_id=account.client_id, scopes=claims.scopes & set(account.scopes),
                     token_id=claims.jti)
    raise Unauthenticated(detail="The access token's subject is not recognised.")


def _unless_revoked(row: Any) -> Any:
    """The token's holder from a (holder, token revoked) row, refusing a revoked token."""
    if row is None:
        return None
    holder, token_revoked = row
    if token_revoked:
        raise Unauthenticated(detail="The access token has been revoked. Sign in again.")
    return holder


def revoke(session: Session, settings: Settings, token: str) -> None:
    """Revoke a token (RFC 7009: an invalid or unknown token is not an error)."""
    try:
        claims = tokens.verify(settings, token)
    except Unauthenticated:
        return
    if session.get(RevokedToken, claims.jti) is None:
        session.add(RevokedToken(jti=claims.jti, expires_at=claims.expires_at))
    # Entries for tokens that have expired anyway are no longer needed.
    session.execute(delete(RevokedToken).where(col(RevokedToken.expires_at) < datetime.now(UTC)))

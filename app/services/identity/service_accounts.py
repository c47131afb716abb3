"""Service accounts: machine clients (such as the HR system) that sign in with a secret."""

from __future__ import annotations

import secrets

from sqlmodel import Session, select

from app.db.models import ServiceAccount
from app.db.types import utcnow
from app.domain.errors import NotFound, RuleViolation
from app.domain.access import Actor, require_scope
from app.domain.scopes import SERVICE_ACCOUNT_GRANTABLE, Scope
from app.services.kit import audit, passwords
from app.services.kit.pagination import Page, keyset_page


def create(session: Session, actor: Actor, *, name: str,
           scopes: list[str]) -> tuple[ServiceAccount, str]:
    """Create a service account; return it with its secret, which is never shown again."""
    require_scope(actor, Scope.service_accounts)
    unknown = sorted(set(scopes) - SERVICE_ACCOUNT_GRANTABLE)
    if unknown:
        raise RuleViolation(
            detail=f"A service account cannot be given {', '.join(unknown)}; grantable scopes "
                   f"are {', '.join(sorted(SERVICE_ACCOUNT_GRANTABLE))}.",
            rule="SA-SCOPES", extra={"field": "scopes"})
    secret = secrets.token_urlsafe(32)
    account = ServiceAccount(name=name, client_id="gps-" + secrets.token_hex(12),
                             secret_hash=passwords.hash_secret(secret),
                             scopes=sorted(set(scopes)), created_by_id=actor.person_id)
    session.add(account)
    session.flush()
    audit.record(session, actor=actor, action="service_account.create",
                 target_type="service_account", target_id=account.id,
                 detail={"scopes": account.scopes})
    return account, secret


def list_accounts(session: Session, actor: Actor, *, cursor: str | None,
                  limit: int) -> Page[ServiceAccount]:
    require_scope(actor, Scope.service_accounts)
    return keyset_page(session, select(ServiceAccount), ServiceAccount.id, cursor=cursor,
                       limit=limit)


def revoke(session: Session, actor: Actor, account_id: int) -> None:
    """Revoke a service account: its tokens stop working at once."""
    require_scope(actor, Scope.service_accounts)
    account = session.get(ServiceAccount, account_id)
    if account is None:
        raise NotFound(detail=f"No service account with id {account_id}.")
    if account.revoked_at is None:
        account.revoked_at = utcnow()
        session.add(account)
        audit.record(session, actor=actor, action="service_account.revoke",
                     target_type="service_account", target_id=account.id)

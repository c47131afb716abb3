"""The one hierarchy of errors GPS raises; the API maps each class to an HTTP status."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn


@dataclass
class FieldProblem:
    """One thing wrong with one field (or one row of an import)."""

    field: str
    message: str
    row: int | None = None


@dataclass(frozen=True)
class AuditNote:
    """A refusal that must stay in the audit log although the request's work is undone."""

    actor: str
    action: str
    target_type: str
    target_id: str | None = None


@dataclass
class DomainError(Exception):
    """Base class: a rule of GPS refused the request."""

    detail: str
    title: str = "Request refused"
    code: str = "refused"
    problems: list[FieldProblem] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    audit: AuditNote | None = None

    def __str__(self) -> str:
        return self.detail


@dataclass
class NotFound(DomainError):
    title: str = "Not found"
    code: str = "not-found"


@dataclass
class Forbidden(DomainError):
    title: str = "Forbidden"
    code: str = "forbidden"


@dataclass
class Unauthenticated(DomainError):
    """No valid credentials (HTTP 401).

    `error` is the RFC 6750 error code for the challenge: "invalid_token" when a token was
    sent and refused; None when no bearer token was sent at all.
    """

    title: str = "Authentication required"
    code: str = "unauthenticated"
    error: str | None = "invalid_token"


@dataclass
class Conflict(DomainError):
    title: str = "Conflict"
    code: str = "conflict"


ILLEGAL_TRANSITION = "illegal-transition"


def refuse_move(detail: str, *, state: str, allowed_actions: Sequence[str],
                **extra: Any) -> NoReturn:
    """Refuse what a lifecycle does not allow from a record's state: the one 409 every
    lifecycle answers, naming the state and the actions allowed from it now."""
    raise Conflict(detail=detail, code=ILLEGAL_TRANSITION,
                   extra={"state": state, "allowed_actions": list(allowed_actions), **extra})


def what_next(state: str, allowed_actions: Sequence[str], noun: str) -> str:
    """The usual end of such a refusal: what can be done from the state, if anything."""
    if allowed_actions:
        return f"From {state} you can: {', '.join(allowed_actions)}."
    return f"Nothing more can be done to a {state} {noun}."


@dataclass
class RuleViolation(DomainError):
    """Well-formed input that breaks one of the organisation's rules (HTTP 422)."""

    title: str = "Rule violated"
    code: str = "rule-violated"
    rule: str | None = None


@dataclass
class InvalidInput(DomainError):
    title: str = "Invalid input"
    code: str = "invalid-input"


@dataclass
class PreconditionRequired(DomainError):
    title: str = "Precondition required"
    code: str = "precondition-required"


@dataclass
class PreconditionFailed(DomainError):
    title: str = "Precondition failed"
    code: str = "precondition-failed"


@dataclass
class OAuthError(DomainError):
    """A token request refused in the terms of RFC 6749 section 5.2."""

    title: str = "Token request refused"
    code: str = "oauth"
    error: str = "invalid_request"  # invalid_request, invalid_client, invalid_grant, ...


@dataclass
class Unavailable(DomainError):
    """Something GPS depends on failed for now; the caller should retry (HTTP 503)."""

    title: str = "Temporarily unavailable"
    code: str = "unavailable"


@dataclass
class BadRequest(DomainError):
    """A request GPS cannot read at all, such as a body that is not JSON (HTTP 400)."""

    title: str = "Bad request"
    code: str = "bad-request"


@dataclass
class TooManyRequests(DomainError):
    """The caller already has as much of something in progress as one caller may (HTTP 429,
    with Retry-After)."""

    title: str = "Too many requests"
    code: str = "too-many-requests"
    retry_after: int = 1

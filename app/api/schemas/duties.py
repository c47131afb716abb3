"""Separation of duties: set-password links, own password changes, role changes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, SecretStr

from app.api.schemas.common import Input, Output
from app.domain.vocabulary import Role, RoleChangeKind, RoleChangeStatus
from app.services.kit.fields import Password, Reason


class PasswordLinkRead(Output):
    """A one-time set-password link. The token is shown this once and never stored: give it
    to the person, who sends it with their new password to `POST /v1/auth/set-password`."""

    person_id: int
    token: str = Field(description="Shown once. Valid once, until `expires_at`.")
    expires_at: datetime
    use_with: str = Field(default="POST /v1/auth/set-password",
                          description="Where the person uses the token")


class SetPassword(Input):
    token: Annotated[str, Field(min_length=1, max_length=200,
                                description="The token from the set-password link")]
    password: Password


class OwnPasswordChange(Input):
    current_password: Annotated[SecretStr, Field(min_length=1, max_length=256,
                                                 description="Write-only.")]
    new_password: Password


class RoleChangeCreate(Input):
    person_id: Annotated[int, Field(ge=1, le=2**31 - 1)]
    role: Role = Field(description="`admin` or `case_manager`; other roles change with "
                                   "PATCH /v1/people/{person_id}")
    change: RoleChangeKind
    reason: Reason


class RoleChangeDecision(Input):
    reason: Reason | None = None


class RoleChangeRead(Output):
    id: int
    person_id: int
    role: Role
    change: RoleChangeKind
    reason: str
    status: RoleChangeStatus
    proposed_by_id: int
    proposed_at: datetime
    decided_by_id: int | None
    decided_at: datetime | None
    decision_reason: str | None

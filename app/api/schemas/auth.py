"""Tokens and identity."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from app.api.schemas.common import Output
from app.api.schemas.people import PersonRead
from app.domain.vocabulary import Role


class TokenResponse(Output):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the token expires")
    scope: str = Field(description="The scopes granted, separated by spaces")


class RevokeResult(Output):
    revoked: bool = True


class Relationships(Output):
    line_manager_id: int | None
    buddy_id: int | None
    report_ids: list[int] = Field(description="Direct reports")
    team_ids: list[int] = Field(description="Teams I am a member of")
    led_team_ids: list[int] = Field(description="Teams I am delivery manager or product owner of")


class MeRead(Output):
    kind: Literal["person", "service_account"]
    name: str
    person: PersonRead | None = Field(description="Present when signed in as a person")
    client_id: str | None = Field(description="Present when signed in as a service account")
    roles: list[Role]
    scopes: list[str]
    relationships: Relationships | None

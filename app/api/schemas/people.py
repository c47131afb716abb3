"""People: what is sent and what comes back."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, model_validator

from app.api.schemas.common import Flag, Input, IsoDate, Output, RecordId
from app.domain.access import NO_PASSWORD
from app.domain.vocabulary import Band, PersonKind, Role
from app.services.kit.fields import (Email, EmployeeNumber, GithubLogin, JiraAccountId, Name,
                                 Reason)
from app.services.org.people import NewPerson, PersonChanges, PersonView

PersonId = RecordId


class PersonCreate(Input):
    name: Name
    email: Email
    kind: PersonKind
    band: Band | None = None
    line_manager_id: PersonId | None = None
    buddy_id: PersonId | None = Field(default=None, description="Apprentices only")
    roles: list[Role] = Field(default_factory=list, max_length=4)
    employee_number: EmployeeNumber | None = Field(
        default=None, description="HR identifier; a string, leading zeros kept")
    jira_account_id: JiraAccountId | None = None
    github_login: GithubLogin | None = None
    started_on: IsoDate | None = Field(
        default=None, description="First day of employment; today if not given. Nobody is "
                                  "judged on a period that began before it")
    override_reason: Reason | None = Field(
        default=None, description="Admins only: why a line-management matrix rule is overridden")

    @model_validator(mode="before")
    @classmethod
    def _no_password(cls, data: Any) -> Any:
        return _refuse_password(data)

    def values(self) -> NewPerson:
        return NewPerson(**self.model_dump(exclude={"override_reason"}))


_NOT_NULL = ("name", "email", "kind", "roles", "active", "started_on")


def _refuse_password(data: Any) -> Any:
    """Nobody sets another person's password: say what to do instead of "unknown field"."""
    if isinstance(data, dict) and "password" in data:
        raise ValueError(NO_PASSWORD.format(person_id="{person_id}"))
    return data


class PersonUpdate(Input):
    """A JSON merge patch: only the fields sent are changed; null clears an optional field."""

    name: Name | None = None
    email: Email | None = None
    kind: PersonKind | None = None
    band: Band | None = None
    line_manager_id: PersonId | None = None
    buddy_id: PersonId | None = None
    roles: list[Role] | None = Field(default=None, max_length=4)
    employee_number: EmployeeNumber | None = None
    jira_account_id: JiraAccountId | None = None
    github_login: GithubLogin | None = None
    active: Flag | None = None
    started_on: IsoDate | None = None
    left_on: IsoDate | None = Field(
        default=None, description="Last day of employment (set to today when the person is "
                                  "deactivated without one); null clears it")
    override_reason: Reason | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_password(cls, data: Any) -> Any:
        return _refuse_password(data)

    @model_validator(mode="after")
    def _required_fields_not_null(self) -> PersonUpdate:
        for name in _NOT_NULL:
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def changes(self) -> PersonChanges:
        return PersonChanges(**{k: getattr(self, k) for k in self.model_fields_set
                                if k != "override_reason"})


class Visibility(StrEnum):
    full = "full"
    directory = "directory"


class PersonRead(Output):
    """A person. Fields marked *personal* are null unless `visibility` is `full` (the person,
    their management chain, and admins)."""

    id: int
    name: str
    email: str
    kind: PersonKind
    band: Band | None
    line_manager_id: int | None
    team_ids: list[int]
    active: bool
    visibility: Visibility
    buddy_id: int | None = Field(description="Personal")
    employee_number: str | None = Field(description="Personal")
    jira_account_id: str | None = Field(description="Personal")
    github_login: str | None = Field(description="Personal")
    roles: list[Role] | None = Field(description="Personal")
    has_login: bool | None = Field(description="Personal: whether a local password is set")
    started_on: date | None = Field(description="Personal: first day of employment")
    left_on: date | None = Field(description="Personal: last day of employment, if they left")
    created_at: datetime | None = Field(description="Personal")
    updated_at: datetime | None = Field(description="Personal")

    @classmethod
    def of(cls, v: PersonView) -> PersonRead:
        p = v.person
        personal: dict[str, Any] = dict(
            buddy_id=p.buddy_id, employee_number=p.employee_number,
            jira_account_id=p.jira_account_id, github_login=p.github_login, roles=p.roles,
            has_login=p.password_hash is not None, started_on=p.started_on, left_on=p.left_on,
            created_at=p.created_at, updated_at=p.updated_at,
        ) if v.full else dict.fromkeys(
            ("buddy_id", "employee_number", "jira_account_id", "github_login", "roles",
             "has_login", "started_on", "left_on", "created_at", "updated_at"))
        return cls(id=p.id, name=p.name, email=p.email, kind=p.kind, band=p.band,
                   line_manager_id=p.line_manager_id, team_ids=v.team_ids, active=p.active,
                   visibility=Visibility.full if v.full else Visibility.directory, **personal)


class ImportReport(Output):
    created: int
    dry_run: bool
    people: list[PersonRead]


class Activity(Input):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    responsibility: Annotated[str, Field(min_length=1, max_length=200,
                                         description="A responsibility from the band matrix, "
                                                     "e.g. 'Code Reviews'")]


class TimeAllocationRequest(Input):
    activities: list[Activity] = Field(min_length=1, max_length=100)


class RankedActivity(Output):
    rank: int
    name: str
    responsibility: str
    column: Band | None = Field(description="The matrix column the responsibility comes from")
    distance: int | None = Field(description="0 for the person's own column, 1 for the one "
                                             "below, ...; null when outside the person's role")


class TimeAllocation(Output):
    person_id: int
    band: Band
    rule: str
    activities: list[RankedActivity]

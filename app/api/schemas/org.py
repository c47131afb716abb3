"""Bands, teams, absences and service accounts: what is sent and what comes back."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StrictInt, model_validator

from app.api.schemas.common import Input, IsoDate, Output
from app.api.schemas.common import RecordId as PersonId
from app.domain import bands as band_rules
from app.domain.scopes import SERVICE_ACCOUNT_GRANTABLE
from app.domain.vocabulary import AbsenceKind, Band
from app.services.kit.fields import Name, Note
from app.services.org.teams import NewTeam, TeamChanges, TeamView

BoardId = Annotated[StrictInt, Field(ge=1, le=2**31 - 1)]
GrantableScope = Annotated[str, Field(json_schema_extra={"enum": sorted(SERVICE_ACCOUNT_GRANTABLE)})]


class ResponsibilityRead(Output):
    area: str
    name: str
    band: Band = Field(description="The band whose column of the matrix this comes from")


class BandRead(Output):
    band: Band
    title: str
    focus: str
    responsibilities: list[ResponsibilityRead] = Field(description="The band's own column")
    role: list[ResponsibilityRead] = Field(
        description="The whole role: own responsibilities and those of every band below")

    @classmethod
    def of(cls, profile: band_rules.BandProfile) -> BandRead:
        def rows(items: Sequence[band_rules.Responsibility]) -> list[ResponsibilityRead]:
            return [ResponsibilityRead(area=r.area.value, name=r.name, band=r.band)
                    for r in items]
        return cls(band=profile.band, title=profile.title, focus=profile.focus,
                   responsibilities=rows(profile.own), role=rows(band_rules.cumulative(profile.band)))


class TeamCreate(Input):
    name: Name
    delivery_manager_id: PersonId | None = None
    product_owner_id: PersonId | None = None
    member_ids: list[PersonId] = Field(default_factory=list, max_length=500)
    members_since: IsoDate | None = Field(
        default=None, description="The day the members added by this change joined the team "
                                  "(today if not given; not after today). Sprints are judged "
                                  "with the team as it was")
    jira_board_ids: list[BoardId] = Field(default_factory=list, max_length=50)
    sprint_length_days: StrictInt = Field(default=14, ge=1, le=56)
    sprint_anchor_date: IsoDate | None = Field(
        default=None, description="The first day of any one sprint, for when Jira does not say")

    def values(self) -> NewTeam:
        return NewTeam(**self.model_dump())


class TeamUpdate(Input):
    name: Name | None = None
    delivery_manager_id: PersonId | None = None
    product_owner_id: PersonId | None = None
    member_ids: list[PersonId] | None = Field(default=None, max_length=500)
    members_since: IsoDate | None = Field(
        default=None, description="The day the members added by this change joined the team "
                                  "(today if not given; not after today). Sprints are judged "
                                  "with the team as it was")
    jira_board_ids: list[BoardId] | None = Field(default=None, max_length=50)
    sprint_length_days: StrictInt | None = Field(default=None, ge=1, le=56)
    sprint_anchor_date: IsoDate | None = None

    @model_validator(mode="after")
    def _required_fields_not_null(self) -> TeamUpdate:
        for name in ("name", "member_ids", "jira_board_ids", "sprint_length_days",
                     "members_since"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def changes(self) -> TeamChanges:
        return TeamChanges(**{k: getattr(self, k) for k in self.model_fields_set})


class TeamRead(Output):
    id: int
    name: str
    delivery_manager_id: int | None
    product_owner_id: int | None
    member_ids: list[int]
    jira_board_ids: list[int]
    sprint_length_days: int
    sprint_anchor_date: date | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, v: TeamView) -> TeamRead:
        t = v.team
        return cls(id=t.id, name=t.name, delivery_manager_id=t.delivery_manager_id,
                   product_owner_id=t.product_owner_id, member_ids=v.member_ids,
                   jira_board_ids=v.jira_board_ids, sprint_length_days=t.sprint_length_days,
                   sprint_anchor_date=t.sprint_anchor_date, created_at=t.created_at,
                   updated_at=t.updated_at)


class AbsenceCreate(Input):
    person_id: PersonId
    kind: AbsenceKind
    start_date: IsoDate
    end_date: IsoDate
    note: Note | None = None


class AbsenceRead(Output):
    id: int
    person_id: int
    kind: AbsenceKind
    start_date: date
    end_date: date
    note: str | None
    recorded_by_id: int | None
    confirmed_at: datetime | None = Field(
        description="When it was confirmed; until then (a long absence the person recorded) "
                    "it excuses nothing")
    confirmed_by_id: int | None
    created_at: datetime


class ServiceAccountCreate(Input):
    name: Name
    scopes: list[GrantableScope] = Field(min_length=1, max_length=10)


class ServiceAccountRead(Output):
    id: int
    name: str
    client_id: str
    scopes: list[str]
    created_at: datetime
    revoked_at: datetime | None


class ServiceAccountCreated(ServiceAccountRead):
    client_secret: str = Field(description="Shown only in this response: store it now")

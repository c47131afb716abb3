"""Policy versions, periods, evaluations, target results and triggers."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import Field, StrictInt, model_validator

from app.api.schemas.common import Flag, Input, IsoDate, Output, json_decimal
from app.domain.vocabulary import (Band, Metric, Outcome, PeriodType, PersonKind,
                                   TriggerDirection, TriggerStatus)
from app.services.kit.fields import Name
from app.services.support.policies import NewPolicy, PolicyChanges, TargetSpec

Count = Annotated[StrictInt, Field(ge=1, le=52)]
Threshold = Annotated[Decimal, *json_decimal(ge=0, le=10_000)]
ExcusedShare = Annotated[Decimal, *json_decimal(
    gt=0, le=1, description="A period is excused when absence covers more than this share of "
                            "its working days")]


class TargetIn(Input):
    metric: Metric
    period: PeriodType
    threshold: Threshold
    bands: list[Band] = Field(default_factory=list, max_length=5,
                              description="Bands it applies to; empty means every band")
    kinds: list[PersonKind] = Field(default_factory=list, max_length=3,
                                    description="Kinds of person it applies to; empty means all")
    stretch: Flag = Field(default=False, description="Reported, never counts against anyone")

    def values(self) -> TargetSpec:
        return TargetSpec(metric=self.metric, period=self.period, threshold=self.threshold,
                          bands=[b.value for b in self.bands],
                          kinds=[k.value for k in self.kinds], stretch=self.stretch)


class PolicyCreate(Input):
    name: Name
    effective_from: IsoDate
    effective_to: IsoDate | None = None
    production_streak_sprints: Count = Field(default=3, description="N: sprints in a row "
                                                                    "shipping to production "
                                                                    "for recognition")
    missed_streak_periods: Count = Field(default=3, description="K: the same target missed "
                                                                "this many periods running "
                                                                "proposes support")
    case_window_days: Annotated[StrictInt, Field(ge=1, le=730)] = Field(
        default=183, description="Fairness gate: a negative trigger within this many days")
    case_min_interventions: Annotated[StrictInt, Field(ge=1, le=20)] = Field(
        default=2, description="Fairness gate: supportive interventions completed since it")
    case_min_support_days: Annotated[StrictInt, Field(ge=0, le=365)] = Field(
        default=28, description="Fairness gate: each of them lasting at least this many days "
                                "from agreed to completed")
    absence_confirm_days: Annotated[StrictInt, Field(ge=1, le=366)] = Field(
        default=14, description="An absence a person records that is longer than this many "
                                "days excuses nothing until their line manager confirms it")
    excused_share: ExcusedShare = Field(default=Decimal("0.5"),
                                        json_schema_extra={"default": 0.5})
    targets: list[TargetIn] = Field(default_factory=list, max_length=50)

    def values(self) -> NewPolicy:
        return NewPolicy(**self.model_dump(exclude={"targets"}))


class PolicyUpdate(Input):
    name: Name | None = None
    effective_from: IsoDate | None = None
    effective_to: IsoDate | None = None
    production_streak_sprints: Count | None = None
    missed_streak_periods: Count | None = None
    case_window_days: Annotated[StrictInt, Field(ge=1, le=730)] | None = None
    case_min_interventions: Annotated[StrictInt, Field(ge=1, le=20)] | None = None
    case_min_support_days: Annotated[StrictInt, Field(ge=0, le=365)] | None = None
    absence_confirm_days: Annotated[StrictInt, Field(ge=1, le=366)] | None = None
    excused_share: ExcusedShare | None = None
    targets: list[TargetIn] | None = Field(default=None, max_length=50,
                                           description="When sent, replaces every target")

    @model_validator(mode="after")
    def _not_null(self) -> PolicyUpdate:
        for name in self.model_fields_set - {"effective_to"}:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def changes(self) -> PolicyChanges:
        return PolicyChanges(**{k: getattr(self, k) for k in self.model_fields_set - {"targets"}})


class TargetRead(Output):
    id: int
    metric: Metric
    period: PeriodType
    threshold: float
    bands: list[str]
    kinds: list[str]
    stretch: bool


class PolicyRead(Output):
    id: int
    name: str
    effective_from: date
    effective_to: date | None
    production_streak_sprints: int
    missed_streak_periods: int
    case_window_days: int
    case_min_interventions: int
    case_min_support_days: int
    absence_confirm_days: int
    excused_share: float
    locked: bool = Field(description="Used by a closed evaluation: it can no longer change")
    targets: list[TargetRead]
    created_at: datetime
    updated_at: datetime


class PeriodRead(Output):
    type: PeriodType
    key: str
    start: date
    end: date
    team_id: int | None
    sprint_id: int | None = Field(description="The Jira sprint's id, for Jira sprints")


class EvaluationRequest(Input):
    period_type: PeriodType
    period_key: Annotated[str, Field(min_length=6, max_length=40, examples=["2026-W48"],
                                     description="`2026-W48`, `2026-Q4`, `jira-<sprint id>` or "
                                                 "`team<team id>-<YYYY-MM-DD>`")]


class EvaluationRead(Output):
    id: int
    period_type: PeriodType
    period_key: str
    period_start: date
    period_end: date
    policy_version_id: int
    status: str = Field(description="open (re-run it as often as you like) or closed (frozen)")
    runs: int
    evaluated_at: datetime | None
    closed_at: datetime | None
    stale_since: datetime | None = Field(
        description="When a fact inside the period changed after the last run (evidence, "
                    "absence, an objective, a one-to-one, someone's employment); run it again "
                    "(`gps evaluate --stale` does so for every such evaluation)")
    counts: dict[str, int] = Field(description="Results by outcome (as decided)")
    corrected: int = Field(description="Closed evaluations: results whose facts have changed "
                                       "since, each with a `correction`")


class ResultCorrection(Output):
    outcome: Outcome
    measured: float
    evidence_ids: list[int]
    objective_ids: list[int]
    one_to_one_ids: list[int]
    at: datetime = Field(description="When the changed facts were first seen")


class TargetResultRead(Output):
    id: int
    person_id: int
    target_id: int
    policy_version_id: int
    metric: Metric
    stretch: bool
    period_type: PeriodType
    period_key: str
    period_start: date
    period_end: date
    outcome: Outcome
    measured: float
    threshold: float
    evidence_ids: list[int] = Field(description="Evidence records counted")
    objective_ids: list[int] = Field(description="Completed objectives counted")
    one_to_one_ids: list[int] = Field(description="One-to-ones counted")
    correction: ResultCorrection | None = Field(
        description="Closed evaluations only: what this result would be on today's facts, "
                    "when they have changed since it was decided")


class TriggerRead(Output):
    id: int
    person_id: int
    direction: TriggerDirection
    rule: str
    policy_version_id: int | None
    evidence_ids: list[int] = Field(description="Evidence records it stands on")
    objective_ids: list[int] = Field(description="Objectives it stands on")
    summary: str
    details: dict
    fired_at: datetime
    status: TriggerStatus = Field(description="live, or withdrawn when its facts changed")
    withdrawn_at: datetime | None
    withdrawn_reason: str | None

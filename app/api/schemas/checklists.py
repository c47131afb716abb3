"""Checklists and their templates: what is sent and what comes back."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field

from app.api.schemas.common import Flag, Input, IsoDate, Output
from app.domain.checklists import ChecklistPeriodType, ItemState
from app.services.oversight.checklists import ChecklistView

PeriodKey = Annotated[str, Field(min_length=4, max_length=10, examples=["2026-W48"],
                                 description="A week (2026-W48), a month (2026-11), a quarter "
                                             "(2026-Q4) or `once`")]
SituationName = Annotated[str, Field(min_length=1, max_length=50,
                                     pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$",
                                     examples=["weekly-developer"])]
ItemKey = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[a-z0-9_]+$",
                               examples=["participation"])]
RuleName = Annotated[str, Field(min_length=1, max_length=80,
                                description="An auto-tick rule GPS knows")]


class ItemRead(Output):
    key: str
    text: str
    auto: bool = Field(description="Whether the item ticks itself from the data")
    rule: str | None = Field(description="The auto-tick rule (auto items only)")
    done: bool
    source: str = Field(description="`auto`: worked out from what GPS records (it unticks if "
                                    "that is undone); `hand`: ticked by the person")
    figure: str | None = Field(description="For auto items, the figure behind the tick")

    @classmethod
    def of(cls, item: ItemState) -> ItemRead:
        return cls(key=item.key, text=item.text, auto=item.rule is not None, rule=item.rule,
                   done=item.done, source=item.source, figure=item.figure)


class ChecklistRead(Output):
    situation: str
    title: str
    period_type: ChecklistPeriodType
    period_key: str
    period_start: date
    period_end: date
    template_version: int
    done: int = Field(description="Items done")
    total: int = Field(description="Items in the checklist")
    items: list[ItemRead]

    @classmethod
    def of(cls, view: ChecklistView) -> ChecklistRead:
        return cls(situation=view.situation, title=view.title, period_type=view.period.type,
                   period_key=view.period.key, period_start=view.period.start,
                   period_end=view.period.end, template_version=view.template_version,
                   done=sum(1 for i in view.items if i.done), total=len(view.items),
                   items=[ItemRead.of(i) for i in view.items])


class ChecklistsRead(Output):
    person_id: int
    checklists: list[ChecklistRead]


class TickUpdate(Input):
    done: Flag


class TemplateItem(Input):
    key: ItemKey
    text: Annotated[str, Field(min_length=1, max_length=500)]
    auto: RuleName | None = Field(default=None, description="An auto-tick rule, or null for "
                                                            "an item ticked by hand")


class TemplateCreate(Input):
    situation: SituationName
    title: Annotated[str, Field(min_length=1, max_length=200)]
    period_type: ChecklistPeriodType
    effective_from: IsoDate = Field(description="In force for periods starting on or after "
                                                "this day (until a later version is)")
    items: list[TemplateItem] = Field(min_length=1, max_length=30)


class TemplateItemRead(Output):
    key: str
    text: str
    auto: str | None


class TemplateRead(Output):
    id: int
    situation: str
    title: str
    period_type: ChecklistPeriodType
    version: int
    effective_from: date
    items: list[TemplateItemRead]
    created_by_id: int | None
    created_at: datetime

"""Webhook receipts, stored deliveries, and the HR feed's items."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from app.api.schemas.common import Output


class DeliveryReceipt(Output):
    delivery_id: str
    duplicate: bool = Field(description="True when this delivery was received before; nothing "
                                        "was changed")
    status: str = Field(description="applied, ignored, unmatched, awaiting_deploy or superseded "
                                    "(an older event than one already applied: stored, "
                                    "nothing changed)")
    detail: str


class DeliveryRead(Output):
    id: int
    source: Literal["jira", "github"]
    delivery_id: str
    event_type: str
    received_at: datetime
    status: str = Field(description="received, applied, ignored, unmatched, awaiting_deploy, "
                                    "superseded or failed")
    detail: str | None
    subjects: list[str] = Field(description="Who the delivery is about, for matching later")
    applied_at: datetime | None
    attempts: int


class ReplayResult(Output):
    replayed: int = Field(description="Deliveries applied again")
    applied: int = Field(description="Of those, how many now applied fully")


class HrFeedItem(Output):
    event_id: int
    type: Literal["objective.completed", "objective.reopened"]
    occurred_at: datetime
    objective_id: int
    title: str
    quarter: str
    twenty_percent_time: bool
    quality_dashboard_outcome: str | None
    person_id: int
    employee_number: str | None = Field(description="The HR identifier, a string (leading "
                                                    "zeros kept)")


class HrFeedPage(Output):
    items: list[HrFeedItem]
    next_cursor: str = Field(description="Always present: pass it as `cursor` next time to "
                                         "resume right after the last event of this page")
    has_more: bool = Field(description="True when more events are waiting now; false when "
                                       "you are up to date (poll again later with next_cursor)")

"""Consultation on policy versions: the window, comments and replies."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field, StrictInt, StringConstraints

from app.api.schemas.common import Flag, Input, IsoDateTime, Output
from app.services.support.consultations import DEFAULT_DAYS, MAX_DAYS, CommentView, ConsultationView

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


class ConsultationOpen(Input):
    days: Annotated[StrictInt, Field(ge=1, le=MAX_DAYS)] = Field(
        default=DEFAULT_DAYS, description="How long comments are taken")
    opens_at: IsoDateTime | None = Field(default=None, description="Default now; not in the past")


class CommentCreate(Input):
    body: Text
    anonymous: Flag = Field(default=False, description="Hide your name from everyone but "
                                                       "policy admins")


class ReplyCreate(Input):
    reply: Text


class CommentRead(Output):
    id: int
    author_id: int | None = Field(description="Null on anonymous comments, except to admins")
    author_name: str | None
    anonymous: bool
    mine: bool = Field(description="You wrote it")
    body: str
    reply: str | None
    replied_by_id: int | None
    replied_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, view: CommentView) -> CommentRead:
        c = view.comment
        return cls(id=c.id, author_id=view.author_id, author_name=view.author_name,
                   anonymous=c.anonymous, mine=view.mine, body=c.body, reply=c.reply,
                   replied_by_id=c.replied_by_id, replied_at=c.replied_at,
                   created_at=c.created_at)


class ConsultationRead(Output):
    id: int
    policy_id: int
    policy_name: str
    effective_from: date = Field(description="When the version would take effect: never "
                                             "before the window closes")
    opens_at: datetime
    closes_at: datetime
    state: Literal["upcoming", "open", "closed"]
    comments: list[CommentRead]
    allowed_actions: list[str] = Field(description=(
        "What you may do now: `comment` while the window is open (people), `reply` to a "
        "comment (policy admins)"))

    @classmethod
    def of(cls, view: ConsultationView) -> ConsultationRead:
        c, v = view.consultation, view.version
        return cls(id=c.id, policy_id=v.id, policy_name=v.name,
                   effective_from=v.effective_from, opens_at=c.opens_at, closes_at=c.closes_at,
                   state=view.state, comments=[CommentRead.of(x) for x in view.comments],
                   allowed_actions=view.allowed_actions)

"""Interventions, the recognition digest and the praise preference: what is sent and what
comes back."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field

from app.api.schemas.common import CREATED_BY, UPDATED_BY, Flag, Input, Output, RecordId
from app.domain.vocabulary import (InterventionKind, InterventionStatus, SupportRequestKind,
                                   TriggerRule)
from app.services.oversight.digest import Digest
from app.services.kit.fields import Note, Reason
from app.services.support.interventions import InterventionView

Summary = Annotated[str, Field(min_length=1, max_length=2000)]


class InterventionCreate(Input):
    person_id: RecordId = Field(description="Who the support or recognition is for: one of "
                                            "your reports")
    kind: InterventionKind = Field(description="A supportive kind (proposed, for the person to "
                                               "agree to or decline) or `recognition` "
                                               "(recorded as completed)")
    summary: Summary = Field(description="What is offered, or what is recognised, in kind "
                                         "words")
    notes: Note = ""


class SupportRequestCreate(Input):
    kind: SupportRequestKind = Field(description="The support you would like")
    words: Summary = Field(description="What you would like help with, in your own words")
    shared: Flag = Field(default=False, description="false (the default): only you and your "
                                                    "line manager see it; true: so do those "
                                                    "who read your interventions (your "
                                                    "management chain, coach and buddy)")


class SupportRequestSharing(Input):
    shared: Flag = Field(description="true: share it with those who read your interventions; "
                                     "false: only you and your line manager")


class DeclineRequest(Input):
    reason: Reason = Field(description="Why not, in your own words")


class CompleteRequest(Input):
    note: Note | None = Field(default=None, description="How it went")


class InterventionRead(Output):
    id: int
    person_id: int
    kind: InterventionKind
    status: InterventionStatus
    allowed_actions: list[str] = Field(description="The lifecycle actions you may take now "
                                                   "(none for a recognition)")
    trigger_id: int | None = Field(description="The trigger that led to it, if any")
    proposed_to_id: int | None = Field(description="The line manager the support was "
                                                   "proposed to")
    summary: str
    notes: str = Field(description="Notes, with the reason if declined and the note on "
                                   "completion, one per line")
    created_by_id: int | None = Field(description="Who recorded it by hand; null when a "
                                                  "trigger did (the same as `created_by`)")
    created_by: int | None = CREATED_BY
    updated_by: int | None = UPDATED_BY
    agreed_at: datetime | None
    completed_at: datetime | None
    outcome_note: str | None = Field(description="What came of the support, recorded on "
                                                 "completion")
    withdrawn_at: datetime | None = Field(description="When it was withdrawn because the "
                                                      "trigger behind it no longer stands")
    withdrawn_reason: str | None
    trigger_withdrawn_at: datetime | None = Field(
        description="Support already agreed or under way when the trigger behind it was "
                    "withdrawn: it goes on, but its reason changed then")
    requested_by_id: int | None = Field(description="The person, when they asked for this "
                                                    "support themselves")
    shared: bool = Field(description="A person's own request: whether they share it beyond "
                                     "their line manager")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, v: InterventionView) -> InterventionRead:
        i = v.intervention
        return cls(**{k: getattr(i, k) for k in (
            "id", "person_id", "kind", "status", "trigger_id", "proposed_to_id", "summary",
            "notes", "created_by_id", "agreed_at", "completed_at", "outcome_note",
            "withdrawn_at", "withdrawn_reason", "trigger_withdrawn_at", "requested_by_id",
            "shared", "created_at", "updated_at")},
            allowed_actions=v.allowed_actions, created_by=i.created_by_id,
            updated_by=i.updated_by_id)


class PraisePreferenceUpdate(Input):
    opt_out: Flag = Field(description="true: leave me out of the recognition digest")


class PraisePreference(Output):
    person_id: int
    opt_out: bool = Field(description="Left out of the recognition digest")


class RecognitionEntry(Output):
    person_id: int
    name: str
    summary: str
    rule: TriggerRule | None = Field(description="The positive trigger behind it; null when "
                                                 "the line manager recorded it by hand")
    on: date = Field(description="The day it was recognised")


class TeamRecognitions(Output):
    team_id: int | None = Field(description="Null for people in no team")
    team_name: str
    recognitions: list[RecognitionEntry]


class RecognitionDigest(Output):
    """The period's recognitions team by team, for the head of department's update. Nobody
    is ranked; people who opted out of public praise are left out."""

    start: date = Field(alias="from", description="First day, inclusive")
    end: date = Field(alias="to", description="Last day, inclusive")
    teams: list[TeamRecognitions] = Field(description="Teams by name, then “Across the "
                                                      "department” for people in no team; a "
                                                      "person in several teams is under each")
    total: int = Field(description="Recognitions in the period, each counted once")

    @classmethod
    def of(cls, d: Digest) -> RecognitionDigest:
        teams = [TeamRecognitions(
            team_id=t.team_id, team_name=t.team_name,
            recognitions=[RecognitionEntry(person_id=r.person_id, name=r.name,
                                           summary=r.summary, rule=r.rule, on=r.on)
                          for r in t.recognitions]) for t in d.teams]
        return cls.model_validate({"from": d.start, "to": d.end, "teams": teams,
                                   "total": d.total})

"""The recognition digest: the good news for the head of department's periodic update, team
by team (policy 5.4: "if a developer completes an objective then Sean should mention this in
the next update he delivers"), and each person's choice to stay out of it.

No ranking and no counts per person: the digest lists what went well, team by team. People who
opted out of public praise are left out. It costs one query however much there is to tell.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select as core_select
from sqlmodel import Session, col

from app.db.models import Person, Team, TeamMember, id_column
from app.db.oversight import DigestView
from app.db.support import Intervention, Trigger
from app.db.types import utcnow
from app.domain.errors import Forbidden, NotFound, RuleViolation
from app.domain.access import (PRAISE_CHOSEN_BY_THE_PERSON, Action, Actor, Record, authorize,
                               no_such, require_scope)
from app.domain.scopes import Scope
from app.domain.vocabulary import InterventionKind, InterventionStatus
from app.services.kit import audit
from app.services.org import people
from app.services.access.relationships import relations_to

DEFAULT_DAYS = 30
ACROSS_THE_DEPARTMENT = "Across the department"


@dataclass(frozen=True)
class Recognition:
    id: int
    person_id: int
    name: str
    summary: str
    rule: str | None  # None for a recognition a line manager recorded by hand
    on: date


@dataclass(frozen=True)
class TeamRecognitions:
    team_id: int | None  # None: people in no team
    team_name: str
    recognitions: list[Recognition]


@dataclass(frozen=True)
class Digest:
    start: date
    end: date
    teams: list[TeamRecognitions]
    total: int  # recognitions listed (each once, however many teams its person is in)


def default_range(start: date | None, end: date | None, *, today: date) -> tuple[date, date]:
    """`to` defaults to today and `from` to 30 days ending on `to`."""
    end = end or today
    span = timedelta(days=DEFAULT_DAYS - 1)
    start = start or (end - span if end - date.min >= span else date.min)
    if end < start:
        raise RuleViolation(detail="to: the range ends before it starts; `to` must be on or "
                                   "after `from` (rule DIGEST-RANGE).", rule="DIGEST-RANGE",
                            extra={"field": "to"})
    return start, end


def recognition_digest(session: Session, actor: Actor, *, start: date | None,
                       end: date | None) -> Digest:
    """The period's recognitions, team by team (the head of department)."""
    require_scope(actor, Scope.digest)
    if actor.person_id is not None:  # reading it ticks the head of department's checklist
        record_view(session, person_id=actor.person_id)
    start, end = default_range(start, end, today=utcnow().date())
    rows = session.execute(
        core_select(id_column(Intervention.id), col(Intervention.person_id), col(Person.name),
                    col(Intervention.summary), col(Trigger.rule), col(Intervention.completed_at),
                    col(Team.id), col(Team.name))
        .join(Person, col(Person.id) == col(Intervention.person_id))
        .outerjoin(Trigger, col(Trigger.id) == col(Intervention.trigger_id))
        .outerjoin(TeamMember, col(TeamMember.person_id) == col(Intervention.person_id))
        .outerjoin(Team, col(Team.id) == col(TeamMember.team_id))
        .where(col(Intervention.kind) == InterventionKind.recognition.value,
               col(Intervention.status) == InterventionStatus.completed.value,
               col(Intervention.completed_at) >= datetime.combine(start, time.min, UTC),
               col(Intervention.completed_at) <= datetime.combine(end, time.max, UTC),
               col(Person.praise_opt_out).is_(False))
        .order_by(col(Intervention.completed_at), col(Intervention.id))).all()
    by_team: dict[tuple[int, str] | None, list[Recognition]] = defaultdict(list)
    listed: set[int] = set()
    for rid, person_id, name, summary, rule, at, team_id, team_name in rows:
        listed.add(rid)
        by_team[(team_id, team_name) if team_id is not None else None].append(
            Recognition(rid, person_id, name, summary, rule, at.date()))
    teams = [TeamRecognitions(key[0], key[1], by_team[key])
             for key in sorted((k for k in by_team if k is not None),
                               key=lambda k: (k[1].casefold(), k[0]))]
    if None in by_team:
        teams.append(TeamRecognitions(None, ACROSS_THE_DEPARTMENT, by_team[None]))
    return Digest(start, end, teams, len(listed))


# --- the person's choice -----------------------------------------------------------------------


def _own_choice(session: Session, actor: Actor, person_id: int) -> Person:
    """Whether to be praised in public is the person's own call, like agreeing to support."""
    require_scope(actor, Scope.interventions)
    person = people.get_or_404(session, person_id)
    try:
        authorize(actor, Record.intervention, Action.agree, relations_to(session, actor, person),
                  what="person")
    except NotFound:
        raise NotFound(detail=no_such("person", person_id)) from None
    except Forbidden:
        raise Forbidden(detail=PRAISE_CHOSEN_BY_THE_PERSON) from None
    return person


def praise_preference(session: Session, actor: Actor, person_id: int) -> Person:
    return _own_choice(session, actor, person_id)


def set_praise_preference(session: Session, actor: Actor, person_id: int, *,
                          opt_out: bool) -> Person:
    """Leave a person out of public praise, or bring them back (the person themselves)."""
    person = _own_choice(session, actor, person_id)
    if person.praise_opt_out != opt_out:
        before = person.praise_opt_out
        person.praise_opt_out = opt_out
        person.version += 1  # the person's ETag changes with any change to them
        person.updated_at = utcnow()
        session.add(person)
        session.flush()
        audit.record(session, actor=actor, action="person.update", target_type="person",
                     target_id=person.id, detail={
                         "fields": ["praise_opt_out"],
                         "changes": {"praise_opt_out": {"before": before, "after": opt_out}}})
    return person


def record_view(session: Session, *, person_id: int) -> DigestView:
    """Note that someone read the recognition digest (the head of department's monthly
    checklist ticks itself from this). Call it in the digest request's unit of work."""
    view = DigestView(person_id=person_id, viewed_at=utcnow())
    session.add(view)
    session.flush()
    return view

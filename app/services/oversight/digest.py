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

from sqlmodel import Session, select

from app.db.models import Person, Team, TeamMember
from app.db.oversight import DigestView
from app.db.support import Intervention, Trigger
from app.db.types import utcnow
from app.domain.errors import Forbidden, NotFound, RuleViolation
from app.domain.access import Action, Actor, Record, authorize, require_scope
from app.domain.scopes import Scope
from app.domain.vocabulary import InterventionKind, InterventionStatus
from app.services.kit import audit
from app.services.org import people
# One way to write dates and to escape recorded text in Markdown: the CPD record's.
from app.services.kit.markdown import MONTHS as _MONTHS, day as _day, text as _text
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
    rows = session.exec(
        select(Intervention.id, Intervention.person_id, Person.name, Intervention.summary,
               Trigger.rule, Intervention.completed_at, Team.id, Team.name)
        .join(Person, Person.id == Intervention.person_id)  # type: ignore[arg-type]
        .outerjoin(Trigger, Trigger.id == Intervention.trigger_id)  # type: ignore[arg-type]
        .outerjoin(TeamMember, TeamMember.person_id == Intervention.person_id)  # type: ignore[arg-type]
        .outerjoin(Team, Team.id == TeamMember.team_id)  # type: ignore[arg-type]
        .where(Intervention.kind == InterventionKind.recognition.value,
               Intervention.status == InterventionStatus.completed.value,
               Intervention.completed_at >= datetime.combine(start, time.min, UTC),  # type: ignore[operator]
               Intervention.completed_at <= datetime.combine(end, time.max, UTC),  # type: ignore[operator]
               Person.praise_opt_out.is_(False))  # type: ignore[attr-defined]
        .order_by(Intervention.completed_at, Intervention.id))  # type: ignore[arg-type]
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
        raise NotFound(detail=f"No person with id {person_id}.") from None
    except Forbidden:
        raise Forbidden(detail="Only the person themselves chooses whether they are named in "
                               "the recognition digest.") from None
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


# --- Markdown ----------------------------------------------------------------------------------

_SENTENCE = 3  # people per sentence, so a busy team still reads easily


def range_words(start: date, end: date) -> str:
    """'1–30 November 2026', '3 October – 1 November 2026', or each day in full."""
    if start == end:
        return _day(start)
    if start.year == end.year and start.month == end.month:
        return f"{start.day}–{end.day} {_MONTHS[end.month - 1]} {end.year}"
    if start.year == end.year:
        return f"{start.day} {_MONTHS[start.month - 1]} – {_day(end)}"
    return f"{_day(start)} – {_day(end)}"


def _deed(r: Recognition) -> str:
    """What the person did, to follow their name: a trigger's summary says it that way (e.g.
    "completed the objective “…”"); a line manager's own words are quoted unless they do too."""
    name, summary = _text(r.name), _text(r.summary).rstrip(".")
    if summary.casefold().startswith(name.casefold() + " "):
        return summary[len(name) + 1:]
    if r.rule is not None or summary[:1].islower():
        return summary
    return f"was recognised for “{summary}”"


def _and(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" and {items[-1]}"


def _listed(clauses: list[str]) -> str:
    """'A', 'A, and B', 'A, B, and C': the serial comma keeps each person's clause apart."""
    return clauses[0] if len(clauses) == 1 else ", ".join(clauses[:-1]) + f", and {clauses[-1]}"


def _paragraph(team: TeamRecognitions) -> str:
    # One clause per person, in the order of their first recognition: "Ada completed … and
    # shipped …", never the same name twice in a row.
    deeds: dict[int, tuple[str, list[str]]] = {}
    for r in team.recognitions:
        deeds.setdefault(r.person_id, (_text(r.name), []))[1].append(_deed(r))
    clauses = [f"{name} {_and(done)}" for name, done in deeds.values()]
    chunks = [clauses[i:i + _SENTENCE] for i in range(0, len(clauses), _SENTENCE)]
    opening = (ACROSS_THE_DEPARTMENT if team.team_id is None
               else f"In **{_text(team.team_name)}**")
    sentences = [f"{opening}, {_listed(chunks[0])}."]
    sentences += [f"{_listed(chunk)}." for chunk in chunks[1:]]
    return " ".join(sentences)


def render_markdown(digest: Digest) -> str:
    """The digest as a few paragraphs of good news, ready to paste into an update."""
    lines = [f"## Recognition, {range_words(digest.start, digest.end)}", ""]
    if not digest.teams:
        lines.append("No recognitions to share for this period yet. Completed objectives, new "
                     "qualifications and streaks of shipping to production will appear here as "
                     "they happen.")
    for team in digest.teams:
        lines += [_paragraph(team), ""]
    while lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + "\n"


def record_view(session: Session, *, person_id: int) -> DigestView:
    """Note that someone read the recognition digest (the head of department's monthly
    checklist ticks itself from this). Call it in the digest request's unit of work."""
    view = DigestView(person_id=person_id, viewed_at=utcnow())
    session.add(view)
    session.flush()
    return view

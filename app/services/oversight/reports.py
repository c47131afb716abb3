"""Oversight reports: a manager's participation roll-up and a team's dashboard.

Both read the tables directly and change nothing. Each reads a whole subtree or team at once
(the line tree once with `everyone_below`, then a few IN queries), so the number of statements
does not grow with the number of people covered.

Values the reports keep:
- team-based: the team dashboard holds aggregates only, never a row per person, and any figure
  computed over fewer than `MIN_GROUP` people is suppressed so nobody can be singled out;
- no ranking: people are listed by name, never ordered by a figure;
- formal cases never appear: nothing here reads a case, concern or audit table.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import or_
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from app.db.growth import (CoachingEnrolment, CoachingProgramme, CoachingSession, Evidence,
                           Objective, OneToOne)
from app.db.models import Person, Team, TeamMember, TeamMembership, id_column, id_of
from app.db.support import TargetResult
from app.db.types import utcnow
from app.domain import periods as calendar
from app.domain import targets as rules
from app.domain.employment import Span
from app.domain.errors import Forbidden, NotFound, RuleViolation
from app.domain.evidence import COUNTED_FOR
from app.domain.periods import Period
from app.domain.access import (PARTICIPATION_READERS, TEAM_DASHBOARD_READERS, Actor,
                               may_see_participation, may_see_team_report, require_scope)
from app.domain.quarters import MIN_YEAR
from app.domain.scopes import Scope
from app.domain.vocabulary import (EvidenceKind, Metric, ObjectiveStatus, OneToOneStatus,
                                   Outcome, PeriodType, SessionStatus)
from app.services.org import people, periods
from app.services.access.relationships import everyone_below, relations_to

MIN_GROUP = 3
SUPPRESSED_REASON = f"fewer than {MIN_GROUP} people"
TREND_LENGTH = 6
_SET = (ObjectiveStatus.draft.value, ObjectiveStatus.changes_requested.value,
        ObjectiveStatus.agreed.value,
        ObjectiveStatus.completed.value)  # dropped objectives are not "set"
_AGREED = (ObjectiveStatus.agreed.value, ObjectiveStatus.completed.value)


def _share(count: int | float, of: int | float) -> float | None:
    return round(count / of, 4) if of else None


@dataclass(frozen=True)
class Share:
    """`count` of `of`, and the share (null when there is nothing to share)."""

    count: float
    of: float

    @property
    def share(self) -> float | None:
        return _share(self.count, self.of)


def _today() -> date:
    return utcnow().date()


# --- participation ---------------------------------------------------------------------------


@dataclass
class PersonFigures:
    """One person's participation in a period."""

    person: Person
    objectives_set: int = 0
    objectives_agreed: int = 0
    one_to_ones_held: int = 0
    one_to_one_weeks: set[str] = field(default_factory=set)  # ISO weeks with one held
    one_to_ones_per_week: dict[str, int] = field(default_factory=dict)
    accomplishment_weeks: set[str] = field(default_factory=set)
    training_hours: Decimal = Decimal(0)
    coaching_held: int = 0
    coaching_planned: int = 0
    coachee: bool = False


@dataclass(frozen=True)
class Rollup:
    """Figures summed over a group of people (a line: everyone below someone)."""

    people: int
    with_objectives_set: Share
    with_objectives_agreed: Share
    weeks_with_one_to_one: Share
    weeks_with_accomplishments: Share
    training_hours: Decimal
    coaching_sessions: Share  # held of planned, over the coachees among them


@dataclass(frozen=True)
class ReportRow:
    figures: PersonFigures
    manages_people: bool
    rollup: Rollup | None  # their line, when they manage people


@dataclass(frozen=True)
class AsManager:
    """The manager's own record as a manager of their direct reports."""

    reports: int
    one_to_ones_held: int
    weeks_with_one_to_one: Share  # report-weeks with a one-to-one held
    objectives_agreed: int  # objectives of the quarter the manager agreed
    reports_with_objectives_agreed: Share


@dataclass(frozen=True)
class Participation:
    manager: Person
    period: Period
    quarter: str
    weeks: list[str]
    reports: list[ReportRow]
    as_manager: AsManager
    line: Rollup


def _period(session: Session, period_type: PeriodType | None, period_key: str | None,
            *, allowed: Iterable[PeriodType], team_id: int | None = None) -> Period:
    kind = period_type or PeriodType.week
    if kind not in allowed:
        names = ", ".join(k.value for k in allowed)
        raise RuleViolation(detail=f"period_type: this report covers {names}.",
                            rule="PERIOD-TYPE", extra={"field": "period_type"})
    if period_key is not None:
        return periods.resolve(session, kind, period_key)
    today = _today()
    if kind is PeriodType.week:
        return calendar.week_containing(today)
    if kind is PeriodType.quarter:
        return calendar.quarter_containing(today)
    found = periods.list_periods(session, period_type=kind, start=today, end=today,
                                 team_id=team_id)
    if not found:
        raise RuleViolation(detail="period_key: this team has no sprint today (no Jira sprint "
                                   "and no cadence); say which sprint.", rule="PERIOD-KEY",
                            extra={"field": "period_key"})
    return found[-1]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def participation(session: Session, actor: Actor, *, manager_id: int | None,
                  period_type: PeriodType | None, period_key: str | None) -> Participation:
    """A manager's participation report: the manager, anyone above them, the head of
    department."""
    require_scope(actor, Scope.reports_team)
    subject_id = manager_id if manager_id is not None else actor.person_id
    if subject_id is None:
        raise RuleViolation(detail="manager_id: say whose participation to report (a service "
                                   "account manages nobody).", rule="PERSON-REQUIRED",
                            extra={"field": "manager_id"})
    manager = people.get_or_404(session, subject_id)
    if not may_see_participation(actor, relations_to(session, actor, manager)):
        raise Forbidden(detail=PARTICIPATION_READERS)
    period = _period(session, period_type, period_key,
                     allowed=(PeriodType.week, PeriodType.quarter))
    quarter = calendar.quarter_containing(period.start).key
    weeks = [w.key for w in calendar.weeks_between(period.start, period.end)]

    below = sorted(everyone_below(session, id_of(manager)))
    everyone = [p for p in session.exec(select(Person).where(
        col(Person.id).in_(below))).all() if p.active] if below else []
    ids = [id_of(p) for p in everyone]
    figures = {id_of(p): PersonFigures(p) for p in everyone}
    manager_agreed = _objectives(session, ids, quarter, figures, id_of(manager))
    manager_held = _one_to_ones(session, ids, period, figures, id_of(manager))
    _evidence(session, ids, period, figures)
    _coaching(session, ids, period, figures)
    if period.type is PeriodType.quarter:
        for f in figures.values():
            f.one_to_ones_per_week = {w: f.one_to_ones_per_week.get(w, 0) for w in weeks}

    children: dict[int, list[int]] = defaultdict(list)
    for p in everyone:
        assert p.line_manager_id is not None  # everyone here is below the manager
        children[p.line_manager_id].append(id_of(p))

    def line_of(person_id: int) -> list[int]:
        found, stack = [], list(children.get(person_id, ()))
        while stack:
            current = stack.pop()
            found.append(current)
            stack.extend(children.get(current, ()))
        return found

    direct = sorted((figures[i] for i in children.get(id_of(manager), ())),
                    key=lambda f: (f.person.name.lower(), f.person.id))
    rows = []
    for f in direct:
        line = line_of(id_of(f.person))
        rows.append(ReportRow(f, bool(line),
                              _rollup([figures[i] for i in line], len(weeks)) if line else None))
    n_weeks = len(weeks)
    as_manager = AsManager(
        reports=len(direct), one_to_ones_held=manager_held,
        weeks_with_one_to_one=Share(sum(len(f.one_to_one_weeks) for f in direct),
                                    len(direct) * n_weeks),
        objectives_agreed=manager_agreed,
        reports_with_objectives_agreed=Share(sum(1 for f in direct if f.objectives_agreed),
                                             len(direct)))
    return Participation(manager, period, quarter, weeks, rows, as_manager,
                         _rollup(list(figures.values()), n_weeks))


def _rollup(group: list[PersonFigures], weeks: int) -> Rollup:
    coachees = [f for f in group if f.coachee]
    return Rollup(
        people=len(group),
        with_objectives_set=Share(sum(1 for f in group if f.objectives_set), len(group)),
        with_objectives_agreed=Share(sum(1 for f in group if f.objectives_agreed), len(group)),
        weeks_with_one_to_one=Share(sum(len(f.one_to_one_weeks) for f in group),
                                    len(group) * weeks),
        weeks_with_accomplishments=Share(sum(len(f.accomplishment_weeks) for f in group),
                                         len(group) * weeks),
        training_hours=sum((f.training_hours for f in group), Decimal(0)),
        coaching_sessions=Share(sum(f.coaching_held for f in coachees),
                                sum(f.coaching_planned for f in coachees)))


def _objectives(session: Session, ids: list[int], quarter: str,
                figures: dict[int, PersonFigures], manager_id: int) -> int:
    """Count each person's objectives for the quarter; return how many the manager agreed."""
    agreed_by_manager = 0
    if not ids:
        return 0
    for person_id, status, agreed_by in session.exec(select(
            Objective.person_id, Objective.status, Objective.agreed_by_id).where(
            col(Objective.person_id).in_(ids), col(Objective.quarter) == quarter,
            col(Objective.status).in_(_SET))):
        figures[person_id].objectives_set += 1
        if status in _AGREED:
            figures[person_id].objectives_agreed += 1
            if agreed_by == manager_id:
                agreed_by_manager += 1
    return agreed_by_manager


def _week_key(day: date) -> str:
    year, number, _ = day.isocalendar()
    return f"{year:04d}-W{number:02d}"


def _one_to_ones(session: Session, ids: list[int], period: Period,
                 figures: dict[int, PersonFigures], manager_id: int) -> int:
    """Record held one-to-ones per person; return how many the manager held with their
    direct reports."""
    held_by_manager = 0
    if not ids:
        return 0
    for person_id, manager, on in session.exec(select(
            col(OneToOne.person_id), col(OneToOne.manager_id), col(OneToOne.on)).where(
            col(OneToOne.person_id).in_(ids), col(OneToOne.status) == OneToOneStatus.held.value,
            OneToOne.on >= period.start, OneToOne.on <= period.end)):
        f = figures[person_id]
        week = _week_key(on)
        f.one_to_ones_held += 1
        f.one_to_one_weeks.add(week)
        f.one_to_ones_per_week[week] = f.one_to_ones_per_week.get(week, 0) + 1
        if manager == manager_id and f.person.line_manager_id == manager_id:
            held_by_manager += 1
    return held_by_manager


# Participation counts the weeks with accomplishments logged and the hours of training.
_LOGGED = COUNTED_FOR[Metric.accomplishments_logged]
_TRAINING = COUNTED_FOR[Metric.training_hours]


def _evidence(session: Session, ids: list[int], period: Period,
              figures: dict[int, PersonFigures]) -> None:
    if not ids:
        return
    for person_id, kind, on, hours in session.exec(select(
            col(Evidence.person_id), col(Evidence.kind), col(Evidence.occurred_on),
            col(Evidence.hours)).where(
            col(Evidence.person_id).in_(ids), col(Evidence.retracted_at).is_(None),
            col(Evidence.kind).in_((_LOGGED.value, _TRAINING.value)),
            Evidence.occurred_on >= period.start, Evidence.occurred_on <= period.end)):
        if kind == _LOGGED.value:
            figures[person_id].accomplishment_weeks.add(_week_key(on))
        else:
            figures[person_id].training_hours += Decimal(str(hours or 0))


def _coaching(session: Session, ids: list[int], period: Period,
              figures: dict[int, PersonFigures]) -> None:
    """Coachees on a programme running in the period: sessions held by its end, of those
    the programme plans."""
    if not ids:
        return
    enrolments = session.exec(select(
        CoachingEnrolment.id, CoachingEnrolment.coachee_id, CoachingProgramme.planned_sessions)
        .join(CoachingProgramme, col(CoachingProgramme.id) == col(CoachingEnrolment.programme_id))
        .where(col(CoachingEnrolment.coachee_id).in_(ids),
               col(CoachingEnrolment.active).is_(True),
               CoachingProgramme.starts_on <= period.end,
               CoachingProgramme.ends_on >= period.start)).all()
    if not enrolments:
        return
    coachee_of = {}
    for enrolment_id, coachee_id, planned in enrolments:
        coachee_of[enrolment_id] = coachee_id
        figures[coachee_id].coachee = True
        figures[coachee_id].coaching_planned += planned
    for enrolment_id in session.exec(select(CoachingSession.enrolment_id).where(
            col(CoachingSession.enrolment_id).in_(list(coachee_of)),
            CoachingSession.status == SessionStatus.held.value,
            CoachingSession.scheduled_for < _midnight(period.end + timedelta(days=1)))).all():
        figures[coachee_of[enrolment_id]].coaching_held += 1


# --- team dashboard --------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """A figure, or nothing when it would be computed over fewer than MIN_GROUP people."""

    value: float | None
    suppressed: bool = False
    reason: str | None = None


NOBODY_REASON = "no one to count"


def _figure(value: float, people_count: int) -> Figure:
    if people_count == 0:
        return Figure(None, False, NOBODY_REASON)  # nothing to hide: there is no figure
    if people_count < MIN_GROUP:
        return Figure(None, True, SUPPRESSED_REASON)
    return Figure(value)


@dataclass(frozen=True)
class TargetFigures:
    metric: str
    stretch: bool
    met: Figure
    missed: Figure
    excused: Figure
    share_met: Figure  # met of met + missed (excused periods do not count)


@dataclass(frozen=True)
class TeamPeriod:
    period: Period
    people_covered: int
    targets: list[TargetFigures]
    targets_met: Figure  # share of non-stretch target results met, over every target
    tickets_done: Figure
    production_changes: Figure
    training_hours: Figure
    objectives_completed: Figure


@dataclass(frozen=True)
class TeamReport:
    team: Team
    current: TeamPeriod
    trend: list[TeamPeriod]  # the last TREND_LENGTH periods, oldest first, this one last


def team_report(session: Session, actor: Actor, team_id: int, *,
                period_type: PeriodType | None, period_key: str | None) -> TeamReport:
    """A team's dashboard: aggregates only (team leads, anyone above a member, admins, the
    head of department)."""
    require_scope(actor, Scope.reports_team)
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound(detail=f"No team with id {team_id}.")
    members = [p.id for p in session.exec(
        select(Person).join(TeamMember, col(TeamMember.person_id) == col(Person.id))
        .where(col(TeamMember.team_id) == team_id, col(Person.active).is_(True))
        .order_by(col(Person.id))).all()]
    leads = actor.person_id is not None and actor.person_id in (
        team.delivery_manager_id, team.product_owner_id)
    allowed = may_see_team_report(actor, leads_team=leads, above_a_member=False)
    if not allowed and actor.person_id is not None and members:
        above = bool(everyone_below(session, actor.person_id) & set(members))
        allowed = may_see_team_report(actor, leads_team=leads, above_a_member=above)
    if not allowed:
        raise Forbidden(detail=TEAM_DASHBOARD_READERS)
    period = _period(session, period_type, period_key, allowed=tuple(PeriodType),
                     team_id=team_id)
    if period.type is PeriodType.sprint and period.team_id not in (None, team_id):
        raise RuleViolation(detail=f"period_key: {period.key} is a sprint of team "
                                   f"{period.team_id}, not of this team.", rule="PERIOD-TEAM",
                            extra={"field": "period_key"})
    figures = _team_periods(session, team_id, _trend(session, period, team_id))
    return TeamReport(team, figures[-1], figures)


def _trend(session: Session, period: Period, team_id: int) -> list[Period]:
    """The last TREND_LENGTH periods of the type, oldest first, ending with this one."""
    found = [period]
    if period.type is PeriodType.sprint:
        # Enough for the earlier sprints, within the range list_periods accepts.
        lookback = min(max(period.days, 7) * (TREND_LENGTH + 2), 790)
        start = max(period.start - timedelta(days=lookback), date(MIN_YEAR, 1, 1))
        jira = period.sprint_id is not None
        earlier = [p for p in periods.list_periods(session, period_type=PeriodType.sprint,
                                                   start=start, end=period.start,
                                                   team_id=team_id)
                   if p.start < period.start and (p.sprint_id is not None) == jira]
        return sorted(set(earlier))[-(TREND_LENGTH - 1):] + [period]
    step = calendar.week_containing if period.type is PeriodType.week \
        else calendar.quarter_containing
    while len(found) < TREND_LENGTH:
        try:
            previous = step(found[0].start - timedelta(days=1))
        except ValueError:
            break  # before the years GPS holds
        if previous.start.year < MIN_YEAR:
            break
        found.insert(0, previous)
    return found


_SUM_METRICS = (Metric.tickets_done, Metric.production_changes, Metric.training_hours)
# The kinds of evidence those metrics count.
_SUM_KINDS = [COUNTED_FOR[metric].value for metric in _SUM_METRICS]


def _members_during(session: Session, team_id: int, start: date,
                    end: date) -> list[tuple[int, Span]]:
    """Who was in the team at some time from `start` to `end`, and when (a membership ends
    when the person leaves, whatever the team's list says)."""
    found = []
    for person_id, joined, ended, left in session.exec(select(
            col(TeamMembership.person_id), col(TeamMembership.started_on),
            col(TeamMembership.ended_on), col(Person.left_on))
            .join(Person, col(Person.id) == TeamMembership.person_id)
            .where(TeamMembership.team_id == team_id, TeamMembership.started_on <= end,
                   or_(col(TeamMembership.ended_on).is_(None),
                       col(TeamMembership.ended_on) >= start))):
        last = min((d for d in (ended, left) if d is not None), default=None)
        if last is None or last >= max(joined, start):
            found.append((person_id, Span(joined, last)))
    return found


def _team_periods(session: Session, team_id: int, trend: list[Period]) -> list[TeamPeriod]:
    """Aggregates for each period over the people in the team then, read for every period
    and member at once."""
    start, end = trend[0].start, trend[-1].end
    spans = _members_during(session, team_id, start, end)
    members = sorted({person_id for person_id, _ in spans})
    results: dict[str, list[tuple[int, str, bool, str]]] = defaultdict(list)
    evidence: dict[int, list[rules.EvidenceFact]] = defaultdict(list)
    completed: list[tuple[int, date]] = []
    if members:
        for person_id, key, metric, stretch, outcome in session.execute(core_select(
                col(TargetResult.person_id), col(TargetResult.period_key),
                col(TargetResult.metric), col(TargetResult.stretch),
                col(TargetResult.outcome)).where(
                col(TargetResult.person_id).in_(members),
                col(TargetResult.period_type) == trend[-1].type.value,
                col(TargetResult.period_key).in_([p.key for p in trend]))):
            results[key].append((person_id, metric, stretch, outcome))
        # Tickets done in a Jira sprint count in it whatever their day: look wider, as
        # evaluation does.
        margin = timedelta(days=60 if trend[-1].type is PeriodType.sprint else 0)
        # The columns the figures need, not whole records: no objects to build and track.
        for evidence_id, person_id, kind, occurred_on, hours, details in session.execute(
                core_select(id_column(Evidence.id), col(Evidence.person_id),
                            col(Evidence.kind), col(Evidence.occurred_on), col(Evidence.hours),
                            col(Evidence.details)).where(
                col(Evidence.person_id).in_(members), col(Evidence.retracted_at).is_(None),
                col(Evidence.kind).in_(_SUM_KINDS),
                col(Evidence.occurred_on) >= start - margin,
                col(Evidence.occurred_on) <= end + margin)):
            sprint = (details or {}).get("sprint") or {}
            evidence[person_id].append(rules.EvidenceFact(
                evidence_id, EvidenceKind(kind), occurred_on,
                Decimal(str(hours)) if hours is not None else None,
                sprint.get("id") if isinstance(sprint.get("id"), int) else None))
        completed = [(person_id, at.astimezone(UTC).date()) for person_id, at in session.exec(
            select(Objective.person_id, Objective.completed_at).where(
            col(Objective.person_id).in_(members),
            Objective.status == ObjectiveStatus.completed.value,
            col(Objective.completed_at) >= _midnight(start),
            col(Objective.completed_at) < _midnight(end + timedelta(days=1))))
            if at is not None]
    out = []
    for period in trend:
        then = {person_id for person_id, span in spans if span.overlaps(period)}
        covered = len(then)
        sums = {metric: sum((rules.measure(metric, period, rules.ActivityFacts(evidence[i])).value
                             for i in then), Decimal(0)) for metric in _SUM_METRICS}
        rows = [r for r in results[period.key] if r[0] in then]
        out.append(TeamPeriod(
            period=period, people_covered=covered,
            targets=_targets(rows),
            targets_met=_overall(rows),
            tickets_done=_figure(int(sums[Metric.tickets_done]), covered),
            production_changes=_figure(int(sums[Metric.production_changes]), covered),
            training_hours=_figure(float(round(sums[Metric.training_hours], 2)), covered),
            objectives_completed=_figure(sum(1 for person_id, day in completed
                                             if person_id in then and period.contains(day)),
                                         covered)))
    return out


def _targets(rows: list[tuple[int, str, bool, str]]) -> list[TargetFigures]:
    grouped: dict[tuple[str, bool], dict[str, set[int]]] = defaultdict(
        lambda: {o.value: set() for o in Outcome})
    for person_id, metric, stretch, outcome in rows:
        grouped[(metric, stretch)][outcome].add(person_id)
    found = []
    for (metric, stretch), by in sorted(grouped.items()):
        met, missed, excused = (by[o.value] for o in (Outcome.met, Outcome.missed,
                                                       Outcome.excused))
        counted = len(met | missed | excused)
        if not counted:
            continue  # only not_applicable: nothing to report
        judged = len(met | missed)
        hidden = Figure(None, True, SUPPRESSED_REASON)
        if counted < MIN_GROUP or judged < MIN_GROUP:
            # Over so few, a figure is a person: the whole row goes (with the team's size,
            # any one shown would give the others away).
            found.append(TargetFigures(metric=metric, stretch=stretch, met=hidden,
                                       missed=hidden, excused=hidden, share_met=hidden))
            continue
        if 0 < len(excused) < MIN_GROUP:
            # One or two people away: hide how many, and (complementary suppression) the
            # smaller of met and missed with the share, so it cannot be worked out from
            # the team's size and the rest.
            small_met = len(met) < len(missed)
            found.append(TargetFigures(
                metric=metric, stretch=stretch,
                met=hidden if small_met else _figure(len(met), counted),
                missed=_figure(len(missed), counted) if small_met else hidden,
                excused=hidden, share_met=hidden))
            continue
        found.append(TargetFigures(
            metric=metric, stretch=stretch, met=_figure(len(met), counted),
            missed=_figure(len(missed), counted), excused=_figure(len(excused), counted),
            share_met=_figure(_share(len(met), judged) or 0.0, judged)))
    return found


def _overall(rows: list[tuple[int, str, bool, str]]) -> Figure:
    judged = [(p, o) for p, _, stretch, o in rows
              if not stretch and o in (Outcome.met.value, Outcome.missed.value)]
    people_judged = len({p for p, _ in judged})
    met = sum(1 for _, o in judged if o == Outcome.met.value)
    return _figure(_share(met, len(judged)) or 0.0, people_judged)

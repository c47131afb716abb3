"""Resolving and listing evaluation periods (weeks, quarters, teams' sprints)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, col, select

from app.db.integrations import Sprint
from app.db.models import Team, id_of
from app.domain import periods
from app.domain.errors import NotFound, RuleViolation
from app.domain.periods import Period
from app.domain.vocabulary import PeriodType


def resolve(session: Session, period_type: PeriodType, key: str) -> Period:
    """Turn a period key into its dates: `2026-W48`, `2026-Q4`, `jira-<sprint id>` or
    `team<team id>-<first day>`."""
    try:
        if period_type is PeriodType.week:
            return periods.week(key)
        if period_type is PeriodType.quarter:
            return periods.quarter(key)
    except ValueError as exc:
        raise RuleViolation(detail=f"period_key: {exc}.", rule="PERIOD-KEY",
                            extra={"field": "period_key"}) from None
    jira_id = periods.parse_jira_key(key)
    if jira_id is not None:
        sprint = session.get(Sprint, jira_id)
        if sprint is None or sprint.start_date is None or sprint.end_date is None:
            raise NotFound(detail=f"No Jira sprint {jira_id} with dates has been seen.")
        return periods.jira_sprint(jira_id, sprint.start_date, sprint.end_date, sprint.team_id)
    cadence = periods.parse_cadence_key(key)
    if cadence is None:
        raise RuleViolation(detail="period_key: a sprint is `jira-<sprint id>` or "
                                   "`team<team id>-<YYYY-MM-DD>` (its first day).",
                            rule="PERIOD-KEY", extra={"field": "period_key"})
    team_id, start = cadence
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound(detail=f"No team with id {team_id}.")
    if team.sprint_anchor_date is None:
        raise RuleViolation(detail=f"Team {team_id} has no sprint cadence (sprint_anchor_date).",
                            rule="PERIOD-CADENCE", extra={"field": "period_key"})
    found = periods.cadence_sprint(team_id, team.sprint_anchor_date, team.sprint_length_days,
                                   start)
    if found.start != start:
        raise RuleViolation(detail=f"period_key: team {team_id}'s sprints start on "
                                   f"{found.start.isoformat()}, not {start.isoformat()}.",
                            rule="PERIOD-KEY", extra={"field": "period_key"})
    return found


def list_periods(session: Session, *, period_type: PeriodType, start: date, end: date,
                 team_id: int | None) -> list[Period]:
    """The periods overlapping a range; sprints per team, Jira's where recorded."""
    if end < start:
        raise RuleViolation(detail="to is before from.", rule="PERIOD-RANGE",
                            extra={"field": "to"})
    try:
        periods.check_range(start, end)
    except ValueError as exc:
        raise RuleViolation(detail=f"{exc}.", rule="PERIOD-RANGE",
                            extra={"field": "from"}) from None
    if (end - start).days > 800:
        raise RuleViolation(detail="Ask for at most about two years of periods at once.",
                            rule="PERIOD-RANGE", extra={"field": "to"})
    if period_type is PeriodType.week:
        return periods.weeks_between(start, end)
    if period_type is PeriodType.quarter:
        return periods.quarters_between(start, end)
    stmt = select(Team).order_by(col(Team.id))
    if team_id is not None:
        stmt = stmt.where(Team.id == team_id)
    teams = list(session.exec(stmt))
    team_ids = [t.id for t in teams]
    jira = list(session.exec(select(Sprint).where(
        col(Sprint.team_id).in_(team_ids), col(Sprint.start_date).is_not(None),
        col(Sprint.end_date).is_not(None), col(Sprint.start_date) <= end,
        col(Sprint.end_date) >= start).order_by(col(Sprint.start_date))))
    found: list[Period] = []
    with_jira = {s.team_id for s in jira}
    for sprint in jira:
        assert sprint.start_date is not None and sprint.end_date is not None  # as selected
        found.append(periods.jira_sprint(sprint.id, sprint.start_date, sprint.end_date,
                                         sprint.team_id))
    for team in teams:
        if team.id not in with_jira and team.sprint_anchor_date is not None:
            found += periods.cadence_sprints_between(id_of(team), team.sprint_anchor_date,
                                                     team.sprint_length_days, start, end)
    return sorted(found)


# Sprints are at most 8 weeks long (Jira's usually 1 to 4): a team's last one ended within this.
_LAST_SPRINT_LOOKBACK = timedelta(days=120)


def last_ended_sprints(session: Session, *, today: date) -> list[Period]:
    """Each team's sprint that ended most recently before `today` (for `gps evaluate --last
    sprint`, run daily: each sprint is evaluated from the day after its last day)."""
    recent = list_periods(session, period_type=PeriodType.sprint,
                          start=today - _LAST_SPRINT_LOOKBACK, end=today - timedelta(days=1),
                          team_id=None)
    return periods.last_ended_sprints(recent, today)

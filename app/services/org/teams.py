"""Teams: members, the team's delivery manager and product owner, Jira boards, sprint cadence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.db.models import Person, Team, TeamBoard, TeamMember, TeamMembership, id_of
from app.db.types import utcnow
from app.domain.errors import Conflict, NotFound, PreconditionFailed, RuleViolation
from app.domain.access import Actor, require_scope
from app.domain.scopes import Scope
from app.services.kit import audit, staleness
from app.services.kit.pagination import Page, keyset_page
from app.services.kit.patches import UNSET, Unset, given, merge


@dataclass(frozen=True)
class TeamView:
    team: Team
    member_ids: list[int]
    jira_board_ids: list[int]


def get_or_404(session: Session, team_id: int) -> Team:
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound(detail=f"No team with id {team_id}.")
    return team


def _views(session: Session, teams: list[Team]) -> list[TeamView]:
    ids = [id_of(t) for t in teams]
    members: dict[int, list[int]] = {i: [] for i in ids}
    boards: dict[int, list[int]] = {i: [] for i in ids}
    if ids:
        for team_id, person_id in session.exec(
                select(TeamMember.team_id, TeamMember.person_id)
                .where(col(TeamMember.team_id).in_(ids)).order_by(col(TeamMember.person_id))):
            members[team_id].append(person_id)
        for team_id, board_id in session.exec(
                select(TeamBoard.team_id, TeamBoard.board_id)
                .where(col(TeamBoard.team_id).in_(ids)).order_by(col(TeamBoard.board_id))):
            boards[team_id].append(board_id)
    return [TeamView(t, members[id_of(t)], boards[id_of(t)]) for t in teams]


def view(session: Session, actor: Actor, team_id: int) -> TeamView:
    require_scope(actor, Scope.people_read)
    return _views(session, [get_or_404(session, team_id)])[0]


def list_teams(session: Session, actor: Actor, *, cursor: str | None,
               limit: int) -> Page[TeamView]:
    require_scope(actor, Scope.people_read)
    page = keyset_page(session, select(Team), Team.id, cursor=cursor, limit=limit)
    return Page(items=_views(session, page.items), next_cursor=page.next_cursor)


def _require_people(session: Session, ids: Sequence[int | None], field: str) -> None:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return
    found = set(session.exec(select(col(Person.id)).where(col(Person.id).in_(wanted))))
    missing = sorted(wanted - found)
    if missing:
        raise RuleViolation(detail=f"{field}: no person with id {missing[0]}.",
                            rule="TEAM-PERSON-EXISTS", extra={"field": field})


def _check_name(session: Session, name: str, exclude_id: int | None) -> None:
    stmt = select(Team.id).where(Team.name == name)
    if exclude_id is not None:
        stmt = stmt.where(Team.id != exclude_id)
    if session.exec(stmt).first() is not None:
        raise Conflict(detail=f"A team called {name!r} already exists.", extra={"field": "name"})


def _set_boards(session: Session, team: Team, board_ids: list[int]) -> None:
    taken = session.exec(select(TeamBoard).where(
        col(TeamBoard.board_id).in_(board_ids), col(TeamBoard.team_id) != team.id)).first()
    if taken is not None:
        raise Conflict(detail=f"Jira board {taken.board_id} already belongs to team "
                              f"{taken.team_id}; a board belongs to one team.",
                       extra={"field": "jira_board_ids"})
    session.execute(delete(TeamBoard).where(col(TeamBoard.team_id) == team.id))
    for board_id in sorted(set(board_ids)):
        session.add(TeamBoard(board_id=board_id, team_id=id_of(team)))


def _set_members(session: Session, team: Team, member_ids: list[int],
                 since: date | None = None) -> None:
    """Set today's members, and keep the history: leavers' membership ends yesterday, joiners'
    starts today or on `since` (sprints are judged with the team as it was)."""
    _require_people(session, member_ids, "member_ids")
    wanted = set(member_ids)
    today = date.today()
    if since is not None and since > today:
        raise RuleViolation(detail="members_since: members join on a day that has come, "
                                   f"not {since.isoformat()}.", rule="TEAM-MEMBERS-SINCE",
                            extra={"field": "members_since"})
    open_rows = {m.person_id: m for m in session.exec(select(TeamMembership).where(
        TeamMembership.team_id == team.id, col(TeamMembership.ended_on).is_(None)))}
    for person_id, membership in open_rows.items():
        if person_id in wanted:
            continue
        if membership.started_on >= today:
            session.delete(membership)  # joined and left the same day: never a member
        else:
            membership.ended_on = today - timedelta(days=1)
            session.add(membership)
    started = {p.id: p.started_on for p in session.exec(
        select(Person).where(col(Person.id).in_(wanted - open_rows.keys())))}
    for person_id in sorted(wanted - open_rows.keys()):
        joined = max(since or today, started[person_id])  # nobody joins before they started
        session.add(TeamMembership(team_id=id_of(team), person_id=person_id, started_on=joined))
    if since is not None and since < today:
        staleness.mark(session, start=since, end=today)  # the team's past sprints changed
    session.execute(delete(TeamMember).where(col(TeamMember.team_id) == team.id))
    for person_id in sorted(wanted):
        session.add(TeamMember(team_id=id_of(team), person_id=person_id))


@dataclass(frozen=True)
class NewTeam:
    name: str
    delivery_manager_id: int | None = None
    product_owner_id: int | None = None
    member_ids: list[int] = field(default_factory=list)
    members_since: date | None = None  # the day the members joined (today if None)
    jira_board_ids: list[int] = field(default_factory=list)
    sprint_length_days: int = 14
    sprint_anchor_date: date | None = None


@dataclass(frozen=True)
class TeamChanges:
    """What PATCH may change; fields left UNSET keep their value, None clears an optional
    one. `members_since` dates the members this change adds."""

    name: str | Unset = UNSET
    delivery_manager_id: int | None | Unset = UNSET
    product_owner_id: int | None | Unset = UNSET
    member_ids: list[int] | Unset = UNSET
    members_since: date | Unset = UNSET
    jira_board_ids: list[int] | Unset = UNSET
    sprint_length_days: int | Unset = UNSET
    sprint_anchor_date: date | None | Unset = UNSET


def create_team(session: Session, actor: Actor, *, values: NewTeam) -> TeamView:
    """Create a team (admin)."""
    require_scope(actor, Scope.teams_write)
    _check_name(session, values.name, None)
    _require_people(session, [values.delivery_manager_id, values.product_owner_id],
                    "team lead")
    team = Team(name=values.name, delivery_manager_id=values.delivery_manager_id,
                product_owner_id=values.product_owner_id,
                sprint_length_days=values.sprint_length_days,
                sprint_anchor_date=values.sprint_anchor_date)
    session.add(team)
    session.flush()
    _set_members(session, team, values.member_ids, values.members_since)
    _set_boards(session, team, values.jira_board_ids)
    session.flush()
    audit.record(session, actor=actor, action="team.create", target_type="team",
                 target_id=team.id)
    return _views(session, [team])[0]


def update_team(session: Session, actor: Actor, team_id: int, *, changes: TeamChanges,
                expected_version: int | None) -> TeamView:
    """Change a team (admin), refusing a stale version."""
    require_scope(actor, Scope.teams_write)
    team = get_or_404(session, team_id)
    if expected_version is not None and team.version != expected_version:
        raise PreconditionFailed(detail="This team was changed since you read it; fetch it "
                                        "again and resend with the new ETag.")
    if not isinstance(changes.name, Unset):
        _check_name(session, changes.name, team.id)
    _require_people(session, [merge(changes.delivery_manager_id, None),
                              merge(changes.product_owner_id, None)], "team lead")
    if not isinstance(changes.member_ids, Unset):
        _set_members(session, team, changes.member_ids, merge(changes.members_since, None))
    if not isinstance(changes.jira_board_ids, Unset):
        _set_boards(session, team, changes.jira_board_ids)
    for name, value in given(changes).items():
        if name not in ("member_ids", "members_since", "jira_board_ids"):
            setattr(team, name, value)
    team.version += 1
    team.updated_at = utcnow()
    session.add(team)
    session.flush()
    audit.record(session, actor=actor, action="team.update", target_type="team",
                 target_id=team.id)
    return _views(session, [team])[0]

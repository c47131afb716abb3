"""Who am I: the caller's identity, roles, scopes and relationships."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, or_, select

from app.db.models import Person, ServiceAccount, Team, TeamMember, id_column
from app.domain.access import Actor
from app.services.org import people


@dataclass(frozen=True)
class Me:
    actor: Actor
    person: Person | None
    service_account: ServiceAccount | None
    report_ids: list[int]
    team_ids: list[int]
    led_team_ids: list[int]


def who_am_i(session: Session, actor: Actor) -> Me:
    if actor.person_id is None:
        account = session.exec(select(ServiceAccount).where(
            ServiceAccount.client_id == actor.client_id)).first()
        return Me(actor, None, account, [], [], [])
    person = people.get_or_404(session, actor.person_id)
    reports = list(session.exec(select(id_column(Person.id))
                                .where(Person.line_manager_id == person.id)
                                .order_by(col(Person.id))))
    teams = list(session.exec(select(TeamMember.team_id).where(
        col(TeamMember.person_id) == person.id).order_by(col(TeamMember.team_id))))
    led = list(session.exec(select(id_column(Team.id)).where(or_(
        Team.delivery_manager_id == person.id, Team.product_owner_id == person.id))
        .order_by(col(Team.id))))
    return Me(actor, person, None, reports, teams, led)

"""A believable demo department, for trying GPS out. Never in production."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.db.models import Person, id_of
from app.domain.errors import RuleViolation
from app.domain.access import Actor
from app.domain.scopes import ROLE_SCOPES, scopes_for_roles
from app.domain.vocabulary import Band, PersonKind, Role
from app.db.growth import CoachingEnrolment
from app.domain.quarters import Quarter
from app.services.growth import coaching, objectives
from app.services.identity import credentials
from app.services.org import people, teams
from app.settings import Environment, Settings

DEMO_PASSWORD = "gps-demo-password"
DOMAIN = "example.org"
# The demo department has been working for a year, so past periods can be evaluated.
SINCE = date.today() - timedelta(days=365)

SYSTEM_ACTOR = Actor(client_id="gps-cli", roles=frozenset({Role.admin}),
                     scopes=scopes_for_roles(set(ROLE_SCOPES)))

_FIRST = ["Amara", "Ben", "Chloe", "Dev", "Elena", "Farah", "George", "Hana", "Isaac", "Jade",
          "Kofi", "Lena", "Marcus", "Nia", "Owen", "Priya", "Quinn", "Rosa", "Sam", "Tariq",
          "Uma", "Victor", "Wen", "Xavier", "Yara", "Zane", "Aisha", "Bruno", "Carys", "Dylan",
          "Eve", "Femi", "Gwen", "Hugo", "Ines", "Jonah", "Kira", "Liam", "Maya", "Noor"]
_LAST = ["Okafor", "Patel", "Nguyen", "Jones", "Kowalski", "Ahmed", "Evans", "Sato", "Mensah",
         "Rossi", "Murphy", "Singh", "Lewis", "Hughes", "Costa", "Khan", "Davies", "Novak",
         "Reid", "Hassan"]


@dataclass
class DemoSummary:
    created: int = 0
    already_seeded: bool = False
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (who, email, password)


class _Names:
    def __init__(self) -> None:
        self.i = 0

    def next(self) -> tuple[str, str]:
        first, last = _FIRST[self.i % len(_FIRST)], _LAST[(self.i * 7) % len(_LAST)]
        self.i += 1
        return f"{first} {last}", f"{first}.{last}{self.i}@{DOMAIN}".lower()


def seed(session: Session, settings: Settings) -> DemoSummary:
    """Create the demo department unless it is there already."""
    if settings.env is Environment.production:
        raise RuleViolation(detail="Demo data is never created when GPS_ENV=production.",
                            rule="DEMO-NOT-IN-PRODUCTION")
    summary = DemoSummary()
    if session.exec(select(Person.id).where(Person.email == f"head@{DOMAIN}")).first():
        summary.already_seeded = True
        summary.logins = _logins(session)
        return summary
    names = _Names()
    counter = iter(range(1, 10_000))

    def add(kind: PersonKind, band: Band | None, manager: Person | None, *,
            roles: tuple[Role, ...] = (), email: str | None = None, name: str | None = None,
            buddy: Person | None = None) -> Person:
        generated_name, generated_email = names.next()
        number = next(counter)
        person = people.create_person(session, SYSTEM_ACTOR, values=people.NewPerson(
            name=name or generated_name, email=email or generated_email, kind=kind,
            band=band, roles=list(roles), line_manager_id=manager.id if manager else None,
            buddy_id=buddy.id if buddy else None,
            employee_number=f"{number:06d}",
            jira_account_id=f"demo-{number:04d}", github_login=f"demo-dev-{number}",
            started_on=SINCE), on_server=True)
        credentials.set_password_on_server(session, person, DEMO_PASSWORD)
        summary.created += 1
        return person

    add(PersonKind.employee, None, None, roles=(Role.admin,), email=f"admin@{DOMAIN}",
                name="Demo Administrator")
    head = add(PersonKind.employee, Band.b8c, None, roles=(Role.head_of_department,),
               email=f"head@{DOMAIN}", name="Sean Gallagher")
    add(PersonKind.employee, None, None, roles=(Role.case_manager,),
             email=f"casework@{DOMAIN}", name="Morgan Blake")
    principals = [add(PersonKind.employee, Band.b8b, head) for _ in range(3)]
    seniors = [add(PersonKind.employee, Band.b8a, principals[i // 2]) for i in range(6)]
    developers = [add(PersonKind.employee, Band.b6 if i % 3 == 0 else Band.b7, seniors[i // 5])
                  for i in range(30)]
    apprentices = [add(PersonKind.apprentice, Band.b6, seniors[i], buddy=developers[i * 5 + 1])
                   for i in range(2)]
    contractors = [add(PersonKind.contractor, None, principals[i % 3]) for i in range(3)]
    dms = [add(PersonKind.employee, None, head, roles=(Role.team_lead,)) for _ in range(2)]
    team_names = ["Appointments", "Find a Service", "Website Platform", "Data Services"]
    senior_split = [[0, 1], [2, 3], [4], [5]]
    developer_split = [range(0, 8), range(8, 16), range(16, 23), range(23, 30)]
    for t, team_name in enumerate(team_names):
        members = [*(seniors[i] for i in senior_split[t]),
                   *(developers[i] for i in developer_split[t]),
                   *apprentices[t:t + 1], *contractors[t:t + 1]]
        teams.create_team(session, SYSTEM_ACTOR, values=teams.NewTeam(
            name=team_name, delivery_manager_id=dms[t % 2].id, product_owner_id=None,
            member_ids=[p.id for p in members if p.id is not None], members_since=SINCE,
            jira_board_ids=[100 + t],
            sprint_length_days=14, sprint_anchor_date=None))
    programme = coaching.seed_first_programme(session)
    for i, senior in enumerate(seniors[:4]):
        session.add(CoachingEnrolment(
            programme_id=id_of(programme), coachee_id=id_of(senior),
            coach_id=id_of(principals[(i // 2 + 1) % len(principals)])))
    _objectives(session, owner=developers[0], manager=seniors[0])
    summary.logins = _logins(session)
    return summary


def _as(person: Person) -> Actor:
    return Actor(person_id=id_of(person), roles=frozenset(Role(r) for r in person.roles),
                 scopes=scopes_for_roles({Role(r) for r in person.roles}))


def _objectives(session: Session, *, owner: Person, manager: Person) -> None:
    """A developer's objectives for this quarter, written by the developer: one their line
    manager agreed, one sent back for changes (each with its history)."""
    quarter = str(Quarter.containing(date.today()))
    me, lm = _as(owner), _as(manager)
    agreed = objectives.create_objective(session, me, person_id=None, values=objectives.NewObjective(
        title="Raise test coverage of the booking service to 75%", quarter=quarter,
        quality_dashboard_outcome="Test coverage"))
    objectives.agree(session, lm, id_of(agreed.objective))
    asked = objectives.create_objective(session, me, person_id=None, values=objectives.NewObjective(
        title="Improve the deployment pipeline", quarter=quarter))
    objectives.request_changes(session, lm, id_of(asked.objective),
                               note="Which part, and how will we know it is better?")


def _logins(session: Session) -> list[tuple[str, str, str]]:
    def first(stmt: SelectOfScalar[Person]) -> str:
        found = session.exec(stmt.order_by(col(Person.id))).first()
        return found.email if found else "-"
    by_band = lambda band: select(Person).where(Person.band == band,  # noqa: E731
                                                col(Person.email).like(f"%@{DOMAIN}"))
    return [
        ("admin", f"admin@{DOMAIN}", DEMO_PASSWORD),
        ("head of department (8c)", f"head@{DOMAIN}", DEMO_PASSWORD),
        ("case manager", f"casework@{DOMAIN}", DEMO_PASSWORD),
        ("principal engineer (8b)", first(by_band("8b")), DEMO_PASSWORD),
        ("senior developer (8a)", first(by_band("8a")), DEMO_PASSWORD),
        ("developer (6/7)", first(by_band("7")), DEMO_PASSWORD),
        ("delivery manager", first(select(Person).where(people.with_role(Role.team_lead))),
         DEMO_PASSWORD),
    ]

"""First start: create the bootstrap admin when no admin exists yet."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.db.models import Person
from app.domain.vocabulary import PersonKind, Role
from app.services.identity import credentials
from app.services.kit import audit
from app.services.org import people
from app.settings import Settings


def ensure_bootstrap_admin(session: Session, settings: Settings) -> Person | None:
    """Create the configured admin if both settings are given and no active admin exists.

    Returns the person created, or None when nothing was done.
    """
    email, password = settings.bootstrap_admin_email, settings.bootstrap_admin_password
    if not email or password is None:
        return None
    exists = session.exec(select(Person.id).where(people.with_role(Role.admin),
                                                  col(Person.active).is_(True))).first()
    if exists is not None:
        return None
    email = email.strip().lower()
    person = session.exec(select(Person).where(Person.email == email)).first()
    if person is None:
        person = Person(name="Administrator", email=email, kind=PersonKind.employee.value)
    before = list(person.roles)
    person.roles = sorted({*person.roles, Role.admin.value})
    person.active = True
    session.add(person)
    session.flush()
    credentials.set_password_on_server(session, person, password.get_secret_value())
    audit.record(session, actor="server:bootstrap", action="person.roles.on_server",
                 target_type="person", target_id=person.id,
                 detail={"fields": ["active", "password", "roles"],
                         "changes": {"roles": {"before": before, "after": person.roles},
                                     "password": "password set"},
                         "reason": "GPS_BOOTSTRAP_ADMIN_EMAIL: no active admin existed"})
    return person

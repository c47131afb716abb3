"""Reads the line tree and other relationships the access policy decides on."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlmodel import Session

from app.db.models import CoachingEnrolment, Person, Team, TeamMember
from app.domain.policy import Actor, Relation

# Walks up the line tree from one person; depth-limited so a corrupt tree cannot loop forever.
_CHAIN_SQL = text("""
WITH RECURSIVE chain(id, depth) AS (
    SELECT line_manager_id, 1 FROM person WHERE id = :start AND line_manager_id IS NOT NULL
    UNION ALL
    SELECT p.line_manager_id, c.depth + 1 FROM person p JOIN chain c ON p.id = c.id
    WHERE p.line_manager_id IS NOT NULL AND c.depth < 64
)
SELECT id FROM chain ORDER BY depth
""")

_BELOW_SQL = text("""
WITH RECURSIVE below(id, depth) AS (
    SELECT id, 1 FROM person WHERE line_manager_id = :start
    UNION ALL
    SELECT p.id, b.depth + 1 FROM person p JOIN below b ON p.line_manager_id = b.id
    WHERE b.depth < 64
)
SELECT DISTINCT id FROM below
""")


def managers_above(session: Session, person_id: int) -> list[int]:
    """Return the ids above a person in the line tree, nearest first."""
    return [row[0] for row in session.execute(_CHAIN_SQL, {"start": person_id})]


def everyone_below(session: Session, person_id: int) -> set[int]:
    return {row[0] for row in session.execute(_BELOW_SQL, {"start": person_id})}


def relations_to(session: Session, actor: Actor, subject: Person) -> frozenset[Relation]:
    """Return how the actor stands to the subject, read from the database now."""
    if actor.person_id is None:
        return frozenset()
    relations: set[Relation] = set()
    if actor.person_id == subject.id:
        relations.add(Relation.self)
    if subject.line_manager_id == actor.person_id:
        relations.add(Relation.line_manager)
    elif subject.id is not None and actor.person_id in managers_above(session, subject.id):
        relations.add(Relation.chain)
    if subject.buddy_id == actor.person_id:
        relations.add(Relation.buddy)
    if subject.id is not None and _leads_a_team_of(session, actor.person_id, subject.id):
        relations.add(Relation.team_lead)
    if subject.id is not None and _coaches(session, actor.person_id, subject.id):
        relations.add(Relation.coach)
    return frozenset(relations)


def _coaches(session: Session, coach_id: int, coachee_id: int) -> bool:
    stmt = (select(CoachingEnrolment.id)
            .where(CoachingEnrolment.coach_id == coach_id,
                   CoachingEnrolment.coachee_id == coachee_id,
                   CoachingEnrolment.active.is_(True))  # type: ignore[attr-defined]
            .limit(1))
    return session.execute(stmt).first() is not None


def _leads_a_team_of(session: Session, lead_id: int, person_id: int) -> bool:
    stmt = (
        select(Team.id).join(TeamMember, TeamMember.team_id == Team.id)
        .where(TeamMember.person_id == person_id)
        .where((Team.delivery_manager_id == lead_id) | (Team.product_owner_id == lead_id))
        .limit(1)
    )
    return session.execute(stmt).first() is not None

"""Reads the line tree and other relationships the access policy decides on."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session

from app.db.models import Person
from app.domain.access import Actor, Relation

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


# Everything else the policy asks about an actor and a subject, in one statement: is the actor
# above the subject in the line tree, do they lead a team the subject is in, do they coach them.
_RELATIONS_SQL = text("""
WITH RECURSIVE chain(id, depth) AS (
    SELECT line_manager_id, 1 FROM person WHERE id = :subject AND line_manager_id IS NOT NULL
    UNION ALL
    SELECT p.line_manager_id, c.depth + 1 FROM person p JOIN chain c ON p.id = c.id
    WHERE p.line_manager_id IS NOT NULL AND c.depth < 64
)
SELECT
    EXISTS (SELECT 1 FROM chain WHERE id = :actor) AS above,
    EXISTS (SELECT 1 FROM team t JOIN team_member m ON m.team_id = t.id
            WHERE m.person_id = :subject
              AND (t.delivery_manager_id = :actor OR t.product_owner_id = :actor)) AS leads,
    EXISTS (SELECT 1 FROM coaching_enrolment e
            WHERE e.coach_id = :actor AND e.coachee_id = :subject AND e.active) AS coaches
""")


def direct_relations(actor: Actor, subject: Person) -> frozenset[Relation]:
    """How the actor stands to the subject as the subject's own record says (self, line
    manager, buddy): no statement needed."""
    if actor.person_id is None:
        return frozenset()
    relations: set[Relation] = set()
    if actor.person_id == subject.id:
        relations.add(Relation.self)
    if subject.buddy_id == actor.person_id:
        relations.add(Relation.buddy)
    if subject.line_manager_id == actor.person_id:
        relations.add(Relation.line_manager)
    return frozenset(relations)


def relations_to(session: Session, actor: Actor, subject: Person) -> frozenset[Relation]:
    """Return how the actor stands to the subject, read from the database now (one
    statement, however deep the line)."""
    if actor.person_id is None:
        return frozenset()
    relations = set(direct_relations(actor, subject))
    if subject.id is None:
        return frozenset(relations)
    above, leads, coaches = session.execute(
        _RELATIONS_SQL, {"subject": subject.id, "actor": actor.person_id}).one()
    if above and Relation.line_manager not in relations:
        relations.add(Relation.chain)
    if leads:
        relations.add(Relation.team_lead)
    if coaches:
        relations.add(Relation.coach)
    return frozenset(relations)

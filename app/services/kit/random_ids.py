"""Ids nobody can count: formal cases and concerns take a random id rather than the next
number, so a case manager who sees one case cannot tell from its id how many others exist."""

from __future__ import annotations

import secrets
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

Row = TypeVar("Row", bound=SQLModel)

# Inside a 32-bit INTEGER column on every database, and inside JavaScript's safe integers.
_ID_SPACE = 2**31 - 1
_TRIES = 5


def add_with_random_id(session: Session, row: Row) -> Row:
    """Insert `row` under a random id, trying another should one be taken already."""
    for attempt in range(_TRIES):
        row.id = secrets.randbelow(_ID_SPACE - 1) + 1
        try:
            with session.begin_nested():
                session.add(row)
            return row
        except IntegrityError:  # taken (the savepoint's rollback leaves the row transient)
            if attempt == _TRIES - 1:
                raise
    return row

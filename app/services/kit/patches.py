"""Changes to a record, as a JSON merge patch sends them: a field left out is UNSET, which is
not None (null clears an optional field). Each service declares its changes as a frozen
dataclass whose fields default to UNSET."""

from __future__ import annotations

from dataclasses import fields
from enum import Enum
from typing import TYPE_CHECKING, Any, Final, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


class Unset(Enum):
    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset.UNSET

T = TypeVar("T")


def given(changes: DataclassInstance) -> dict[str, Any]:
    """The fields a change sets, by name: those not left UNSET."""
    return {f.name: value for f in fields(changes)
            if (value := getattr(changes, f.name)) is not UNSET}


def merge(value: T | Unset, current: T) -> T:
    """The value a field will have: the one sent, or else the current one."""
    return current if isinstance(value, Unset) else value

"""Shared schema building blocks."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from annotated_types import Interval
from pydantic import (AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StrictBool,
                      StrictInt, WithJsonSchema, model_validator)

T = TypeVar("T")


def unstorable_text(value: object) -> str | None:
    """Say why a string cannot be stored (NUL characters, lone surrogates), or None."""
    if not isinstance(value, str):
        return None
    if "\x00" in value:
        return "contains a NUL character, which cannot be stored"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode text (a lone surrogate)"
    return None


def _check_texts(value: object, where: str) -> None:
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            _check_texts(getattr(value, name), f"{where}.{name}" if where else name)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _check_texts(item, where)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_texts(key, where)
            _check_texts(item, where)
    else:
        problem = unstorable_text(value)
        if problem:
            raise ValueError(f"{where} {problem}")


class Input(BaseModel):
    """Request bodies: unknown or server-owned fields are refused (no mass assignment), and
    text that no database can store is refused with the field named."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="after")
    def _storable_text(self) -> Input:
        _check_texts(self, "")
        return self


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on "
                                                "the last page")


_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _date_as_text(value: object) -> object:
    # JSON has no dates: a date is YYYY-MM-DD text and nothing else. Pydantic would otherwise
    # read a number, or text such as "0", as a Unix time and quietly make it 1970, and take
    # midnight timestamps as dates.
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DAY.fullmatch(value)):
        return value
    raise ValueError("a date is text in the form YYYY-MM-DD")


# Body fields: a string is not a number, a number is not a date or a boolean.
RecordId = Annotated[StrictInt, Field(ge=1, le=2**31 - 1)]
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def _datetime_as_text(value: object) -> object:
    if isinstance(value, datetime) or (isinstance(value, str) and _RFC3339.fullmatch(value)):
        return value
    raise ValueError("a time is RFC 3339 text with an offset, e.g. 2026-11-26T09:30:00Z")


def _number_not_text(value: object) -> object:
    # A decimal is a JSON number; text or a boolean is refused rather than guessed at (and so
    # nobody can send a megabyte of digits). A float goes through its shortest text form so
    # 1.1 stays 1.1, not 1.100000000000000088...
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError("a number, such as 1.5, not text")
    return Decimal(str(value)) if isinstance(value, float) else value


_JSON_BOUNDS = {"gt": "exclusiveMinimum", "ge": "minimum", "lt": "exclusiveMaximum",
                "le": "maximum"}


def json_decimal(*, description: str | None = None, decimal_places: int = 2,
                 **bounds: float) -> tuple[object, ...]:
    """What makes a decimal body field a JSON number with its bounds (`gt`, `ge`, `lt`, `le`):
    `Annotated[Decimal, *json_decimal(...)]`."""
    schema: dict[str, Any] = {"type": "number",
                              **{_JSON_BOUNDS[name]: bound for name, bound in bounds.items()}}
    if description:
        schema["description"] = description
    return (BeforeValidator(_number_not_text), Interval(**bounds),
            Field(decimal_places=decimal_places), WithJsonSchema(schema))


# Body fields and query parameters alike.
IsoDate = Annotated[date, BeforeValidator(_date_as_text)]
IsoDateTime = Annotated[AwareDatetime, BeforeValidator(_datetime_as_text)]
Flag = StrictBool
# Path and query values arrive as text and are converted.
PathId = Annotated[int, Field(ge=1, le=2**31 - 1)]


AUTHOR_FIELDS = ("created_by", "updated_by")
CREATED_BY = Field(description="Who wrote this (a person id); null where an integration or a "
                               "trigger wrote it, and on records written before authors were "
                               "recorded")
UPDATED_BY = Field(description="Who last changed this (a person id); null where an integration "
                               "or a trigger did, and on records last changed before authors "
                               "were recorded")


class RecordChangeRead(Output):
    """One line of a record's history: who did what, when, and what it changed."""

    id: int
    actor_id: int | None = Field(description="Who made the change; null for the system (a "
                                              "trigger, an integration)")
    at: datetime
    action: str = Field(description="create, edit, or the lifecycle action taken")
    changes: dict[str, dict[str, Any]] = Field(
        description="Each field that changed, with its value `before` and `after`")
    note: str | None = Field(description="The words that came with the action: a reason, a "
                                         "request for changes, an override's reason")

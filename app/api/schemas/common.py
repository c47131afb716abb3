"""Shared schema building blocks."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from datetime import date

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictInt

T = TypeVar("T")


class Input(BaseModel):
    """Request bodies: unknown or server-owned fields are refused (no mass assignment)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on "
                                                "the last page")


def _date_as_text(value: object) -> object:
    # JSON has no dates: a date is ISO 8601 text, never a number (which would be read as a
    # Unix time and quietly become 1970).
    if isinstance(value, str | date):
        return value
    raise ValueError("a date is text in the form YYYY-MM-DD")


# Body fields: a string is not a number, a number is not a date or a boolean.
RecordId = Annotated[StrictInt, Field(ge=1, le=2**31 - 1)]
IsoDate = Annotated[date, BeforeValidator(_date_as_text)]
Flag = StrictBool
# Path and query values arrive as text and are converted.
PathId = Annotated[int, Field(ge=1, le=2**31 - 1)]

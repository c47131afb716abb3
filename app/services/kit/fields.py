"""Validated field types shared by request bodies and the CSV import: one definition each."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, EmailStr, Field, SecretStr, StringConstraints

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Email = Annotated[EmailStr, Field(max_length=320), AfterValidator(lambda v: v.lower())]
# HR identifiers are strings: leading zeros matter.
EmployeeNumber = Annotated[str, StringConstraints(
    strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
JiraAccountId = Annotated[str, StringConstraints(
    strip_whitespace=True, min_length=1, max_length=128, pattern=r"^[A-Za-z0-9:_-]+$")]
GithubLogin = Annotated[str, StringConstraints(
    strip_whitespace=True, min_length=1, max_length=39, pattern=r"^[A-Za-z0-9][A-Za-z0-9-]*$"),
    AfterValidator(lambda v: v.lower())]
Password = Annotated[SecretStr, Field(min_length=12, max_length=256,
                                      description="At least 12 characters. Write-only.")]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Note = Annotated[str, StringConstraints(max_length=4000)]

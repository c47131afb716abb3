"""People import from CSV: every row or none, with a report of each row's problems."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session, select

from app.db.models import Person, id_of
from app.domain.errors import DomainError, FieldProblem, InvalidInput
from app.domain.access import Actor, require_scope
from app.domain.scopes import Scope
from app.domain.vocabulary import Band, PersonKind, Role
from app.services.org import people
from app.services.kit.fields import Email, EmployeeNumber, GithubLogin, JiraAccountId, Name

MAX_ROWS = 10_000


class ImportRow(BaseModel):
    """One row of a people CSV. Columns are these field names; `roles` are separated by `;`."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Name
    email: Email
    kind: PersonKind
    band: Band | None = None
    line_manager_email: Email | None = None
    buddy_email: Email | None = None
    roles: list[Role] = Field(default_factory=list)
    employee_number: EmployeeNumber | None = None
    jira_account_id: JiraAccountId | None = None
    github_login: GithubLogin | None = None


COLUMNS = list(ImportRow.model_fields)
REQUIRED_COLUMNS = ["name", "email", "kind"]
_UNIQUE_IN_FILE = ("email", "employee_number", "jira_account_id", "github_login")


def _parse(csv_text: str) -> tuple[list[tuple[int, ImportRow]], list[FieldProblem]]:
    try:
        return _read(csv_text)
    except csv.Error as exc:  # e.g. a cell longer than the csv module accepts
        raise InvalidInput(detail=f"The file could not be read as CSV: {exc}.") from None


def _read(csv_text: str) -> tuple[list[tuple[int, ImportRow]], list[FieldProblem]]:
    # newline="": line ends are the csv module's to read, so a file saved with old Mac (CR)
    # line ends imports like any other, and line breaks inside quoted cells are kept.
    reader = csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff"), newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        parts = []
        if missing:
            parts.append("missing column(s) " + ", ".join(missing))
        if unknown:
            parts.append("unknown column(s) " + ", ".join(unknown))
        raise InvalidInput(detail="The CSV header is not right: " + "; ".join(parts)
                                  + f". Columns are: {', '.join(COLUMNS)}.")
    reader.fieldnames = header
    rows: list[tuple[int, ImportRow]] = []
    problems: list[FieldProblem] = []
    for number, raw in enumerate(reader, start=2):  # row 1 is the header
        if number - 1 > MAX_ROWS:
            raise InvalidInput(detail=f"At most {MAX_ROWS} rows can be imported at once.")
        if None in raw:
            problems.append(FieldProblem("row", "has more cells than the header", number))
            continue
        values: dict[str, Any] = {k: (v.strip() if v else None) or None for k, v in raw.items()}
        if not any(values.values()):
            continue  # blank line
        values["roles"] = [r for r in re.split(r"[;\s]+", values.get("roles") or "") if r]
        try:
            rows.append((number, ImportRow.model_validate(values)))
        except ValidationError as exc:
            for err in exc.errors():
                field = ".".join(str(p) for p in err["loc"]) or "row"
                problems.append(FieldProblem(field, err["msg"], number))
    return rows, problems


def _duplicates_in_file(rows: list[tuple[int, ImportRow]]) -> list[FieldProblem]:
    problems = []
    for field in _UNIQUE_IN_FILE:
        seen: dict[str, int] = {}
        for number, row in rows:
            value = getattr(row, field)
            if value is None:
                continue
            if value in seen:
                problems.append(FieldProblem(field, f"the same {field} as row {seen[value]}",
                                             number))
            else:
                seen[value] = number
    return problems


def _in_dependency_order(rows: list[tuple[int, ImportRow]]) -> tuple[
        list[tuple[int, ImportRow]], list[FieldProblem]]:
    """Put each row after the rows (in the file) that its line manager and buddy are."""
    by_email = {row.email: (number, row) for number, row in rows}
    ordered: list[tuple[int, ImportRow]] = []
    state: dict[str, str] = {}
    problems: list[FieldProblem] = []

    def visit(email: str, trail: list[int]) -> None:
        if state.get(email) == "done":
            return
        number, row = by_email[email]
        if state.get(email) == "visiting":
            problems.append(FieldProblem("line_manager_email",
                                         "line managers in the file form a cycle through rows "
                                         + ", ".join(map(str, trail)), number))
            return
        state[email] = "visiting"
        for ref in (row.line_manager_email, row.buddy_email):
            if ref in by_email and ref != email:
                visit(ref, [*trail, number])
        state[email] = "done"
        ordered.append((number, row))

    for _, row in rows:
        visit(row.email, [])
    return ordered, problems


def import_people(session: Session, actor: Actor, *, csv_text: str, dry_run: bool = False,
                  on_row: Callable[[], None] | None = None,
                  on_identity_change: people.IdentityChanged | None = None) -> list[Person]:
    """Create everyone in the CSV, or nobody: any problem refuses the whole file."""
    require_scope(actor, Scope.people_write)
    rows, problems = _parse(csv_text)
    problems += _duplicates_in_file(rows)
    ordered, cycle_problems = _in_dependency_order(rows)
    problems += cycle_problems
    created: list[Person] = []
    everything = session.begin_nested()
    ids_by_email: dict[str, int] = {}
    for number, row in ordered:
        try:
            values = people.NewPerson(
                name=row.name, email=row.email, kind=row.kind, band=row.band, roles=row.roles,
                employee_number=row.employee_number, jira_account_id=row.jira_account_id,
                github_login=row.github_login,
                line_manager_id=_resolve(session, ids_by_email, row.line_manager_email,
                                         "line_manager_email"),
                buddy_id=_resolve(session, ids_by_email, row.buddy_email, "buddy_email"))
            with session.begin_nested():
                person = people.create_person(session, actor, values=values,
                                              on_identity_change=on_identity_change)
            ids_by_email[person.email] = id_of(person)
            created.append(person)
        except DomainError as exc:
            field = str(exc.extra.get("field", "row"))
            problems.append(FieldProblem(field, exc.detail, number))
        if on_row is not None:
            on_row()
    if problems or dry_run:
        everything.rollback()
    if problems:
        problems.sort(key=lambda p: (p.row or 0, p.field))
        rows_wrong = len({p.row for p in problems})
        raise InvalidInput(detail=f"{rows_wrong} row(s) have problems, so nothing was imported. "
                                  "Fix them and send the whole file again.", problems=problems)
    return created


def _resolve(session: Session, created: dict[str, int], email: str | None,
             field: str) -> int | None:
    if email is None:
        return None
    if email in created:
        return created[email]
    found = session.exec(select(Person.id).where(Person.email == email)).first()
    if found is None:
        raise InvalidInput(detail=f"no person with e-mail {email} in GPS or earlier in the file",
                           extra={"field": field})
    return found

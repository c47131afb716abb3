"""The `gps` command: serve, migrate, seed demo data, import people, export the contract."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from app.db import migrate
from app.db.engine import ensure_sqlite_directory, make_engine, make_session_factory
from app.domain.errors import DomainError
from app.settings import Settings

if TYPE_CHECKING:  # imported where used, so that the CLI starts quickly
    from app.services.support.evaluations import EvaluationView

cli = typer.Typer(help="GPS — Grow Perform Succeed.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
db_cli = typer.Typer(help="Database schema.", no_args_is_help=True)
demo_cli = typer.Typer(help="Demo data (never in production).", no_args_is_help=True)
people_cli = typer.Typer(help="People.", no_args_is_help=True)
openapi_cli = typer.Typer(help="The OpenAPI contract.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(demo_cli, name="demo")
cli.add_typer(people_cli, name="people")
cli.add_typer(openapi_cli, name="openapi")

out = Console()
err = Console(stderr=True)
CONTRACT = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"


def _say_error(message: str) -> None:
    err.print(f"[bold red]gps: error:[/] {message}", highlight=False, soft_wrap=True)


def fail(message: str) -> NoReturn:
    """End a command with one line on stderr and exit status 1."""
    _say_error(message)
    raise typer.Exit(code=1)


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        fail(f"configuration: {where}: {first['msg'].removeprefix('Value error, ')}")


def _upgrade(settings: Settings) -> None:
    ensure_sqlite_directory(settings)
    migrate.upgrade(settings.sqlalchemy_url)


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations."""
    settings = _settings()
    _upgrade(settings)
    out.print(f"Database schema is at {migrate.head_revision()}.")


@db_cli.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="Target revision, e.g. base")]) -> None:
    """Revert migrations down to REVISION."""
    settings = _settings()
    migrate.downgrade(settings.sqlalchemy_url, revision)
    out.print(f"Database schema downgraded to {revision}.")


@cli.command()
def serve(host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
          workers: Annotated[int, typer.Option(min=1, help="Worker processes")] = 1) -> None:
    """Apply pending migrations once, create the bootstrap admin if asked, then serve."""
    import uvicorn

    from app import log_config
    from app.services.identity import bootstrap

    settings = _settings()
    log_config.configure(settings.log_level)
    _upgrade(settings)
    engine = make_engine(settings)
    with make_session_factory(engine)() as session:
        created = bootstrap.ensure_bootstrap_admin(session, settings)
        session.commit()
    engine.dispose()
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="gps-metrics-")
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    out.print(f"GPS {settings.env.value} on {settings.sqlalchemy_url.split('://')[0]}; "
              f"Swagger UI: http://{shown}:{port}/docs  ReDoc: http://{shown}:{port}/redoc",
              soft_wrap=True)
    if created is not None:
        out.print(f"Created the bootstrap admin {created.email} (password from "
                  "GPS_BOOTSTRAP_ADMIN_PASSWORD).")
    out.print("Sign in with Authorize → OAuth2 password flow (e-mail address and password).")
    uvicorn.run("app.main:create_app", factory=True, host=host, port=port, workers=workers,
                log_config=None, access_log=False, proxy_headers=True, server_header=False)


@demo_cli.command("seed")
def demo_seed() -> None:
    """Create a believable demo department and print its logins."""
    from app.services import demo

    settings = _settings()
    _upgrade(settings)
    engine = make_engine(settings)
    with make_session_factory(engine)() as session:
        summary = demo.seed(session, settings)
        session.commit()
    out.print("Demo data was already there." if summary.already_seeded
              else f"Created a demo department of {summary.created} people in 4 teams.")
    table = Table(title="Demo logins")
    for column in ("who", "e-mail", "password"):
        table.add_column(column)
    for row in summary.logins:
        table.add_row(*row)
    out.print(table)


@people_cli.command("import")
def people_import(file: Annotated[Path, typer.Argument(help="CSV file (UTF-8)")],
                  dry_run: Annotated[bool, typer.Option(help="Check only")] = False) -> None:
    """Import people from CSV: every row or none."""
    from app.services.org import people_import as importer
    from app.services.integrations import replay
    from app.services.demo import SYSTEM_ACTOR

    settings = _settings()
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {file}: {exc}")
    _upgrade(settings)
    rows = max(0, len([line for line in text.splitlines() if line.strip()]) - 1)
    engine = make_engine(settings)
    with make_session_factory(engine)() as session, Progress(
            TextColumn("importing"), BarColumn(), MofNCompleteColumn(), console=err) as bar:
        task = bar.add_task("rows", total=rows)
        try:
            created = importer.import_people(session, SYSTEM_ACTOR, csv_text=text,
                                             dry_run=dry_run,
                                             on_identity_change=replay.on_identity_change(
                                                 session, settings),
                                             on_row=lambda: bar.advance(task))
        except DomainError as exc:
            bar.stop()
            for problem in exc.problems:
                err.print(f"row {problem.row}: {problem.field}: {problem.message}",
                          highlight=False)
            fail(exc.detail)
        session.commit()
    out.print(f"Checked {len(created)} people; nothing stored (dry run)." if dry_run
              else f"Imported {len(created)} people.")


def _change_role_on_server(email: str, role: str, change: str, reason: str) -> None:
    import getpass

    from app.domain.vocabulary import Role
    from app.services.identity import role_changes

    try:
        chosen = Role(role)
    except ValueError:
        fail(f"ROLE must be one of {', '.join(r.value for r in Role)}, not {role!r}")
    if not reason.strip():
        fail("--reason must say why (it is recorded in the audit log)")
    settings = _settings()
    _upgrade(settings)
    engine = make_engine(settings)
    with make_session_factory(engine)() as session:
        person = role_changes.grant_on_server(session, email=email, role=chosen, change=change,
                                              reason=reason.strip()[:2000],
                                              operator=getpass.getuser())
        session.commit()
        out.print(f"{person.email} now holds: {', '.join(person.roles) or 'no roles'}. "
                  "Recorded in the audit log with your reason.")


Reason = Annotated[str, typer.Option("--reason", help="Why (recorded in the audit log)")]


@people_cli.command("grant-role")
def people_grant_role(email: Annotated[str, typer.Argument(help="The person's e-mail address")],
                      role: Annotated[str, typer.Argument(help="admin, case_manager, ...")],
                      reason: Reason) -> None:
    """Grant a role from the server itself: how the first admins are made. Through the API,
    `admin` and `case_manager` take two admins."""
    _change_role_on_server(email, role, "grant", reason)


@people_cli.command("remove-role")
def people_remove_role(email: Annotated[str, typer.Argument(help="The person's e-mail address")],
                       role: Annotated[str, typer.Argument(help="admin, case_manager, ...")],
                       reason: Reason) -> None:
    """Remove a role from the server itself (refused if it would leave an open case with no
    case manager)."""
    _change_role_on_server(email, role, "remove", reason)


@cli.command()
def evaluate(
    period_type: Annotated[str | None, typer.Option("--period-type",
                                                    help="week, sprint or quarter")] = None,
    period_key: Annotated[str | None, typer.Option(
        "--period-key", help="2026-W48, 2026-Q4, jira-<id>, team<id>-<date>")] = None,
    last: Annotated[str | None, typer.Option(
        "--last", help="week or quarter: the one that ended most recently; sprint: each "
                       "team's sprint that ended most recently (for cron)")] = None,
    stale: Annotated[bool, typer.Option(
        "--stale", help="run again every evaluation whose facts changed since it ran "
                        "(for cron)")] = False,
) -> None:
    """Evaluate a period's targets once it has ended (safe to run again, and from several
    hosts at once)."""
    from datetime import timedelta

    from app.domain import periods
    from app.domain.errors import RuleViolation
    from app.domain.vocabulary import PeriodType
    from app.services.support import evaluations
    from app.services.kit.working_calendar import department_calendar

    settings = _settings()
    calendar = department_calendar(settings)
    if stale:
        _evaluate_stale(settings)
        return
    if last == "sprint":
        _evaluate_last_sprints(settings)
        return
    if last is not None:
        if last not in ("week", "quarter"):
            fail("--last takes week, sprint or quarter")
        finder = periods.week_containing if last == "week" else periods.quarter_containing
        # The period before today's: it has ended wherever the department is.
        current = finder(calendar.today())
        period_type, period_key = last, finder(current.start - timedelta(days=1)).key
    if period_type is None or period_key is None:
        fail("say which period: --period-type and --period-key, or --last week|sprint|quarter")
    try:
        kind = PeriodType(period_type)
    except ValueError:
        fail(f"--period-type must be week, sprint or quarter, not {period_type!r}")
    engine = make_engine(settings)
    with make_session_factory(engine)() as session:
        try:
            view = evaluations.run(session, period_type=kind, period_key=period_key,
                                   calendar=calendar)
        except RuleViolation as exc:
            fail(exc.detail)
        session.commit()
    _say_evaluated(view)


def _say_evaluated(view: EvaluationView) -> None:
    counts = ", ".join(f"{n} {outcome}" for outcome, n in view.counts.items())
    corrected = (f"; closed, {view.corrected} result(s) corrected beside it"
                 if view.evaluation.status == "closed" else "")
    out.print(f"Evaluated {view.evaluation.period_type} {view.evaluation.period_key} "
              f"(run {view.evaluation.runs}): {counts}{corrected}.")


def _evaluate_stale(settings: Settings) -> None:
    """Run again, each in its own transaction, every evaluation a fact changed under."""
    from app.domain.vocabulary import PeriodType
    from app.services.kit import staleness
    from app.services.support import evaluations
    from app.services.kit.working_calendar import department_calendar

    calendar = department_calendar(settings)
    factory = make_session_factory(make_engine(settings))
    with factory() as session:
        due = [(e.period_type, e.period_key) for e in staleness.stale_evaluations(session)]
    if not due:
        out.print("No evaluation's facts have changed since it ran: nothing to do.")
    for period_type, period_key in due:
        with factory() as session:
            view = evaluations.run(session, period_type=PeriodType(period_type),
                                   period_key=period_key, calendar=calendar)
            session.commit()
        _say_evaluated(view)


def _evaluate_last_sprints(settings: Settings) -> None:
    """Evaluate each team's most recently ended sprint, each in its own transaction. Run
    daily, every sprint is evaluated from the day after it ends (and again, harmlessly, until
    the team's next one ends); one whose evaluation was closed is left as it is."""
    from app.domain.vocabulary import PeriodType
    from app.services.org import periods
    from app.services.support import evaluations
    from app.services.kit.working_calendar import department_calendar

    calendar = department_calendar(settings)
    factory = make_session_factory(make_engine(settings))
    with factory() as session:
        due = periods.last_ended_sprints(session, today=calendar.today())
    if not due:
        out.print("No team's sprint has ended yet: nothing to evaluate.")
    for sprint in due:
        with factory() as session:
            view = evaluations.run(session, period_type=PeriodType.sprint,
                                   period_key=sprint.key, calendar=calendar)
            session.commit()
        _say_evaluated(view)


@openapi_cli.command("export")
def openapi_export(
    output: Annotated[Path, typer.Option(help="Where to write the contract")] = CONTRACT,
    check: Annotated[bool, typer.Option(help="Fail if the file differs instead of writing")] = False,
) -> None:
    """Write the OpenAPI contract of /v1 (or check that the committed one is current)."""
    from app.main import create_app

    document = render_contract(create_app(Settings(database_url="sqlite://")).openapi())
    if check:
        if not output.exists() or output.read_text() != document:
            fail(f"{output} is not the code's contract: run `gps openapi export`.")
        out.print(f"{output} is current.")
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(document)
    out.print(f"Wrote {output}.")


def render_contract(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> None:
    """Run the CLI; errors are one clear line and a non-zero exit, never a traceback."""
    try:
        cli()  # click exits the process itself when a command ends
    except DomainError as exc:
        _say_error(exc.detail)
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        _say_error(f"database: {str(cause).strip().splitlines()[0]}")
    except (OSError, ValueError) as exc:
        _say_error(str(exc))
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(1)  # reached only through one of the errors above


if __name__ == "__main__":
    main()

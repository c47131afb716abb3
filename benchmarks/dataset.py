"""A realistic department, generated fast into a database the migrations made.

2,000 people (at scale 1) in 60 teams with four quarters of history: objectives and their
check-ins, weekly evidence (accomplishments, training, feedback, retro actions), Jira and
GitHub deliveries with the evidence they produced, weekly one-to-ones; and, separately, the HR
feed's events. Rows look like what GPS itself writes (the same columns, JSON shapes, sources
and external ids), so reads exercise the real indexes.

PostgreSQL is filled with COPY, SQLite with executemany in large transactions. Ids are
assigned here, so rows can refer to each other; PostgreSQL's sequences are moved past them.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, text

from app.db.models import metadata

# Four quarters of history, ending with the last complete quarter.
QUARTERS = ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]
LATEST_QUARTER = QUARTERS[-1]
FIRST_MONDAY = date(2025, 9, 29)
JOINED = date(2024, 1, 8)  # everyone's first day, and the day the teams formed
WEEKS = 52
HR_CLIENT_ID = "gps-hr-bench"
PROBE_OBJECTIVES = 20  # the hot read's reports have this many objectives in the latest quarter
OUTCOMES = ["Deployment frequency", "Lead time for changes", "Change failure rate",
            "Time to restore service", "Test coverage of critical paths"]
TOPICS = ["Accessibility", "Testing", "Domain-driven design", "Kubernetes", "Security",
          "PostgreSQL", "Coaching"]


def _at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def quarter_start(key: str) -> date:
    year, q = key.split("-Q")
    return date(int(year), 3 * (int(q) - 1) + 1, 1)


@dataclass
class Person:
    id: int
    band: str | None
    kind: str
    roles: list[str]
    manager: int | None
    team: int | None = None


@dataclass
class Plan:
    """Who is who: the ids the benchmark needs to build its requests."""

    scale: float
    people: list[Person] = field(default_factory=list)
    teams: dict[int, list[int]] = field(default_factory=dict)
    team_leads: dict[int, int] = field(default_factory=dict)
    admin_id: int = 1
    head_id: int = 2
    principals: list[int] = field(default_factory=list)
    probes: list[tuple[int, int]] = field(default_factory=list)  # (manager, report)
    completed_objectives: list[tuple[int, int, str, str, bool, str | None]] = field(
        default_factory=list)  # (objective, person, title, quarter, 20%, outcome)
    counts: dict[str, int] = field(default_factory=dict)
    hr_events_written: int = 0

    @property
    def by_id(self) -> dict[int, Person]:
        return {p.id: p for p in self.people}

    def members(self) -> list[Person]:
        return [p for p in self.people if p.team is not None]


def employee_number(pid: int) -> str:
    return f"{pid:07d}"  # leading zeros, as HR's identifiers have


def jira_account(pid: int) -> str:
    return f"5b10ac8d82e05b22{pid:08x}"


def plan_people(scale: float, *, seed: int = 7) -> Plan:
    """Decide the organisation: head, principals, seniors, developers, teams and leads."""
    rng = random.Random(seed)
    total = max(40, round(2000 * scale))
    n_teams = max(2, round(60 * scale))
    plan = Plan(scale=scale)
    next_id = iter(range(1, 10**9))

    def add(band: str | None, kind: str, roles: list[str], manager: int | None) -> Person:
        person = Person(next(next_id), band, kind, roles, manager)
        plan.people.append(person)
        return person

    add(None, "employee", ["admin"], None)
    head = add("8c", "employee", ["head_of_department"], None)
    principals = [add("8b", "employee", [], head.id) for _ in range(max(1, total // 300))]
    plan.principals = [p.id for p in principals]
    leads = [add(None, "employee", ["team_lead"], head.id) for _ in range(2 * n_teams)]
    seniors = [add("8a", "employee", [], principals[i % len(principals)].id)
               for i in range(max(2, total // 10))]
    contractors = [add(None, "contractor", [], principals[i % len(principals)].id)
                   for i in range(max(1, total // 50))]
    developers: list[Person] = []
    while len(plan.people) < total:
        i = len(developers)
        kind = "apprentice" if i % 100 == 99 else "employee"
        developers.append(add("6" if kind == "apprentice" or i % 3 == 0 else "7", kind, [],
                              seniors[i % len(seniors)].id))
    # Teams: the first has 30 people (the dashboard's team), the second 10 (its small twin).
    members = seniors + contractors + developers
    rng.shuffle(members)
    sizes = [len(members) // n_teams] * n_teams
    for i in range(len(members) - sum(sizes)):
        sizes[i % n_teams] += 1
    if len(members) >= 40 + 10 * (n_teams - 2):
        rest = len(members) - 40
        sizes = [30, 10] + [rest // (n_teams - 2) + (1 if i < rest % (n_teams - 2) else 0)
                            for i in range(n_teams - 2)] if n_teams > 2 else [30, len(members) - 30]
    start = 0
    for t, size in enumerate(sizes, start=1):
        plan.teams[t] = [p.id for p in members[start:start + size]]
        for p in members[start:start + size]:
            p.team = t
        start += size
        plan.team_leads[t] = leads[2 * (t - 1)].id
    # The hot read: a line manager reading one report who has 20 objectives in the quarter.
    first_report: dict[int, int] = {}
    for d in developers:
        assert d.manager is not None  # every developer has a line manager
        first_report.setdefault(d.manager, d.id)
    plan.probes = [(m, r) for m, r in list(first_report.items())[:50]]
    return plan


def _person_rows(plan: Plan) -> Iterator[dict[str, Any]]:
    created = _at(date(2024, 1, 8))
    for p in plan.people:
        yield dict(id=p.id, name=f"Person {p.id}", email=f"person{p.id}@bench.example.org",
                   kind=p.kind, band=p.band, line_manager_id=p.manager,
                   buddy_id=p.manager if p.kind == "apprentice" else None,
                   employee_number=employee_number(p.id), jira_account_id=jira_account(p.id),
                   github_login=f"dev{p.id}", active=True, praise_opt_out=p.id % 17 == 0,
                   roles=p.roles, password_hash=None, version=1, created_at=created,
                   updated_at=created, started_on=JOINED, left_on=None,
                   credentials_changed_at=None)


def _band_rows(plan: Plan) -> Iterator[dict[str, Any]]:
    for n, p in enumerate(plan.people, 1):
        yield dict(id=n, person_id=p.id, band=p.band, kind=p.kind, started_on=JOINED,
                   ended_on=None)


def _line_rows(plan: Plan) -> Iterator[dict[str, Any]]:
    n = 0
    for p in plan.people:
        if p.manager is not None:
            n += 1
            yield dict(id=n, person_id=p.id, manager_id=p.manager,
                       started_at=_at(date(2024, 1, 8)), ended_at=None, override_reason=None,
                       recorded_by_id=plan.admin_id)


def _team_rows(plan: Plan) -> Iterator[dict[str, Any]]:
    created = _at(date(2024, 1, 8))
    for t in plan.teams:
        yield dict(id=t, name=f"Team {t:02d}", delivery_manager_id=plan.team_leads[t],
                   product_owner_id=plan.team_leads[t] + 1, sprint_length_days=14,
                   sprint_anchor_date=FIRST_MONDAY, version=1, created_at=created,
                   updated_at=created)


def sprint_of(team: int, day: date) -> dict[str, Any]:
    k = (day - FIRST_MONDAY).days // 14
    start = FIRST_MONDAY + timedelta(days=14 * k)
    return {"id": team * 1000 + k, "name": f"Team {team:02d} Sprint {k + 1}",
            "state": "closed" if k < WEEKS // 2 - 1 else "active", "boardId": 100 + team,
            "startDate": f"{start.isoformat()}T08:00:00.000Z",
            "endDate": f"{(start + timedelta(days=14)).isoformat()}T08:00:00.000Z"}


def _sprint_rows(plan: Plan) -> Iterator[dict[str, Any]]:
    for t in plan.teams:
        for k in range(WEEKS // 2):
            s = sprint_of(t, FIRST_MONDAY + timedelta(days=14 * k))
            start = FIRST_MONDAY + timedelta(days=14 * k)
            yield dict(id=s["id"], board_id=100 + t, team_id=t, name=s["name"], state=s["state"],
                       start_date=start, end_date=start + timedelta(days=14),
                       complete_date=start + timedelta(days=14) if s["state"] == "closed"
                       else None, updated_at=_at(start + timedelta(days=14)))


def _objective_rows(plan: Plan) -> Iterator[dict[str, Any]]:
    probes = {r for _, r in plan.probes}
    n = 0
    for p in plan.people:
        if p.team is None and p.band is None:
            continue  # admin and team leads keep no objectives
        for qi, quarter in enumerate(QUARTERS):
            start = quarter_start(quarter)
            many = PROBE_OBJECTIVES if quarter == LATEST_QUARTER and p.id in probes else 5
            for k in range(many):
                n += 1
                twenty = k < 3 or k >= 5
                status = "completed" if twenty or k == 3 else ("dropped" if qi % 2 else "agreed")
                outcome = OUTCOMES[(p.id + k) % len(OUTCOMES)] if twenty else None
                title = f"Improve {OUTCOMES[(p.id + k) % len(OUTCOMES)].lower()} ({k + 1})"
                done = _at(start + timedelta(days=60 + k), 15) if status == "completed" else None
                if status == "completed":
                    plan.completed_objectives.append((n, p.id, title, quarter, twenty, outcome))
                yield dict(id=n, person_id=p.id, title=title,
                           description="Agreed at the quarter's first one-to-one.",
                           quarter=quarter, twenty_percent_time=twenty,
                           quality_dashboard_outcome=outcome, status=status,
                           agreed_by_id=p.manager, agreed_at=_at(start + timedelta(days=7)),
                           completion_note="Shipped and measured." if done else None,
                           completed_at=done,
                           drop_reason="Superseded by team priorities."
                           if status == "dropped" else None,
                           reopen_reason=None, created_by_id=p.id, version=3 if done else 2,
                           created_at=_at(start + timedelta(days=3)),
                           updated_at=done or _at(start + timedelta(days=7)))


def _check_in_rows(plan: Plan, objectives: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    n = 0
    for o in objectives:
        start = quarter_start(o["quarter"])
        for k in range(2):
            n += 1
            on = start + timedelta(days=30 * (k + 1))
            yield dict(id=n, objective_id=o["id"], author_id=o["person_id"], on=on,
                       note=f"Progress check {k + 1}: on track.", progress=40 * (k + 1),
                       created_at=_at(on, 16))


def jira_payload(*, key: str, account: str, sprint: dict[str, Any], at: datetime) -> dict[str, Any]:
    """A Jira Cloud `jira:issue_updated` delivery moving an issue into Done (as Jira sends it,
    trimmed: no e-mail addresses)."""
    offset = at.strftime("%Y-%m-%dT%H:%M:%S.117+0000")
    return {
        "timestamp": int(at.timestamp() * 1000), "webhookEvent": "jira:issue_updated",
        "issue_event_type_name": "issue_generic",
        "user": {"accountId": "557058:f58131cb", "displayName": "Automation for Jira",
                 "active": True},
        "issue": {"id": key.split("-")[1], "key": key,
                  "self": f"https://example.atlassian.net/rest/api/2/issue/{key}",
                  "fields": {
                      "summary": "Show the next free appointment first",
                      "project": {"id": "10001", "key": key.split("-")[0],
                                  "name": "Appointments"},
                      "assignee": {"accountId": account, "displayName": "Dev", "active": True,
                                   "timeZone": "Europe/London"},
                      "status": {"name": "Done", "id": "10002",
                                 "statusCategory": {"id": 3, "key": "done", "name": "Done"}},
                      "customfield_10020": [sprint], "updated": offset}},
        "changelog": {"id": "10200", "items": [
            {"field": "status", "fieldtype": "jira", "fieldId": "status", "from": "3",
             "fromString": "In Review", "to": "10002", "toString": "Done"}]},
    }


def _github_payload(*, sha: str, login: str, at: datetime) -> dict[str, Any]:
    stamp = at.isoformat().replace("+00:00", "Z")
    author = {"name": login, "email": f"{login}@bench.example.org", "username": login}
    return {"ref": "refs/heads/main", "before": "0" * 40, "after": sha, "created": False,
            "deleted": False, "forced": False,
            "repository": {"id": 1, "full_name": "department/appointments",
                           "default_branch": "main"},
            "pusher": {"name": login}, "head_commit": {"id": sha},
            "commits": [{"id": sha, "message": "Show the next free appointment first",
                         "timestamp": stamp, "url": f"https://github.com/department/"
                                                    f"appointments/commit/{sha}",
                         "author": author, "committer": author, "distinct": True}]}


def _delivery_and_evidence(plan: Plan) -> tuple[Iterator[dict[str, Any]],
                                                 list[dict[str, Any]]]:
    """Webhook deliveries as GPS stored them, and the evidence each one produced."""
    total = round(100_000 * plan.scale)
    members = plan.members()
    deliveries: list[dict[str, Any]] = []
    evidence: list[dict[str, Any]] = []
    for n in range(1, total + 1):
        p = members[n % len(members)]
        day = FIRST_MONDAY + timedelta(days=(n * 7919) % (WEEKS * 7))
        at = _at(day, 9 + n % 8, n % 60)
        if n % 5 < 3:  # three in five from Jira
            key = f"APPT-{n}"
            assert p.team is not None  # a team member
            sprint = sprint_of(p.team, day)
            body = jira_payload(key=key, account=jira_account(p.id), sprint=sprint, at=at)
            deliveries.append(dict(
                id=n, source="jira", delivery_id=f"jira-{n:08d}", event_type="jira:issue_updated",
                received_at=at, body=json.dumps(body), status="applied",
                detail=f"{key} done by person {p.id}.", subjects=[f"jira:{jira_account(p.id)}"],
                ref_key=None, applied_at=at, attempts=1))
            evidence.append(dict(
                person_id=p.id, kind="ticket_done", source="jira", occurred_on=day,
                title=f"{key} Show the next free appointment first", external_id=key,
                details={"issue_key": key, "project": "APPT", "done_at": at.isoformat(),
                         "sprint": {"id": sprint["id"], "name": sprint["name"],
                                    "state": sprint["state"], "board_id": sprint["boardId"]}},
                created=at))
        else:
            sha = f"{n:040x}"
            login = f"dev{p.id}"
            body = _github_payload(sha=sha, login=login, at=at)
            deliveries.append(dict(
                id=n, source="github", delivery_id=f"{n:08d}-github", event_type="push",
                received_at=at, body=json.dumps(body), status="applied",
                detail="1 commit(s) counted.", subjects=[], ref_key=sha, applied_at=at,
                attempts=1))
            evidence.append(dict(
                person_id=p.id, kind="production_change", source="github", occurred_on=day,
                title="Show the next free appointment first", external_id=sha,
                details={"sha": sha, "repository": "department/appointments", "branch": "main",
                         "committed_at": at.isoformat(),
                         "url": f"https://github.com/department/appointments/commit/{sha}"},
                created=at))
    return iter(deliveries), evidence


def _evidence_rows(plan: Plan, from_deliveries: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Weekly evidence by hand for every team member, then what the deliveries produced."""
    target = round(400_000 * plan.scale)
    members = plan.members()
    manual = max(0, target - len(from_deliveries))
    # Each person-week: an accomplishment, training, and (for a share) one more item.
    base = 2 * len(members) * WEEKS
    extra_share = max(0.0, min(1.0, (manual - base) / max(1, len(members) * WEEKS)))
    kinds = ["user_feedback", "retro_action", "other", "user_feedback", "retro_action",
             "qualification"]
    n = 0

    def row(**kw: Any) -> dict[str, Any]:
        nonlocal n
        n += 1
        created = kw.pop("created")
        return dict(id=n, description="", hours=kw.pop("hours", None), topic=kw.pop("topic", None),
                    objective_id=None, external_id=kw.pop("external_id", None),
                    details=kw.pop("details", {}), retracted_at=None,
                    created_by_id=kw["person_id"] if kw["source"] == "manual" else None,
                    version=1, created_at=created, updated_at=created, **kw)

    for w in range(WEEKS):
        monday = FIRST_MONDAY + timedelta(weeks=w)
        for p in members:
            friday = monday + timedelta(days=4)
            yield row(person_id=p.id, kind="accomplishment", source="manual",
                      occurred_on=friday, title=f"Week {w + 1}: reviewed and shipped",
                      created=_at(friday, 16))
            yield row(person_id=p.id, kind="training", source="manual",
                      occurred_on=monday + timedelta(days=2), title="Learning time",
                      hours=Decimal("2.00"), topic=TOPICS[(p.id + w) % len(TOPICS)],
                      created=_at(monday + timedelta(days=2), 17))
            if ((p.id * 31 + w * 17) % 1000) / 1000 < extra_share:
                kind = kinds[(p.id + w) % len(kinds)]
                yield row(person_id=p.id, kind=kind, source="manual",
                          occurred_on=monday + timedelta(days=3), title=kind.replace("_", " "),
                          created=_at(monday + timedelta(days=3), 12))
    for e in from_deliveries:
        yield row(**e)


def _one_to_one_rows(plan: Plan) -> Iterator[dict[str, Any]]:
    n = 0
    for w in range(WEEKS):
        day = FIRST_MONDAY + timedelta(weeks=w, days=1)
        for p in plan.people:
            if p.manager is None or p.band is None and p.kind == "employee":
                continue
            n += 1
            held = (p.id + w) % 10 != 0
            yield dict(id=n, person_id=p.id, manager_id=p.manager, on=day,
                       status="held" if held else "cancelled",
                       notes="Talked about the quarter's objectives." if held else "",
                       created_by_id=p.manager, version=1, created_at=_at(day, 11),
                       updated_at=_at(day, 11))


def hr_event_rows(plan: Plan, start: int, stop: int) -> Iterator[dict[str, Any]]:
    """HR feed events `start`..`stop - 1` (ids from 1), oldest first, as GPS writes them."""
    completed = plan.completed_objectives
    origin = _at(date(2025, 10, 1), 8)
    for n in range(start, stop):
        objective, person, title, quarter, twenty, outcome = completed[n % len(completed)]
        yield dict(id=n + 1, event_type="objective.reopened" if n % 20 == 19
                   else "objective.completed", occurred_at=origin + timedelta(seconds=30 * n),
                   objective_id=objective, person_id=person,
                   employee_number=employee_number(person), title=title, quarter=quarter,
                   twenty_percent_time=twenty, quality_dashboard_outcome=outcome)


def _service_account_rows() -> Iterator[dict[str, Any]]:
    yield dict(id=1, name="Corporate HR system", client_id=HR_CLIENT_ID, secret_hash="unused",
               scopes=["hr.feed:read"], created_by_id=1, created_at=_at(date(2024, 1, 8)),
               revoked_at=None)


# --- writing ---------------------------------------------------------------------------------


class Writer:
    """Bulk inserts into one table at a time: COPY on PostgreSQL, executemany on SQLite."""

    BATCH = 20_000

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"

    def write(self, table: str, rows: Iterable[dict[str, Any]]) -> int:
        columns = [c.name for c in metadata.tables[table].columns]
        if self.postgres:
            return self._copy(table, columns, rows)
        return self._executemany(table, rows)

    def _copy(self, table: str, columns: list[str], rows: Iterable[dict[str, Any]]) -> int:
        json_columns = {c.name for c in metadata.tables[table].columns
                        if c.type.__class__.__name__ == "JSON"}
        n = 0
        raw = self.engine.raw_connection()
        try:
            with raw.cursor() as cursor:  # type: ignore[attr-defined]  # a psycopg cursor
                quoted = ", ".join(f'"{c}"' for c in columns)
                with cursor.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row([json.dumps(row[c]) if c in json_columns else row[c]
                                        for c in columns])
                        n += 1
            raw.commit()
        finally:
            raw.close()
        return n

    def _executemany(self, table: str, rows: Iterable[dict[str, Any]]) -> int:
        statement = metadata.tables[table].insert()
        n = 0
        batch: list[dict[str, Any]] = []
        with self.engine.begin() as connection:
            for row in rows:
                batch.append(row)
                if len(batch) >= self.BATCH:
                    connection.execute(statement, batch)
                    n += len(batch)
                    batch.clear()
            if batch:
                connection.execute(statement, batch)
                n += len(batch)
        return n

    def finish(self) -> None:
        """Move PostgreSQL's id sequences past the ids written here, refresh its statistics
        and write the loaded pages out."""
        with self.engine.begin() as connection:
            if self.postgres:
                for table in metadata.sorted_tables:
                    if "id" in table.columns and table.columns["id"].autoincrement is not False:
                        connection.execute(text(
                            f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                            f"GREATEST((SELECT COALESCE(MAX(id), 0) FROM \"{table.name}\"), 1))"))
                # PostgreSQL's autovacuum would analyse the new rows soon anyway. SQLite is
                # left as GPS leaves it: never analysed (see RESULTS.md on what ANALYZE does
                # to the hot read there).
                connection.execute(text("ANALYZE"))
        if self.postgres:
            # Write the bulk load's pages out now, so that whatever is measured next (the
            # evaluation of a freshly loaded department, above all) does not share the disk
            # with the checkpoint that would otherwise follow it.
            with self.engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("CHECKPOINT"))


def generate(engine: Engine, plan: Plan, *, hr_events: int,
             deliveries: bool = True) -> dict[str, int]:
    """Fill an empty, migrated database; return how many rows went into each table."""
    writer = Writer(engine)
    counts = plan.counts
    counts["person"] = writer.write("person", _person_rows(plan))
    counts["line_management_period"] = writer.write("line_management_period", _line_rows(plan))
    counts["team"] = writer.write("team", _team_rows(plan))
    counts["team_member"] = writer.write("team_member", (
        dict(team_id=t, person_id=pid) for t, ids in plan.teams.items() for pid in ids))
    counts["band_period"] = writer.write("band_period", _band_rows(plan))
    counts["team_membership"] = writer.write("team_membership", (
        dict(id=n, team_id=t, person_id=pid, started_on=JOINED, ended_on=None)
        for n, (t, pid) in enumerate(((t, pid) for t, ids in plan.teams.items()
                                      for pid in ids), 1)))
    counts["team_board"] = writer.write("team_board", (
        dict(board_id=100 + t, team_id=t) for t in plan.teams))
    counts["sprint"] = writer.write("sprint", _sprint_rows(plan))
    objectives = list(_objective_rows(plan))
    counts["objective"] = writer.write("objective", objectives)
    counts["check_in"] = writer.write("check_in", _check_in_rows(plan, objectives))
    stored, from_deliveries = _delivery_and_evidence(plan)
    if deliveries:
        counts["webhook_delivery"] = writer.write("webhook_delivery", stored)
    counts["evidence"] = writer.write("evidence", _evidence_rows(plan, from_deliveries))
    counts["one_to_one"] = writer.write("one_to_one", _one_to_one_rows(plan))
    counts["service_account"] = writer.write("service_account", _service_account_rows())
    counts["hr_event"] = writer.write("hr_event", hr_event_rows(plan, 0, hr_events))
    plan.hr_events_written = hr_events
    writer.finish()
    return counts


def add_hr_events(engine: Engine, plan: Plan, *, up_to: int) -> int:
    """Grow the HR feed to `up_to` events."""
    writer = Writer(engine)
    n = writer.write("hr_event", hr_event_rows(plan, plan.hr_events_written, up_to))
    plan.hr_events_written = up_to
    plan.counts["hr_event"] = up_to
    writer.finish()
    return n

"""One command for the benchmarks: generate the data, serve GPS and the bare app, drive load
with wrk, and write benchmarks/RESULTS.md.

    python -m benchmarks.run                      # everything, full scale (make bench)
    python -m benchmarks.run --scale 0.02 --parts hot,hr --dbs sqlite --out /tmp/R.md

Parts: hot (the authenticated hot read, GPS and bare, one and two workers), reports (team
dashboard and participation roll-up), hr (HR feed pages at 1% and 100% of its events, and
the whole feed's CSV export), webhooks (Jira deliveries, PostgreSQL only), evaluate (a quarter
for 2,000 and 4,000 people, PostgreSQL only). Memory is read whenever a server runs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from benchmarks import dataset, inprocess, load, results, servers

PARTS = ("hot", "reports", "hr", "webhooks", "evaluate")
DATABASES = ("postgresql", "sqlite")
ADMIN_URL = os.environ.get("GPS_BENCH_POSTGRES_ADMIN_URL",
                           "postgresql://postgres@127.0.0.1:5432/postgres")
JWT_SECRET = "benchmark-only-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
JIRA_SECRET = "benchmark-jira-secret"
GPS_PORT, BARE_PORT = 8201, 8202
WRK_CORE = 1  # wrk gets the last core to itself where it can; servers and databases share


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0,
                        help="share of the full data set (1 = 2,000 people, 1M HR events)")
    parser.add_argument("--parts", default=",".join(PARTS), help="comma-separated parts")
    parser.add_argument("--dbs", default=",".join(DATABASES), help="postgresql,sqlite")
    parser.add_argument("--seconds", type=float, default=None,
                        help="length of each wrk run (default 12 at full scale, less below)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    args = parser.parse_args(argv)
    args.parts = [p for p in args.parts.split(",") if p]
    args.dbs = [d for d in args.dbs.split(",") if d]
    unknown = set(args.parts) - set(PARTS) | set(args.dbs) - set(DATABASES)
    if unknown:
        parser.error(f"unknown: {', '.join(sorted(unknown))}")
    if args.seconds is None:
        args.seconds = 12.0 if args.scale >= 0.5 else 4.0
    return args


def bench_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GPS_")}
    env.update(GPS_ENV="production", GPS_DATABASE_URL=database_url, GPS_JWT_SECRET=JWT_SECRET,
               GPS_ACCESS_TOKEN_MINUTES="600", GPS_JIRA_WEBHOOK_SECRET=JIRA_SECRET,
               PYTHONPATH=str(servers.ROOT))
    return env


def settings_for(database_url: str):
    from app.settings import Settings
    return Settings(_env_file=None, env="production", database_url=database_url,
                    jwt_secret=JWT_SECRET, access_token_minutes=600,
                    jira_webhook_secret=JIRA_SECRET)


# --- databases ---------------------------------------------------------------------------------


@contextmanager
def database(kind: str, name: str, work: Path) -> Iterator[str]:
    """A fresh database made by the migrations (`gps db upgrade`), dropped afterwards."""
    if kind == "postgresql":
        admin = create_engine(ADMIN_URL.replace("postgresql://", "postgresql+psycopg://"),
                              isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            c.execute(text(f'CREATE DATABASE "{name}"'))
        url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    else:
        path = work / f"{name}.db"
        path.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    try:
        subprocess.run([str(Path(sys.executable).with_name("gps")), "db", "upgrade"],
                       env=bench_env(url), check=True, capture_output=True, cwd=servers.ROOT)
        yield url
    finally:
        if kind == "postgresql":
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)


def engine_for(url: str):
    return create_engine(url.replace("postgresql://", "postgresql+psycopg://"))


# --- tokens and requests -----------------------------------------------------------------------


def person_token(settings, person: dataset.Person) -> str:
    from app.db.models import Person
    from app.services.identity import auth, tokens
    scopes = auth.person_scopes(Person(name="x", email="x@example.org", kind=person.kind,
                                       roles=person.roles))
    return tokens.issue(settings, subject=f"person:{person.id}", scopes=scopes).token


def hr_token(settings) -> str:
    from app.services.identity import tokens
    return tokens.issue(settings, subject=f"client:{dataset.HR_CLIENT_ID}",
                        scopes=frozenset({"hr.feed:read"})).token


def hot_read_requests(plan: dataset.Plan, settings) -> list[load.Request]:
    people = plan.by_id
    return [load.Request("GET", f"/v1/objectives?person_id={report}&quarter="
                                f"{dataset.LATEST_QUARTER}&limit=50",
                         {"Authorization": f"Bearer {person_token(settings, people[manager])}"})
            for manager, report in plan.probes]


def team_report_request(plan: dataset.Plan, settings) -> load.Request:
    lead = plan.by_id[plan.team_leads[1]]
    return load.Request("GET", f"/v1/reports/teams/1?period_type=quarter&period_key="
                               f"{dataset.LATEST_QUARTER}",
                        {"Authorization": f"Bearer {person_token(settings, lead)}"})


def participation_request(plan: dataset.Plan, settings, manager: int | None = None) -> load.Request:
    head = plan.by_id[plan.head_id]
    return load.Request("GET", f"/v1/reports/participation?manager_id={manager or head.id}"
                               f"&period_type=quarter&period_key={dataset.LATEST_QUARTER}",
                        {"Authorization": f"Bearer {person_token(settings, head)}"})


def hr_feed_requests(settings, events: int, page: int = 500) -> list[load.Request]:
    """Pages of 500 from 20 cursors spread over the whole feed."""
    from app.services.kit.pagination import encode_cursor
    token = hr_token(settings)
    spread = max(1, events - page)
    return [load.Request("GET", f"/v1/hr/objective-completions?limit={page}&cursor="
                                f"{encode_cursor(spread * k // 20)}",
                         {"Authorization": f"Bearer {token}"}) for k in range(20)]


def jira_deliveries(plan: dataset.Plan, n: int, run_id: str,
                    first_key: int = 0) -> tuple[list[load.Request], int]:
    """n signed Jira deliveries, a fifth of them repeats of an earlier one; and how many are
    unique."""
    from app.domain.signatures import sign
    rng = random.Random(11)
    members = plan.members()
    unique = n - n // 5
    day = dataset.FIRST_MONDAY + timedelta(weeks=dataset.WEEKS - 1)
    made: list[load.Request] = []
    for k in range(unique):
        p = members[rng.randrange(len(members))]
        assert p.team is not None  # a team member
        body = json.dumps(dataset.jira_payload(
            key=f"LOAD-{first_key + k + 1}", account=dataset.jira_account(p.id),
            sprint=dataset.sprint_of(p.team, day),
            at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC) + timedelta(seconds=k)),
            separators=(",", ":"))
        made.append(load.Request("POST", "/v1/integrations/jira/webhook", {
            "Content-Type": "application/json",
            "X-Atlassian-Webhook-Identifier": f"{run_id}-{k + 1}",
            "X-Hub-Signature": sign(JIRA_SECRET, body.encode())}, body))
    for _ in range(n - unique):  # each repeat goes somewhere after its original
        original = rng.randrange(len(made))
        made.insert(rng.randrange(original + 1, len(made) + 1), made[original])
    return made, unique


# --- the parts ---------------------------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.work = Path(tempfile.mkdtemp(prefix="gps-bench-"))
        self.report = results.Report(scale=args.scale, seconds=args.seconds,
                                     connections=args.connections,
                                     command=" ".join(["python -m benchmarks.run", *sys.argv[1:]]))

    def wrk(self, server: servers.Server, requests: list[load.Request], *, name: str,
            connections: int | None = None, seconds: float | None = None) -> load.Run:
        path = self.work / f"{name}.txt"
        load.write_requests(path, requests)
        seconds = seconds or self.args.seconds
        # A short warm-up (connections, caches, the first prepared statements), not counted.
        load.wrk(server.url, path, seconds=1, connections=connections or self.args.connections,
                 core=WRK_CORE)
        return load.wrk(server.url, path, seconds=seconds,
                        connections=connections or self.args.connections, core=WRK_CORE)

    def run(self) -> None:
        self.report.machine = results.machine()
        for kind in self.args.dbs:
            self.database(kind)
        if "evaluate" in self.args.parts and "postgresql" in self.args.dbs:
            self.evaluate_double()
        self.report.finished(self.args.out)
        shutil.rmtree(self.work, ignore_errors=True)

    def database(self, kind: str) -> None:
        scale = self.args.scale
        with database(kind, "gps_bench", self.work) as url:
            settings = settings_for(url)
            engine = engine_for(url)
            plan = dataset.plan_people(scale)
            started = time.perf_counter()
            counts = dataset.generate(engine, plan, hr_events=max(2_000, round(10_000 * scale)))
            self.report.generated(kind, counts, time.perf_counter() - started)
            print(f"[{kind}] generated {counts} in {time.perf_counter() - started:.0f}s",
                  flush=True)
            if "evaluate" in self.args.parts and kind == "postgresql":
                seconds, outcomes = inprocess.evaluate_quarter(settings, dataset.LATEST_QUARTER)
                self.report.evaluation(len(plan.people), seconds, outcomes)
            if "reports" in self.args.parts:
                self.statement_counts(kind, plan, settings)
            env = bench_env(url)
            with servers.gps(1, port=GPS_PORT, env=env, log_dir=self.work,
                             name=f"gps-{kind}-1") as gps:
                [worker] = gps.workers()
                self.report.memory(kind, "start", servers.rss_mb(worker))
                if "hot" in self.args.parts:
                    self.hot_read(kind, 1, gps, plan, settings, env)
                if "reports" in self.args.parts:
                    self.reports(kind, gps, plan, settings)
                if "hr" in self.args.parts:
                    self.hr_feed(kind, gps, settings, plan.hr_events_written)
                if "webhooks" in self.args.parts and kind == "postgresql":
                    self.webhooks(gps, plan, engine)
                if "hr" in self.args.parts:
                    dataset.add_hr_events(engine, plan, up_to=round(1_000_000 * scale))
                    self.hr_feed(kind, gps, settings, plan.hr_events_written)
                    self.csv_export(kind, gps, settings, plan.hr_events_written)
                self.report.memory(kind, "after load", servers.rss_mb(worker))
            webhooks = "webhooks" in self.args.parts and kind == "postgresql"
            if "hot" in self.args.parts or webhooks:
                with servers.gps(2, port=GPS_PORT, env=env, log_dir=self.work,
                                 name=f"gps-{kind}-2") as gps:
                    if "hot" in self.args.parts:
                        self.hot_read(kind, 2, gps, plan, settings, env)
                    if webhooks:
                        self.webhooks(gps, plan, engine, workers=2)
            engine.dispose()

    def hot_read(self, kind: str, workers: int, gps: servers.Server,
                 plan: dataset.Plan, settings, env: dict[str, str]) -> None:
        requests = hot_read_requests(plan, settings)
        bodies: dict[str, Any] = {}
        raw: dict[str, bytes] = {}
        for (_, report), r in zip(plan.probes, requests, strict=True):
            answer = httpx.get(gps.url + r.path, headers=r.headers, timeout=30)
            answer.raise_for_status()
            bodies[str(report)], raw[r.path] = answer.json(), answer.content
        sizes = [len(b["items"]) for b in bodies.values()]
        bodies_file = self.work / "bare-bodies.json"
        bodies_file.write_text(json.dumps(bodies))
        gps_run = self.wrk(gps, requests, name=f"hot-{kind}-{workers}")
        bare_env = dict(env, BENCH_BARE_BODIES=str(bodies_file))
        with servers.bare(workers, port=BARE_PORT, env=bare_env, log_dir=self.work,
                          name=f"bare-{kind}-{workers}") as bare:
            identical = all(httpx.get(bare.url + r.path, headers=r.headers).content == raw[r.path]
                            for r in requests)
            bare_run = self.wrk(bare, requests, name=f"bare-{kind}-{workers}")
        self.report.hot_read(kind, workers, gps_run, bare_run, identical=identical,
                             items=sum(sizes) / len(sizes))
        print(f"[{kind}] hot read, {workers} worker(s): GPS {gps_run.rps:.0f}/s "
              f"p99 {gps_run.p99:.1f} ms; bare {bare_run.rps:.0f}/s p99 {bare_run.p99:.1f} ms",
              flush=True)

    def reports(self, kind: str, gps: servers.Server, plan: dataset.Plan, settings) -> None:
        team = self.wrk(gps, [team_report_request(plan, settings)], name=f"team-{kind}",
                        connections=2)
        roll_up = self.wrk(gps, [participation_request(plan, settings)],
                           name=f"participation-{kind}", connections=2)
        self.report.reports(kind, team, roll_up, team_size=len(plan.teams[1]),
                            people=len(plan.people))
        print(f"[{kind}] team dashboard p95 {team.p95:.1f} ms; participation p95 "
              f"{roll_up.p95:.1f} ms", flush=True)

    def statement_counts(self, kind: str, plan: dataset.Plan, settings) -> None:
        with inprocess.counting_client(settings) as (client, seen):
            def count(r: load.Request) -> int:
                return inprocess.statements(client, seen, r.path, r.headers)
            lead = plan.by_id[plan.team_leads[2]]
            small_team = load.Request("GET", team_report_request(plan, settings).path.replace(
                "/teams/1?", "/teams/2?"),
                {"Authorization": f"Bearer {person_token(settings, lead)}"})
            senior = plan.probes[0][0]
            rows = {
                "hot read (20 objectives)": (count(hot_read_requests(plan, settings)[0]), None),
                "team dashboard": (count(team_report_request(plan, settings)),
                                   count(small_team)),
                "participation roll-up": (count(participation_request(plan, settings)),
                                          count(participation_request(plan, settings, senior))),
            }
        sizes = {"hot read (20 objectives)": "",
                 "team dashboard": f"team of {len(plan.teams[1])} / team of "
                                   f"{len(plan.teams[2])}",
                 "participation roll-up": f"head over {len(plan.people)} people / a senior "
                                          f"developer over their reports"}
        self.report.statements(kind, rows, sizes)

    def hr_feed(self, kind: str, gps: servers.Server, settings, events: int) -> None:
        run = self.wrk(gps, hr_feed_requests(settings, events), name=f"hr-{kind}-{events}",
                       connections=4)
        self.report.hr_page(kind, events, run)
        print(f"[{kind}] HR feed page of 500 at {events} events: p50 {run.p50:.1f} ms, "
              f"{run.rps:.0f}/s", flush=True)

    def csv_export(self, kind: str, gps: servers.Server, settings, events: int) -> None:
        [worker] = gps.workers()
        time.sleep(1)
        rows = 0
        started = time.perf_counter()
        with servers.RssSampler(worker) as sampler:
            with httpx.stream("GET", gps.url + f"/v1/hr/objective-completions?limit={events}",
                              headers={"Authorization": f"Bearer {hr_token(settings)}",
                                       "Accept": "text/csv"}, timeout=600) as answer:
                answer.raise_for_status()
                for chunk in answer.iter_bytes():
                    rows += chunk.count(b"\n")
        seconds = time.perf_counter() - started
        self.report.csv_export(kind, events, rows - 1, seconds, sampler.start, sampler.peak)
        print(f"[{kind}] CSV export of {rows - 1} events in {seconds:.1f}s, RSS "
              f"{sampler.start:.0f} -> peak {sampler.peak:.0f} MB", flush=True)

    def webhooks(self, gps: servers.Server, plan: dataset.Plan, engine,
                 workers: int = 1) -> None:
        n = max(300, round(6000 * self.args.scale))
        run_id = f"bench{int(time.time())}w{workers}"
        requests, unique = jira_deliveries(plan, n, run_id, first_key=workers * 10_000_000)
        final = text("SELECT count(*) FROM webhook_delivery WHERE delivery_id LIKE :p "
                     "AND status IN ('applied', 'ignored', 'unmatched', 'superseded', 'failed')")

        def settled() -> bool:
            with engine.connect() as c:
                return c.execute(final, {"p": f"{run_id}-%"}).scalar_one() >= unique

        path = self.work / "jira.txt"
        load.write_requests(path, requests)
        run = load.wrk(gps.url, path, seconds=max(60, n / 50), connections=self.args.connections,
                       mode="once", core=WRK_CORE, until=settled)
        time.sleep(1)
        with engine.connect() as c:
            row = c.execute(text(
                "SELECT count(*), count(DISTINCT delivery_id), "
                "sum(CASE WHEN status = 'applied' THEN 1 ELSE 0 END), "
                "min(received_at), max(applied_at) FROM webhook_delivery "
                "WHERE delivery_id LIKE :p"), {"p": f"{run_id}-%"}).one()
            statuses = dict(c.execute(text(
                "SELECT status, count(*) FROM webhook_delivery WHERE delivery_id LIKE :p "
                "GROUP BY status"), {"p": f"{run_id}-%"}).all())
            evidence = c.execute(text(
                "SELECT count(*), count(DISTINCT external_id) FROM evidence WHERE source = "
                "'jira' AND kind = 'ticket_done' AND external_id LIKE :k "
                "AND retracted_at IS NULL"), {"k": f"LOAD-{workers}%"}).one()
        stored, distinct, applied, first, last = row
        span = (last - first).total_seconds() if first and last else float("nan")
        self.report.webhooks(workers, sent=n, unique=unique, answered=run.figures["answered"],
                             ok=run.figures["ok"], duplicates_answered=run.figures["dup"],
                             errors=run.figures["err"], stored=stored, applied=applied or 0,
                             evidence_rows=evidence[0], evidence_distinct=evidence[1],
                             span=span, run=run, statuses=statuses)
        print(f"[postgresql] webhooks, {workers} worker(s): {n} sent ({unique} unique) in {span:.1f}s = "
              f"{n / span:.0f}/s; {statuses}, evidence {evidence}", flush=True)

    def evaluate_double(self) -> None:
        """A second, twice as large department, only to evaluate the same quarter."""
        with database("postgresql", "gps_bench_x2", self.work) as url:
            engine = engine_for(url)
            plan = dataset.plan_people(self.args.scale * 2)
            dataset.generate(engine, plan, hr_events=0, deliveries=False)
            engine.dispose()
            seconds, outcomes = inprocess.evaluate_quarter(settings_for(url),
                                                           dataset.LATEST_QUARTER)
            self.report.evaluation(len(plan.people), seconds, outcomes)
            print(f"[postgresql] evaluated {len(plan.people)} people in {seconds:.1f}s",
                  flush=True)


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    started = time.perf_counter()
    bench = Bench(args)
    bench.report.load_at_start = os.getloadavg()
    bench.report.started_at = datetime.now(UTC)
    bench.report.sqlite_version = sqlite3.sqlite_version
    bench.report.today = date.today()
    bench.run()
    print(f"Wrote {args.out} in {time.perf_counter() - started:.0f}s", flush=True)


if __name__ == "__main__":
    main()

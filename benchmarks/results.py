"""The figures of one benchmark run, and benchmarks/RESULTS.md written from them."""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from benchmarks.load import Run


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def machine() -> dict[str, str]:
    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                if line.startswith("model name")), platform.processor() or "unknown")
    mem = next((int(line.split()[1]) for line in _read("/proc/meminfo").splitlines()
                if line.startswith("MemTotal:")), 0)
    os_name = next((line.split("=", 1)[1].strip('"') for line in
                    _read("/etc/os-release").splitlines() if line.startswith("PRETTY_NAME=")),
                   platform.platform())
    try:
        pg = subprocess.run(["psql", os.environ.get("GPS_BENCH_POSTGRES_ADMIN_URL",
                                                    "postgresql://postgres@127.0.0.1:5432/postgres"),
                             "-Atc", "SHOW server_version"], capture_output=True, text=True,
                            timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pg = "unknown"
    try:
        wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True,
                             timeout=10).stdout.split("[")[0].strip()
    except (OSError, subprocess.SubprocessError):
        wrk = "unknown"
    return {"cpu": cpu, "cores": str(os.cpu_count()), "ram": f"{mem / 1024 / 1024:.1f} GiB",
            "os": f"{os_name}, Linux {platform.release()}",
            "python": platform.python_version(), "postgresql": pg or "unknown", "wrk": wrk}


def _ms(x: float) -> str:
    return f"{x:.1f} ms" if x < 100 else f"{x:.0f} ms"


def _met(ok: bool | None) -> str:
    return "—" if ok is None else ("**met**" if ok else "**not met**")


@dataclass
class Report:
    scale: float
    seconds: float
    connections: int
    command: str
    machine: dict[str, str] = field(default_factory=dict)
    load_at_start: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_at_end: tuple[float, float, float] = (0.0, 0.0, 0.0)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    today: date = field(default_factory=date.today)
    sqlite_version: str = ""
    total_seconds: float = 0.0
    data: dict[str, Any] = field(default_factory=dict)

    # --- recording ------------------------------------------------------------------------

    def _put(self, *keys: str, value: Any) -> None:
        node = self.data
        for k in keys[:-1]:
            node = node.setdefault(k, {})
        node[keys[-1]] = value

    def generated(self, db: str, counts: dict[str, int], seconds: float) -> None:
        self._put("generated", db, value={"counts": dict(counts), "seconds": seconds})

    def evaluation(self, people: int, seconds: float, outcomes: dict[str, int]) -> None:
        self._put("evaluation", str(people), value={"seconds": seconds, "outcomes": outcomes})

    def statements(self, db: str, rows: dict[str, tuple[int, int | None]],
                   sizes: dict[str, str]) -> None:
        self._put("statements", db, value={"rows": rows, "sizes": sizes})

    def memory(self, db: str, when: str, mb: float) -> None:
        self._put("memory", db, when, value=mb)

    def hot_read(self, db: str, workers: int, gps: Run, bare: Run, *, identical: bool,
                 items: float) -> None:
        self._put("hot", db, str(workers), value={"gps": gps, "bare": bare,
                                                  "identical": identical, "items": items})

    def reports(self, db: str, team: Run, roll_up: Run, *, team_size: int, people: int) -> None:
        self._put("reports", db, value={"team": team, "roll_up": roll_up,
                                        "team_size": team_size, "people": people})

    def hr_page(self, db: str, events: int, run: Run) -> None:
        self._put("hr", db, str(events), value=run)

    def csv_export(self, db: str, events: int, rows: int, seconds: float, start: float,
                   peak: float) -> None:
        self._put("csv", db, value={"events": events, "rows": rows, "seconds": seconds,
                                    "start": start, "peak": peak})

    def webhooks(self, workers: int, **figures: Any) -> None:
        self._put("webhooks", str(workers), value=figures)

    def finished(self, out: Path) -> None:
        self.load_at_end = os.getloadavg()
        self.total_seconds = (datetime.now(UTC) - self.started_at).total_seconds()
        out.write_text(self.render(), encoding="utf-8")

    # --- writing --------------------------------------------------------------------------

    def render(self) -> str:
        m = self.machine
        parts = [
            "# GPS benchmarks",
            "",
            "Written by `make bench` (`python -m benchmarks.run`); do not edit by hand — run it "
            "again. What each part does and how to read it: the end of this file.",
            "",
            f"- **Run**: {self.started_at:%Y-%m-%d %H:%M} UTC, `{self.command}`, scale "
            f"{self.scale:g}, {self.total_seconds / 60:.1f} minutes in all",
            f"- **Machine**: {m.get('cpu')}, {m.get('cores')} cores, {m.get('ram')} RAM; "
            f"{m.get('os')}",
            f"- **Software**: Python {m.get('python')}, PostgreSQL {m.get('postgresql')}, "
            f"SQLite {self.sqlite_version}, {m.get('wrk')}",
            f"- **Load average** (1, 5, 15 min) at start {self._load(self.load_at_start)}, at end "
            f"{self._load(self.load_at_end)}" + (
                " — the machine was shared with other work, so figures are noisier (and "
                "lower) than on a quiet host" if self.load_at_start[0] > 0.5 else ""),
            f"- **Load generator**: wrk, one thread, pinned to core 1 (`taskset -c 1`); the "
            f"servers and the databases are not pinned and share both cores with it. Each wrk "
            f"run lasts {self.seconds:g} s after a 1 s warm-up; {self.connections} connections "
            f"unless a section says otherwise.",
            "",
        ]
        parts += self._summary()
        parts += self._details()
        parts += METHOD
        return "\n".join(parts) + "\n"

    @staticmethod
    def _load(values: tuple[float, float, float]) -> str:
        return ", ".join(f"{v:.2f}" for v in values)

    def _rows(self) -> list[tuple[str, str, str, str, str, bool | None, str]]:
        """(target, figure, yardstick, ratio, wanted, met, what limits it)."""
        rows: list[tuple[str, str, str, str, str, bool | None, str]] = []
        for db, by_workers in self.data.get("hot", {}).items():
            for workers, h in sorted(by_workers.items()):
                g, b = h["gps"], h["bare"]
                ratio = g.rps / b.rps if b.rps else 0.0
                rows.append((f"Hot read throughput, {db}, {workers} worker(s)",
                             f"{g.rps:,.0f} req/s", f"{b.rps:,.0f} req/s", f"{ratio:.2f}",
                             "≥ 0.5 × bare", ratio >= 0.5, LIMITS["hot_rps"] if ratio < 0.5
                             else ""))
                p99 = g.p99 / b.p99 if b.p99 else 0.0
                rows.append((f"Hot read p99, {db}, {workers} worker(s)", _ms(g.p99), _ms(b.p99),
                             f"{p99:.2f}", "≤ 3 × bare", p99 <= 3,
                             LIMITS["hot_p99"] if p99 > 3 else ""))
        for db, pages in self.data.get("hr", {}).items():
            if len(pages) == 2:
                small, large = (pages[k] for k in sorted(pages, key=int))
                ratio = large.p50 / small.p50 if small.p50 else 0.0
                few, many = sorted(pages, key=int)
                rows.append((f"HR feed page of 500, {db}: {int(many):,} vs {int(few):,} events "
                             "(median)", _ms(large.p50), _ms(small.p50), f"{ratio:.2f}",
                             "≤ 1.3", ratio <= 1.3, LIMITS["hr"] if ratio > 1.3 else ""))
        for db, c in self.data.get("csv", {}).items():
            growth = c["peak"] - c["start"]
            rows.append((f"CSV export of {c['rows']:,} events, {db}: RSS growth",
                         f"{growth:.1f} MB", "", "", "< 50 MB", growth < 50,
                         LIMITS["csv"] if growth >= 50 else ""))
        for workers, w in sorted(self.data.get("webhooks", {}).items()):
            rate = w["sent"] / w["span"] if w["span"] else 0.0
            lost = w["unique"] - w["evidence_distinct"]
            doubles = w["evidence_rows"] - w["evidence_distinct"]
            one = workers == "1"
            rows.append((f"Jira deliveries, postgresql, {workers} worker(s)", f"{rate:,.0f} /s",
                         "", "", "≥ 300 /s" if one else "recorded",
                         rate >= 300 if one else None,
                         LIMITS["webhooks"] if one and rate < 300 else ""))
            rows.append((f"Jira deliveries lost / double-counted, {workers} worker(s)",
                         f"{lost} / {doubles}", "", "", "0 / 0", lost == 0 and doubles == 0,
                         "" if lost == 0 and doubles == 0 else LIMITS["webhook_loss"]))
        for db, r in self.data.get("reports", {}).items():
            rows.append((f"Team dashboard, {r['team_size']} people, quarter, {db}: p95",
                         _ms(r["team"].p95), "", "", "recorded", None, ""))
            rows.append((f"Participation roll-up, head over {r['people']:,} people, {db}: p95",
                         _ms(r["roll_up"].p95), "", "", "recorded", None, ""))
        for db, s in self.data.get("statements", {}).items():
            for route, (big, small) in s["rows"].items():
                if small is not None:
                    rows.append((f"SQL statements, {route}, {db}", str(big), str(small), "",
                                 "independent of size", big == small,
                                 "" if big == small else LIMITS["statements"]))
        ev = self.data.get("evaluation", {})
        if len(ev) == 2:
            (n1, a), (n2, b) = sorted(ev.items(), key=lambda kv: int(kv[0]))
            ratio = b["seconds"] / a["seconds"] if a["seconds"] else 0.0
            rows.append((f"Evaluate a quarter, {int(n2):,} vs {int(n1):,} people, postgresql",
                         f"{b['seconds']:.1f} s", f"{a['seconds']:.1f} s", f"{ratio:.2f}",
                         "≤ 2.2", ratio <= 2.2, LIMITS["evaluate"] if ratio > 2.2 else ""))
        for db, mem in self.data.get("memory", {}).items():
            if "after load" in mem:
                rows.append((f"Worker RSS after the load, {db}, 1 worker",
                             f"{mem['after load']:.0f} MB", f"{mem['start']:.0f} MB at start",
                             "", "≤ 250 MB", mem["after load"] <= 250,
                             LIMITS["memory"] if mem["after load"] > 250 else ""))
        return rows

    def _summary(self) -> list[str]:
        rows = self._rows()
        lines = ["## Targets", "",
                 "| target | GPS | yardstick | ratio | wanted | result |",
                 "|---|---|---|---|---|---|"]
        for target, figure, yardstick, ratio, wanted, ok, _ in rows:
            lines.append(f"| {target} | {figure} | {yardstick} | {ratio} | {wanted} | "
                         f"{_met(ok)} |")
        limits: dict[str, list[str]] = {}
        for t, *_, ok, why in rows:
            if ok is False:
                limits.setdefault(why, []).append(t)
        lines.append("")
        if limits:
            lines += ["### What limits the targets not met", ""]
            lines += [f"- **{'; '.join(targets)}**: {why}" for why, targets in limits.items()]
            lines.append("")
        return lines

    def _details(self) -> list[str]:
        lines = ["## Figures", ""]
        gen = self.data.get("generated", {})
        if gen:
            lines += ["### Data set", "", "| table | " + " | ".join(gen) + " |",
                      "|---|" + "---|" * len(gen)]
            tables = sorted({t for g in gen.values() for t in g["counts"]})
            for t in tables:
                lines.append(f"| {t} | " + " | ".join(f"{g['counts'].get(t, 0):,}"
                                                     for g in gen.values()) + " |")
            lines.append("| *seconds to generate* | " + " | ".join(
                f"{g['seconds']:.0f}" for g in gen.values()) + " |")
            lines += ["", "The HR feed starts with 1% of its events (the small measurement) "
                      "and is grown to all of them during the run.", ""]
        runs: list[tuple[str, Run]] = []
        for db, by_workers in self.data.get("hot", {}).items():
            for workers, h in sorted(by_workers.items()):
                runs += [(f"hot read, GPS, {db}, {workers} worker(s)", h["gps"]),
                         (f"hot read, bare, {db}, {workers} worker(s)", h["bare"])]
                lines.append(f"- Hot read, {db}, {workers} worker(s): {h['items']:.0f} items a "
                             f"page; bare body byte-identical to GPS's: "
                             f"{'yes' if h['identical'] else 'NO'}")
        for db, r in self.data.get("reports", {}).items():
            runs += [(f"team dashboard, {db}", r["team"]),
                     (f"participation roll-up, {db}", r["roll_up"])]
        for db, pages in self.data.get("hr", {}).items():
            for events, run in sorted(pages.items(), key=lambda kv: int(kv[0])):
                runs.append((f"HR feed page of 500, {db}, {int(events):,} events", run))
        for workers, w in sorted(self.data.get("webhooks", {}).items()):
            runs.append((f"Jira deliveries, postgresql, {workers} worker(s) (latency per "
                         "delivery)", w["run"]))
        if runs:
            lines += ["", "### Load runs (wrk)", "",
                      "| run | requests | req/s | p50 | p90 | p95 | p99 | errors |",
                      "|---|---|---|---|---|---|---|---|"]
            for name, r in runs:
                lines.append(f"| {name} | {r.requests:,} | {r.rps:,.0f} | {_ms(r.p50)} | "
                             f"{_ms(r.p90)} | {_ms(r.p95)} | {_ms(r.p99)} | {r.errors} |")
            lines += ["", "Commands (the request files hold the URLs and headers):", ""]
            lines += sorted({f"    {r.command}" for _, r in runs})
            lines.append("")
        for workers, w in sorted(self.data.get("webhooks", {}).items()):
            lines += [f"### Jira deliveries, {workers} worker(s)", "",
                      f"{w['sent']:,} signed deliveries sent ({w['unique']:,} unique, "
                      f"{w['sent'] - w['unique']:,} repeats of an earlier one, each after its "
                      f"original, some concurrently), {self.connections} connections, "
                      f"all as fast as one worker answers them. Answered: {w['answered']:,} "
                      f"({w['ok']:,} × 200, of them {w['duplicates_answered']:,} flagged "
                      f"duplicate; {w['errors']} errors). Counted afterwards in the database: "
                      f"{w['stored']:,} deliveries stored, {w['applied']:,} applied; "
                      f"{w['evidence_rows']:,} `ticket_done` evidence rows for "
                      f"{w['evidence_distinct']:,} distinct issues. From the first delivery "
                      f"received to the last applied: {w['span']:.1f} s. Statuses: "
                      f"{w['statuses']}.", ""]
        for db, c in self.data.get("csv", {}).items():
            lines += [f"- CSV export, {db}: {c['rows']:,} events in {c['seconds']:.1f} s "
                      f"({c['rows'] / c['seconds']:,.0f} rows/s); worker RSS "
                      f"{c['start']:.0f} MB before, peak {c['peak']:.0f} MB while streaming "
                      f"(sampled every 20 ms)."]
        ev = self.data.get("evaluation", {})
        for people, e in sorted(ev.items(), key=lambda kv: int(kv[0])):
            lines.append(f"- Evaluating {dataset_quarter()} for {int(people):,} people: "
                         f"{e['seconds']:.2f} s; results {e['outcomes']}")
        for db, s in self.data.get("statements", {}).items():
            lines += ["", f"SQL statements per request ({db}, counted in-process on the same "
                          "data, SQLite's BEGIN not counted):", "",
                      "| route | statements | smaller case | sizes |", "|---|---|---|---|"]
            for route, (big, small) in s["rows"].items():
                lines.append(f"| {route} | {big} | {'' if small is None else small} | "
                             f"{s['sizes'].get(route, '')} |")
        for db, mem in self.data.get("memory", {}).items():
            lines.append(f"- Worker RSS, {db}, 1 worker: " + ", ".join(
                f"{k} {v:.0f} MB" for k, v in mem.items()))
        lines.append("")
        return lines


def dataset_quarter() -> str:
    from benchmarks.dataset import LATEST_QUARTER
    return LATEST_QUARTER


LIMITS = {
    "hot_rps": "CPU per request in the worker. A GPS hot read costs about 4.5 to 5 ms of CPU "
               "served one at a time (in-process, SQLite) against well under 1 ms for the bare "
               "app. About 1.3 ms of it is FastAPI's trips between the event loop and its "
               "worker threads, four per request (authentication, the route, the response "
               "model check, the commit; the settings and session dependencies, which made "
               "two more, are now async); the rest is spread thinly: SQLAlchemy ORM execution "
               "and object loading for the 4 statements (authentication, the report, the page, "
               "the linked evidence) about half, then GPS's middleware, dependency resolution "
               "and the response model. Requests served at once in one process also cost more "
               "CPU each (about 6.4 ms one at a time against 8 to 9.5 ms with 2 to 16 at once, "
               "wrk against one worker on PostgreSQL; the threads crowd one interpreter), which "
               "the bound on requests in flight (GPS_MAX_CONCURRENT_REQUESTS, 4 on SQLite) "
               "limits. Reaching half the bare app would take an async route reading Core "
               "rows through an async driver (no thread trips, no ORM objects) and the "
               "middleware folded into one layer; otherwise capacity comes from more "
               "processes. With two workers on two cores, PostgreSQL (or SQLite's reads) and "
               "wrk take their share of the same cores.",
    "hot_p99": "the tail of a closed loop is queueing: with the same connections, each request "
               "waits behind the others' CPU time in the worker, so p99 scales with the "
               "per-request cost above; with two workers, both workers, PostgreSQL and wrk "
               "also contend for the machine's two cores.",
    "hr": "the page query is a keyset scan on the primary key; what grows with the feed is "
          "the index depth and cache misses.",
    "csv": "rows are read in batches while the body streams; a larger batch or buffered "
           "rows keep memory.",
    "webhooks": "CPU in the one worker process: about 10 ms a delivery (in-process, "
                "PostgreSQL). Each is two transactions, by design (stored before it is "
                "applied, so nothing accepted is lost): 11 statements for a ticket done (the "
                "stored row's insert and row lock, the issue's ordering upsert, the sprint and "
                "its board, the person, the evidence lookup and insert, the delivery's "
                "outcome), each "
                "through the ORM; the dialects' INSERT ... ON CONFLICT constructs have no "
                "SQLAlchemy cache key, so they are compiled again for every delivery. A sprint "
                "the delivery only repeats is no longer locked and rewritten (three "
                "statements fewer than before). What would close it: the evidence written by "
                "one INSERT ... ON CONFLICT (no lookup, no savepoint), cacheable upserts "
                "(text() statements), no ORM objects on this path, and more workers "
                "(measured above).",
    "webhook_loss": "see the Jira deliveries section.",
    "statements": "the count grows with the size of the team or line.",
    "evaluate": "triggers and their interventions are recorded in bulk and the facts read are "
                "only those the targets count, so the statements are constant; what is left "
                "grows with the rows read and written (results, triggers, interventions) and "
                "with the database's cache: the 4,000-person data set no longer fits "
                "PostgreSQL's default 128 MB shared_buffers.",
    "memory": "what the worker keeps after the load: about 165 MB is there before the first "
              "request (the app, its libraries and matplotlib for the report charts); the "
              "load adds the pooled connections (one per request served at once: by default "
              "up to 10 on PostgreSQL, 4 on SQLite) and caches — on SQLite most likely each connection's own page cache (2 MB each "
              "by default). A smaller pool (GPS_DATABASE_POOL_SIZE) or SQLite cache_size "
              "would lower it.",
}

METHOD = """## How it is measured

- **Data**: generated by `benchmarks/dataset.py` into a fresh database made by the
  migrations (`gps db upgrade`): PostgreSQL with COPY, SQLite with executemany in large
  transactions. 2,000 people (head, principals, senior developers managing about nine
  developers each, contractors, apprentices, delivery managers and product owners) in 60
  teams (the first of 30 people), four quarters of history (2025-Q4 to 2026-Q3): five
  objectives a person a quarter with two check-ins each, weekly accomplishments, training and
  other evidence, weekly one-to-ones, 100,000 stored Jira and GitHub deliveries with the
  evidence they produced (the JSON GPS stores), and a separate HR feed of up to 1,000,000
  events. The databases are dropped afterwards.
- **Servers**: `gps serve --workers N` (uvicorn; GPS_ENV=production, its access log at the
  default INFO level, to a file) and the bare app (`benchmarks/bare.py`) with the same uvicorn
  settings `gps serve` uses. Tokens are minted with GPS's own token code and a fixed secret.
- **Hot read**: `GET /v1/objectives?person_id=&quarter=` as a line manager (50 managers
  and their reports, 20 objectives each, in turn). The bare app answers the same route with
  the body GPS answered (checked byte for byte), from memory, without authentication.
- **HR feed**: pages of 500 from 20 cursors spread over the feed, with 1% and then all of
  its events; then `Accept: text/csv` for the whole feed while the worker's VmRSS is sampled.
- **Jira deliveries**: signed `jira:issue_updated` deliveries, a fifth repeating an earlier
  delivery id; each wrk request is sent once. The rate is all deliveries sent over the time
  from the first stored to the last applied; lost and doubled are counted in the database.
- **Reports**: the team dashboard as the team's delivery manager, the participation roll-up
  for the head of department over the whole department, two connections each.
- **Evaluation**: the quarter evaluated in-process as `gps evaluate` does it (one
  transaction, triggers included), for 2,000 people and, in a second database, 4,000.
- **Memory**: VmRSS of the single worker from /proc, at start and after all the load.
- **SQLite** is left unanalysed, as GPS leaves it (PostgreSQL is analysed after loading, as
  autovacuum would). After `ANALYZE`, SQLite's planner judges the index on
  `evidence.objective_id` useless, because nearly every row's is NULL, and the hot read
  scans the whole evidence table (about ten times slower at this size); a partial index
  (`WHERE objective_id IS NOT NULL`) would make it immune.
"""

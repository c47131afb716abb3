"""Scale-out: two GPS processes on one PostgreSQL database apply every effect exactly once.

Concurrent duplicate webhook deliveries, concurrent evaluations of one period (through both
processes and `gps evaluate` at once), and concurrent objective completions read by an HR
feed poller that pages through both processes. Each test counts the outcome in the database
afterwards and records what it sent and counted (tests/figures.py prints it after the run).
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import col, select

from app.db.growth import Evidence, HrEvent, Objective
from app.db.integrations import Sprint, WebhookDelivery
from app.db.models import id_of
from app.db.support import Evaluation, Intervention, TargetResult, Trigger
from app.domain.signatures import sign
from tests import figures
from tests.api.test_github import commit, push
from tests.api.test_jira import SPRINTS, issue_updated
from tests.conftest import GITHUB_SECRET, JIRA_SECRET
from tests.factories import bearer, new_person, new_team
from tests.scale.conftest import Cluster, gps_command

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

THREADS = 12  # requests in flight at once, across both processes
JIRA_URL = "/v1/integrations/jira/webhook"
GITHUB_URL = "/v1/integrations/github/webhook"
FEED = "/v1/hr/objective-completions"


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=120, limits=httpx.Limits(max_connections=2 * THREADS)) as client:
        yield client


def _developers(db, org, n):
    """The `org` dev (Jira ACCOUNT, GitHub dev-one) and n-1 more, each with both ids."""
    more = [new_person(db, band="6", line_manager=org["senior"], jira_account_id=f"acct-{i}",
                       github_login=f"gh-{i}") for i in range(1, n)]
    return [org["dev"], *more]


# --- webhooks --------------------------------------------------------------------------------

def _sprint(n: int) -> dict:
    return {"id": 100 + n, "name": f"Appointments Sprint {100 + n}", "state": "active",
            "boardId": 42, "startDate": "2025-10-06T08:00:00.000Z",
            "endDate": "2025-10-20T08:00:00.000Z"}


def _jira_request(key: str, person, delivery: str,
                  sprints=SPRINTS):
    body = json.dumps(issue_updated(key=key, assignee=person.jira_account_id,
                                    sprints=sprints)).encode()
    return JIRA_URL, body, {"Content-Type": "application/json",
                            "X-Atlassian-Webhook-Identifier": delivery,
                            "X-Hub-Signature": sign(JIRA_SECRET, body)}


def _github_request(commits: list[dict], repository: str, delivery: str):
    body = json.dumps(push(commits=commits, after=commits[-1]["id"],
                           repository=repository)).encode()
    return GITHUB_URL, body, {"Content-Type": "application/json", "X-GitHub-Event": "push",
                              "X-GitHub-Delivery": delivery,
                              "X-Hub-Signature-256": sign(GITHUB_SECRET, body)}


def test_duplicate_webhook_deliveries_to_two_processes_count_once(cluster: Cluster, org, db,
                                                                   http):
    people = _developers(db, org, 5)
    copies = 3  # of each delivery, to each process
    deliveries: dict[str, tuple] = {}
    # Jira: 12 tickets moved to Done, each announced by two different deliveries (Jira sends
    # one per webhook registered), and every delivery retried. Each ticket is in a sprint
    # not seen before, and in the board's last (closed) sprint.
    tickets = {f"APPT-{n}": people[n % len(people)] for n in range(12)}
    jira_deliveries = []
    for n, (key, person) in enumerate(tickets.items()):
        for copy in ("a", "b"):
            name = f"jira-{key}-{copy}"
            deliveries[name] = _jira_request(key, person, name, [SPRINTS[0], _sprint(n)])
            jira_deliveries.append(name)
    # GitHub: 27 commits; push n carries commits n to n+3, so consecutive pushes share three
    # new commits, listed in opposite orders; the same commits also reach a second repository.
    commits = [commit(f"{n:040x}", people[n % len(people)].github_login, f"c{n}@example.org",
                      f"Change {n}") for n in range(27)]
    pushes = []
    for n in range(24):
        carried = commits[n:n + 4] if n % 2 else commits[n:n + 4][::-1]
        repository = "nhs/appointments-fork" if n % 3 == 0 else "nhs/appointments"
        deliveries[f"gh-{n}"] = _github_request(carried, repository, f"gh-{n}")
        pushes.append(f"gh-{n}")

    # Sent together, copies interleaved: two consecutive pushes, then the two deliveries
    # about one ticket. Copies race each other at both processes, and the deliveries sent
    # together race for the same new rows.
    together = [group for n in range(0, len(pushes), 2)
                for group in (pushes[n:n + 2], jira_deliveries[n:n + 2])]
    assert sorted(name for group in together for name in group) == sorted(deliveries)
    sends = [(name, base) for group in together for base in cluster.urls * copies
             for name in group]

    def send(item):
        name, base = item
        path, body, headers = deliveries[name]
        answer = http.post(base + path, content=body, headers=headers)
        return name, answer.status_code, answer.json()

    with ThreadPoolExecutor(THREADS) as pool:
        answers = list(pool.map(send, sends))

    failed = [a for a in answers if a[1] != 200]
    assert failed == [], f"{len(failed)} of {len(answers)} not accepted, e.g. {failed[:3]}"
    applied_by = Counter(name for name, _, body in answers if not body["duplicate"])
    assert applied_by == dict.fromkeys(deliveries, 1), "each delivery applied by one request"
    stored = db.exec(select(WebhookDelivery)).all()
    assert sorted(d.delivery_id for d in stored) == sorted(deliveries)
    assert {(d.status, d.attempts) for d in stored} == {("applied", 1)}
    done = db.exec(select(Evidence).where(Evidence.kind == "ticket_done")).all()
    assert sorted((e.external_id, e.person_id) for e in done) == sorted(
        (key, person.id) for key, person in tickets.items())
    shipped = db.exec(select(Evidence).where(Evidence.kind == "production_change")).all()
    assert sorted((e.external_id, e.person_id) for e in shipped) == sorted(
        (c["id"], people[n % len(people)].id) for n, c in enumerate(commits))
    assert all(e.retracted_at is None for e in [*done, *shipped])
    assert sorted(s.id for s in db.exec(select(Sprint)).all()) == [
        SPRINTS[0]["id"], *(_sprint(n)["id"] for n in range(len(tickets)))]
    figures.record("scale-out: webhook requests sent to two processes", len(answers))
    figures.record("scale-out: webhook deliveries applied exactly once", len(stored))
    figures.record("scale-out: evidence rows counted exactly once", len(done) + len(shipped))


def test_a_replica_waiting_for_another_replicas_lock_keeps_answering(cluster: Cluster, org,
                                                                       engine, db, http):
    """A delivery waiting for a lock (held here, as another replica applying the same
    delivery would hold it) must not stall the process: it still answers other requests."""
    path, body, headers = _jira_request("APPT-1", org["dev"], "held")
    replica = cluster.urls[0]
    assert http.post(replica + path, content=body, headers=headers).status_code == 200
    with engine.connect() as holder, ThreadPoolExecutor(1) as background:
        with holder.begin():
            holder.execute(text("SELECT id FROM webhook_delivery WHERE delivery_id = 'held' "
                                "FOR UPDATE"))
            waiting = background.submit(http.post, replica + path, content=body,
                                        headers=headers)
            for _ in range(300):  # (each query its own transaction: a fresh view)
                blocked = db.exec(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND query LIKE '%webhook_delivery%'")).one()[0]
                if blocked or waiting.done():
                    break
                time.sleep(0.1)
            assert blocked == 1, "the repeated delivery should be waiting for the lock"
            assert http.get(f"{replica}/healthz", timeout=20).status_code == 200
            assert not waiting.done()
        answer = waiting.result(timeout=60)
    assert answer.status_code == 200 and answer.json()["duplicate"] is True


# --- evaluations -----------------------------------------------------------------------------

def _evidence(db, person, kind: str, day: date) -> None:
    db.add(Evidence(person_id=person.id, kind=kind, source="manual", occurred_on=day,
                    title=kind))
    db.commit()


def _evaluate_everywhere(cluster: Cluster, http: httpx.Client, admin: dict[str, str],
                         period_type: str, key: str) -> list[int]:
    """Run `gps evaluate` and, while it runs, keep evaluating the same period through both
    processes (two callers each). Returns the HTTP statuses."""
    cli = subprocess.Popen([*gps_command(), "evaluate", "--period-type", period_type,
                            "--period-key", key], cwd=cluster.workdir, env=cluster.env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    statuses: list[int] = []
    start = threading.Barrier(4)

    def keep_evaluating(base: str) -> None:
        start.wait(30)
        rounds = 0
        while rounds < 2 or (cli.poll() is None and rounds < 50):
            answer = http.post(f"{base}/v1/evaluations", headers=admin,
                               json={"period_type": period_type, "period_key": key})
            statuses.append(answer.status_code)
            rounds += 1

    callers = [threading.Thread(target=keep_evaluating, args=(base,))
               for base in cluster.urls * 2]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(300)
    out, err = cli.communicate(timeout=300)
    assert cli.returncode == 0, f"gps evaluate failed: {out}{err}"
    assert f"Evaluated {period_type} {key}" in out
    return statuses


def test_evaluating_one_period_everywhere_at_once_doubles_nothing(cluster: Cluster, settings,
                                                                  org, db, http):
    admin = bearer(settings, org["admin"])  # the replicas share the run's JWT secret
    team = new_team(db, members=[org["dev"], org["peer"]], name="Slots")
    team.sprint_anchor_date, team.sprint_length_days = date(2026, 9, 7), 14
    db.add(team)
    db.commit()
    sprints = [date(2026, 9, 7) + timedelta(days=14 * n) for n in range(3)]
    for start in sprints:  # the dev ships and finishes a ticket every sprint; the peer does not
        _evidence(db, org["dev"], "production_change", start + timedelta(days=3))
        _evidence(db, org["dev"], "ticket_done", start + timedelta(days=4))
    periods = [("week", key) for key in ("2026-W46", "2026-W47", "2026-W48")] + [
        ("sprint", f"team{team.id}-{start.isoformat()}") for start in sprints]

    runs: dict[str, int] = {}
    for period_type, key in periods:
        statuses = _evaluate_everywhere(cluster, http, admin, period_type, key)
        assert set(statuses) == {200}, Counter(statuses)
        runs[key] = len(statuses) + 1

    evaluations = db.exec(select(Evaluation)).all()
    assert sorted((e.period_key, e.runs) for e in evaluations) == sorted(runs.items())
    results = db.exec(select(TargetResult)).all()
    per_target = Counter((r.period_key, r.person_id, r.target_id) for r in results)
    assert set(per_target.values()) == {1}
    # Weeks: the six people in bands 6 to 8b, two weekly targets each; sprints: the team's
    # two members, four sprint targets each (two of them stretch).
    assert Counter(r.period_key for r in results) == {
        **{key: 6 * 2 for kind, key in periods if kind == "week"},
        **{key: 2 * 4 for kind, key in periods if kind == "sprint"}}
    fired = db.exec(select(Trigger)).all()
    assert len({t.facts_key for t in fired}) == len(fired)
    # Three weeks missed: both weekly targets, for all six; three sprints: the peer's two
    # non-stretch targets; and the dev shipped three sprints running.
    assert Counter(t.rule for t in fired) == {"target_missed_streak": 6 * 2 + 2,
                                              "production_streak": 1}
    offered = db.exec(select(Intervention)).all()
    assert sorted(i.trigger_id for i in offered) == sorted(t.id for t in fired)
    assert Counter(i.kind == "recognition" for i in offered) == {False: 14, True: 1}
    figures.record("scale-out: evaluation runs at once (CLI included)", sum(runs.values()))
    figures.record("scale-out: results, triggers and interventions made exactly once",
                   len(results) + len(fired) + len(offered))


# --- objective completions and the HR feed ---------------------------------------------------

def _both_at_once(http: httpx.Client, cluster: Cluster, path: str, headers: dict[str, str],
                  body: dict) -> list[int]:
    """Send one request to both processes at the same moment; return both statuses."""
    start = threading.Barrier(2)

    def send(base: str) -> int:
        start.wait(30)
        return http.post(base + path, headers=headers, json=body).status_code

    with ThreadPoolExecutor(2) as pair:
        return sorted(pair.map(send, cluster.urls))


def _poll_feed(http: httpx.Client, cluster: Cluster, token: str,
               writers_done: threading.Event) -> tuple[list[dict], int]:
    """Page through the feed from both processes in turn, following next_cursor, until the
    writers are done and the feed says it has no more. Returns the items seen, and how many
    of them were seen while the writers were still at work."""
    seen: list[dict] = []
    early, cursor, turn = 0, None, 0
    headers = {"Authorization": f"Bearer {token}"}
    while True:
        finished = writers_done.is_set()  # read before the page: a later page is complete
        base = cluster.urls[turn % 2]
        turn += 1
        answer = http.get(base + FEED, headers=headers,
                          params={"limit": 5, **({"cursor": cursor} if cursor else {})})
        assert answer.status_code == 200, answer.text
        page = answer.json()
        seen += page["items"]
        early += 0 if finished else len(page["items"])
        cursor = page["next_cursor"]
        if finished and not page["has_more"]:
            return seen, early
        if not page["items"]:
            writers_done.wait(0.05)


def test_completions_through_two_processes_reach_the_hr_feed_once_in_order(
        cluster: Cluster, settings, org, db, http):
    owners = _developers(db, org, 6)
    objectives = []
    for owner in owners:
        for n in range(4):
            objective = Objective(person_id=owner.id, title=f"Objective {n} of {owner.name}",
                                  quarter="2026-Q4", twenty_percent_time=True, status="agreed")
            db.add(objective)
            db.commit()
            objectives.append((objective, owner))
    admin = bearer(settings, org["admin"])
    account = http.post(f"{cluster.urls[0]}/v1/service-accounts", headers=admin,
                        json={"name": "HR system", "scopes": ["hr.feed:read"]}).json()
    token = http.post(f"{cluster.urls[1]}/v1/auth/token", data={
        "grant_type": "client_credentials", "client_id": account["client_id"],
        "client_secret": account["client_secret"]}).json()["access_token"]
    manager = bearer(settings, org["senior"])  # every owner's line manager

    def lifecycle(item) -> list[list[int]]:
        """Complete (twice at once); for every other objective, reopen and complete again."""
        objective, owner = item
        mine, url = bearer(settings, owner), f"/v1/objectives/{objective.id}"
        steps = [_both_at_once(http, cluster, f"{url}/complete", mine, {"note": "done"})]
        if objective.id % 2:
            steps.append(_both_at_once(http, cluster, f"{url}/reopen", manager,
                                       {"reason": "one more step"}))
            steps.append(_both_at_once(http, cluster, f"{url}/complete", mine,
                                       {"note": "done now"}))
        return steps

    writers_done = threading.Event()
    with ThreadPoolExecutor(1) as poller_thread:
        poller = poller_thread.submit(_poll_feed, http, cluster, token, writers_done)
        try:
            with ThreadPoolExecutor(THREADS // 2) as pool:
                steps = [s for done in pool.map(lifecycle, objectives) for s in done]
        finally:
            writers_done.set()
        seen, seen_early = poller.result(timeout=300)

    # Of each pair sent at once, one did it and the other was told it was already done.
    assert Counter(map(tuple, steps)) == {(200, 409): len(steps)}
    events = db.exec(select(HrEvent).order_by(col(HrEvent.id))).all()
    assert len(events) == len(steps)
    assert [i["event_id"] for i in seen] == [e.id for e in events], \
        "the poller saw every event once, in order"
    story: dict[int, list[str]] = {id_of(o): [] for o, _ in objectives}
    for item in seen:
        story[item["objective_id"]].append(item["type"].removeprefix("objective."))
    assert story == {id_of(o): ["completed", "reopened", "completed"] if id_of(o) % 2
                     else ["completed"] for o, _ in objectives}
    recognised = db.exec(select(Trigger).where(Trigger.rule == "objective_completed")).all()
    assert sorted(t.details["objective_id"] for t in recognised) == sorted(
        id_of(o) for o, _ in objectives)
    figures.record("scale-out: objective changes sent twice at once", len(steps))
    figures.record("scale-out: HR feed events seen exactly once, in order", len(seen))
    figures.record("scale-out: of them, seen while the writers were at work", seen_early)

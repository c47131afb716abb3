"""The benchmark harness makes what it is asked for (no timings here: benchmarks/ measures)."""

from __future__ import annotations

import json
from collections import Counter

from app.domain.signatures import sha256_signature_matches
from benchmarks import dataset, run


def test_the_department_has_the_shape_the_benchmarks_need() -> None:
    plan = dataset.plan_people(1)
    assert len(plan.people) == 2000 and len(plan.teams) == 60
    assert len(plan.teams[1]) == 30 and len(plan.teams[2]) == 10
    members = [p for ids in plan.teams.values() for p in ids]
    assert len(members) == len(set(members)), "nobody is in two teams"
    by_id = plan.by_id
    assert len(plan.probes) == 50
    assert all(by_id[report].manager == manager for manager, report in plan.probes)
    assert "head_of_department" in by_id[plan.head_id].roles
    assert all("team_lead" in by_id[lead].roles for lead in plan.team_leads.values())


def test_a_fifth_of_the_jira_deliveries_repeat_an_earlier_one_and_all_are_signed() -> None:
    plan = dataset.plan_people(0.05)
    requests, unique = run.jira_deliveries(plan, 500, "t")
    ids = [r.headers["X-Atlassian-Webhook-Identifier"] for r in requests]
    assert len(requests) == 500 and unique == 400 and len(set(ids)) == 400
    counts = Counter(ids)
    assert sum(n - 1 for n in counts.values()) == 100
    assert all(sha256_signature_matches(run.JIRA_SECRET, r.body.encode(),
                                        r.headers["X-Hub-Signature"]) for r in requests)
    issues = {json.loads(r.body)["issue"]["key"] for r in requests}
    assert len(issues) == 400, "each unique delivery is its own issue"


def test_the_hr_feed_rows_run_in_order_and_grow_without_gaps() -> None:
    plan = dataset.plan_people(0.02)
    list(dataset._objective_rows(plan))  # decides the completed objectives events refer to
    first = list(dataset.hr_event_rows(plan, 0, 100))
    more = list(dataset.hr_event_rows(plan, 100, 250))
    ids = [e["id"] for e in first + more]
    assert ids == list(range(1, 251))
    times = [e["occurred_at"] for e in first + more]
    assert times == sorted(times)
    assert all(e["employee_number"].startswith("0") for e in first)

"""Objectives: drafting, the lifecycle, access, check-ins and the HR events they publish."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import col, select

from app.db.growth import Evidence, HrEvent, Objective

PROBLEM = "application/problem+json"
Q = "2026-Q4"


def _draft(client, headers, **body):
    payload = {"title": "Raise test coverage of the booking service", "quarter": Q,
               "twenty_percent_time": True, "quality_dashboard_outcome": "Test coverage", **body}
    answer = client.post("/v1/objectives", headers=headers, json=payload)
    assert answer.status_code == 201, answer.text
    return answer.json()


def _act(client, headers, objective_id, action, **body):
    return client.post(f"/v1/objectives/{objective_id}/{action}", headers=headers, json=body)


@pytest.fixture
def dev(org, as_):
    return as_(org["dev"])


@pytest.fixture
def manager(org, as_):
    return as_(org["senior"])


def test_a_developer_drafts_their_own_objective(client, org, dev):
    created = _draft(client, dev)
    assert created["person_id"] == org["dev"].id
    assert created["status"] == "draft"
    # The owner's own actions only: agreeing is their line manager's.
    assert created["allowed_actions"] == ["drop", "edit"]
    assert created["created_by"] == created["updated_by"] == org["dev"].id
    assert created["warnings"] == [
        "1 20%-time objective for 2026-Q4; the policy expects 3 (an expectation, not a limit)."]


def test_nobody_drafts_for_someone_else_not_even_their_line_manager(client, org, manager, as_):
    refused = client.post("/v1/objectives", headers=manager, json={
        "person_id": org["dev"].id, "title": "x", "quarter": Q})
    assert refused.status_code == 403
    assert refused.json()["rule"] == "OBJECTIVE-OWNER-WRITES"
    assert "written by its owner" in refused.json()["detail"]
    refused = client.post("/v1/objectives", headers=as_(org["peer"]), json={
        "person_id": org["dev"].id, "title": "x", "quarter": Q})
    assert refused.status_code == 403 and refused.json()["rule"] == "objective-readers"


def test_three_objectives_clear_the_warning_and_a_fourth_brings_it_back(client, dev):
    for n in range(2):
        _draft(client, dev, title=f"Objective {n}")
    third = _draft(client, dev, title="Third")
    assert third["warnings"] == []
    fourth = _draft(client, dev, title="Fourth")
    assert "4 20%-time objectives" in fourth["warnings"][0]
    other = _draft(client, dev, title="Not 20% time", twenty_percent_time=False)
    assert other["warnings"] == []


@pytest.mark.parametrize("quarter", ["2026-Q5", "2026-Q0", "26-Q1", "2026Q1x", "1999-Q1"])
def test_a_malformed_or_impossible_quarter_is_a_422_that_says_so(client, dev, quarter):
    answer = client.post("/v1/objectives", headers=dev, json={"title": "x", "quarter": quarter})
    assert answer.status_code == 422
    assert answer.headers["content-type"] == PROBLEM
    assert "quarter" in answer.text


def test_the_full_lifecycle_publishes_completions_and_reopenings(client, org, dev, manager, db):
    objective = _draft(client, dev)
    agreed = _act(client, manager, objective["id"], "agree")
    assert agreed.status_code == 200 and agreed.json()["status"] == "agreed"
    assert agreed.json()["agreed_by_id"] == org["senior"].id
    done = _act(client, dev, objective["id"], "complete", note="Coverage from 41% to 78%")
    assert done.status_code == 200
    assert done.json()["status"] == "completed" and done.json()["completed_at"]
    reopened = _act(client, manager, objective["id"], "reopen", reason="Coverage fell back")
    assert reopened.json()["status"] == "agreed" and reopened.json()["completed_at"] is None
    events = db.exec(select(HrEvent).order_by(col(HrEvent.id))).all()
    assert [(e.event_type, e.objective_id) for e in events] == [
        ("objective.completed", objective["id"]), ("objective.reopened", objective["id"])]
    assert events[0].employee_number == "000042" and events[0].quarter == Q


def test_only_the_line_manager_agrees_and_reopens(client, org, dev, as_):
    objective = _draft(client, dev)
    for who, status in (("dev", 403), ("principal", 403), ("peer", 403), ("admin", 403)):
        answer = _act(client, as_(org[who]), objective["id"], "agree")
        assert answer.status_code == status, who


def test_only_the_owner_completes(client, org, dev, manager, as_):
    objective = _draft(client, dev)
    _act(client, manager, objective["id"], "agree")
    answer = _act(client, manager, objective["id"], "complete", note="done")
    assert answer.status_code == 403
    assert "owner" in answer.json()["detail"]


def test_completion_needs_a_note_or_evidence(client, org, dev, manager, db):
    objective = _draft(client, dev)
    _act(client, manager, objective["id"], "agree")
    bare = _act(client, dev, objective["id"], "complete")
    assert bare.status_code == 422 and bare.json()["rule"] == "COMPLETION-EVIDENCE"
    blank = _act(client, dev, objective["id"], "complete", note="   ")
    assert blank.status_code == 422
    mine = Evidence(person_id=org["dev"].id, kind="accomplishment", source="manual",
                    occurred_on=date(2026, 11, 2), title="Wrote the contract tests")
    theirs = Evidence(person_id=org["peer"].id, kind="accomplishment", source="manual",
                      occurred_on=date(2026, 11, 2), title="Not yours")
    db.add(mine)
    db.add(theirs)
    db.commit()
    refused = _act(client, dev, objective["id"], "complete", evidence_ids=[theirs.id])
    assert refused.status_code == 422 and str(theirs.id) in refused.json()["detail"]
    done = _act(client, dev, objective["id"], "complete", evidence_ids=[mine.id])
    assert done.status_code == 200 and done.json()["evidence_ids"] == [mine.id]
    db.refresh(mine)
    assert mine.objective_id == objective["id"]


@pytest.mark.parametrize("path, setup, action, body", [
    ("draft", [], "complete", {"note": "x"}),
    ("draft", [], "reopen", {"reason": "x"}),
    ("agreed", ["agree"], "agree", {}),
    ("agreed", ["agree"], "reopen", {"reason": "x"}),
    ("completed", ["agree", "complete"], "agree", {}),
    ("completed", ["agree", "complete"], "complete", {"note": "x"}),
    ("completed", ["agree", "complete"], "drop", {"reason": "x"}),
    ("dropped", ["drop"], "agree", {}),
    ("dropped", ["drop"], "complete", {"note": "x"}),
    ("dropped", ["drop"], "reopen", {"reason": "x"}),
    ("dropped", ["drop"], "drop", {"reason": "x"}),
])
def test_each_illegal_transition_is_a_409_naming_state_and_choices(
        client, dev, manager, path, setup, action, body):
    objective = _draft(client, dev)
    steps = {"agree": (manager, {}), "complete": (dev, {"note": "done"}),
             "drop": (dev, {"reason": "no longer relevant"})}
    for step in setup:
        who, payload = steps[step]
        assert _act(client, who, objective["id"], step, **payload).status_code == 200
    # Use whoever may normally take the action, so only the state is wrong.
    actor = dev if action in ("complete", "drop") else manager
    answer = _act(client, actor, objective["id"], action, **body)
    assert answer.status_code == 409
    assert answer.headers["content-type"] == PROBLEM
    problem = answer.json()
    assert problem["state"] == path
    assert f"The objective is {path}" in problem["detail"]
    assert problem["allowed_actions"] == {
        "draft": ["agree", "request_changes", "drop", "edit"],
        "agreed": ["complete", "drop", "edit"],
        "completed": ["reopen"], "dropped": []}[path]


def test_reading_follows_the_relationships(client, org, dev, as_):
    objective = _draft(client, dev)
    url = f"/v1/objectives/{objective['id']}"
    for who in ("dev", "senior", "principal", "head"):
        assert client.get(url, headers=as_(org[who])).status_code == 200, who
    for who in ("peer", "other_senior", "other_dev", "admin"):
        assert client.get(url, headers=as_(org[who])).status_code == 403, who
    listed = client.get(f"/v1/objectives?person_id={org['dev'].id}", headers=as_(org["peer"]))
    assert listed.status_code == 403 and listed.json()["rule"] == "objective-readers"


def test_patch_edits_draft_and_agreed_wording_with_if_match(client, dev, manager):
    objective = _draft(client, dev)
    url = f"/v1/objectives/{objective['id']}"
    assert client.patch(url, headers=dev, json={"title": "New"}).status_code == 428
    etag = client.get(url, headers=dev).headers["etag"]
    changed = client.patch(url, headers={**dev, "If-Match": etag}, json={"title": "New"})
    assert changed.status_code == 200 and changed.json()["title"] == "New"
    stale = client.patch(url, headers={**dev, "If-Match": etag}, json={"title": "Newer"})
    assert stale.status_code == 412
    _act(client, manager, objective["id"], "agree")
    _act(client, dev, objective["id"], "complete", note="done")
    etag = client.get(url, headers=dev).headers["etag"]
    frozen = client.patch(url, headers={**dev, "If-Match": etag}, json={"title": "Late"})
    assert frozen.status_code == 409


def test_list_filters(client, org, dev, manager):
    a = _draft(client, dev, title="A")
    _draft(client, dev, title="B", quarter="2027-Q1")
    _draft(client, dev, title="C", twenty_percent_time=False)
    _act(client, manager, a["id"], "agree")
    def titles(query):
        answer = client.get(f"/v1/objectives?{query}", headers=dev)
        assert answer.status_code == 200, answer.text
        return [o["title"] for o in answer.json()["items"]]
    assert titles("") == ["A", "B", "C"]
    assert titles(f"quarter={Q}") == ["A", "C"]
    assert titles("status=agreed") == ["A"]
    assert titles("twenty_percent_time=false") == ["C"]
    assert titles(f"person_id={org['dev'].id}&quarter=2027-Q1") == ["B"]
    assert client.get("/v1/objectives?quarter=2027-Q7", headers=dev).status_code == 422


def test_check_ins(client, org, dev, manager, as_):
    objective = _draft(client, dev)
    url = f"/v1/objectives/{objective['id']}/check-ins"
    first = client.post(url, headers=dev, json={"on": "2026-10-15", "note": "Started",
                                                "progress": 10})
    assert first.status_code == 201 and first.json()["author_id"] == org["dev"].id
    by_manager = client.post(url, headers=manager, json={"on": "2026-11-01",
                                                         "note": "Looks good"})
    assert by_manager.status_code == 201
    assert client.post(url, headers=as_(org["peer"]), json={"on": "2026-11-01",
                                                            "note": "x"}).status_code == 403
    assert client.post(url, headers=dev, json={"on": "2026-11-01", "note": "x",
                                               "progress": 101}).status_code == 422
    listed = client.get(url, headers=as_(org["principal"])).json()["items"]
    assert [c["note"] for c in listed] == ["Started", "Looks good"]
    _act(client, dev, objective["id"], "drop", reason="Superseded")
    late = client.post(url, headers=dev, json={"on": "2026-11-20", "note": "x"})
    assert late.status_code == 409


def test_list_statement_count_does_not_grow_with_page_size(client, org, dev, db, statements):
    for n in range(25):
        db.add(Objective(person_id=org["dev"].id, title=f"O{n}", quarter=Q,
                         twenty_percent_time=True, status="draft"))
    db.commit()
    counts = []
    for limit in (2, 25):
        with statements() as counted:
            assert client.get(f"/v1/objectives?limit={limit}", headers=dev).status_code == 200
        counts.append(counted.count)
    assert counts[0] == counts[1]


def test_unknown_fields_are_refused(client, dev):
    answer = client.post("/v1/objectives", headers=dev, json={
        "title": "x", "quarter": Q, "status": "completed"})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "status"

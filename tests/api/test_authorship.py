"""Authorship: a person writes their own objectives and evidence; their line manager agrees,
asks for changes and comments; each caller is shown only the actions that are theirs; and
who did what is recorded and readable."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from app.db.models import AuditEntry
from app.services.support import interventions
from tests.api.test_interventions import missed

Q = "2026-Q4"
OWNER_WRITES = "OBJECTIVE-OWNER-WRITES"


@pytest.fixture
def dev(org, as_):
    return as_(org["dev"])


@pytest.fixture
def manager(org, as_):
    return as_(org["senior"])


def _draft(client, headers, **body):
    answer = client.post("/v1/objectives", headers=headers, json={
        "title": "Raise test coverage of the booking service", "quarter": Q, **body})
    assert answer.status_code == 201, answer.text
    return answer.json()


def _act(client, headers, objective_id, action, **body):
    return client.post(f"/v1/objectives/{objective_id}/{action}", headers=headers, json=body)


def _patch(client, headers, objective_id, **body):
    etag = client.get(f"/v1/objectives/{objective_id}", headers=headers).headers["etag"]
    return client.patch(f"/v1/objectives/{objective_id}", headers={**headers, "If-Match": etag},
                        json=body)


def _refused_as_owners_words(answer) -> None:
    assert answer.status_code == 403, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["rule"] == OWNER_WRITES
    assert "written by its owner" in answer.json()["detail"]


def test_the_line_manager_cannot_create_rewrite_or_drop_a_reports_objective(
        client, org, dev, manager, as_):
    _refused_as_owners_words(client.post("/v1/objectives", headers=manager, json={
        "person_id": org["dev"].id, "title": "Written for you", "quarter": Q}))
    objective = _draft(client, dev)
    _refused_as_owners_words(_patch(client, manager, objective["id"], title="Rewritten"))
    _refused_as_owners_words(_act(client, manager, objective["id"], "drop", reason="Not needed"))
    # Nor above them in the line, nor a head of department with every other power.
    for who in ("principal", "head"):
        _refused_as_owners_words(_patch(client, as_(org[who]), objective["id"], title="No"))
    after = client.get(f"/v1/objectives/{objective['id']}", headers=dev)
    assert (after.json()["title"], after.json()["status"]) == (objective["title"], "draft")
    assert after.json()["updated_by"] == org["dev"].id
    assert after.headers["etag"] == f'"objective-{objective["id"]}-v1"'


def test_nobody_records_evidence_about_someone_else(client, org, dev, manager):
    refused = client.post("/v1/evidence", headers=manager, json={
        "person_id": org["dev"].id, "kind": "accomplishment", "occurred_on": "2026-10-05",
        "title": "Shipped the booking fix"})
    assert refused.status_code == 403
    assert refused.json()["rule"] == "EVIDENCE-OWNER-WRITES"
    own = client.post("/v1/evidence", headers=dev, json={
        "kind": "accomplishment", "occurred_on": "2026-10-05", "title": "Shipped the fix"})
    assert own.status_code == 201, own.text
    assert own.json()["created_by"] == own.json()["updated_by"] == org["dev"].id
    etag = client.get(f"/v1/evidence/{own.json()['id']}", headers=manager).headers["etag"]
    rewritten = client.patch(f"/v1/evidence/{own.json()['id']}",
                             headers={**manager, "If-Match": etag}, json={"title": "Mine now"})
    assert rewritten.status_code == 403
    assert rewritten.json()["rule"] == "EVIDENCE-OWNER-WRITES"


def test_each_caller_sees_the_actions_that_are_theirs(client, org, dev, manager, as_):
    objective = _draft(client, dev)
    assert objective["allowed_actions"] == ["drop", "edit"]
    url = f"/v1/objectives/{objective['id']}"
    assert client.get(url, headers=dev).json()["allowed_actions"] == ["drop", "edit"]
    assert client.get(url, headers=manager).json()["allowed_actions"] == [
        "agree", "request_changes"]
    assert client.get(url, headers=as_(org["principal"])).json()["allowed_actions"] == []
    listed = client.get("/v1/objectives", headers=manager,
                        params={"person_id": org["dev"].id}).json()["items"]
    assert listed[0]["allowed_actions"] == ["agree", "request_changes"]
    # What is listed is what is allowed: the owner agreeing their own is refused.
    refused = _act(client, dev, objective["id"], "agree")
    assert refused.status_code == 403
    assert "line manager" in refused.json()["detail"]
    agreed = _act(client, manager, objective["id"], "agree").json()
    assert agreed["allowed_actions"] == []
    assert client.get(url, headers=dev).json()["allowed_actions"] == ["complete", "drop",
                                                                      "edit"]


def test_changes_requested_go_back_to_the_owner_and_their_edit_returns_it_to_draft(
        client, org, dev, manager):
    objective = _draft(client, dev)
    no_words = _act(client, manager, objective["id"], "request_changes")
    assert no_words.status_code == 422
    asked = _act(client, manager, objective["id"], "request_changes",
                 note="Say how coverage will be measured")
    assert asked.status_code == 200, asked.text
    body = asked.json()
    assert body["status"] == "changes_requested"
    assert body["change_request"] == "Say how coverage will be measured"
    assert body["updated_by"] == org["senior"].id
    assert body["allowed_actions"] == []
    # Not agreeable until rewritten: the usual 409 names the state and what may follow.
    early = _act(client, manager, objective["id"], "agree")
    assert early.status_code == 409
    assert early.json()["state"] == "changes_requested"
    assert early.json()["allowed_actions"] == ["drop", "edit"]
    seen = client.get(f"/v1/objectives/{objective['id']}", headers=dev).json()
    assert seen["allowed_actions"] == ["drop", "edit"]
    edited = _patch(client, dev, objective["id"],
                    description="Measured by the coverage report on main")
    assert edited.status_code == 200, edited.text
    assert edited.json()["status"] == "draft"
    assert edited.json()["updated_by"] == org["dev"].id
    agreed = _act(client, manager, objective["id"], "agree")
    assert agreed.status_code == 200
    assert agreed.json()["status"] == "agreed"
    # Agreeing is from draft only.
    again = _act(client, manager, objective["id"], "request_changes", note="One more thing")
    assert again.status_code == 409 and again.json()["state"] == "agreed"


def test_the_owner_may_drop_an_objective_sent_back_for_changes(client, dev, manager):
    objective = _draft(client, dev)
    _act(client, manager, objective["id"], "request_changes", note="Too big for a quarter")
    dropped = _act(client, dev, objective["id"], "drop", reason="Splitting it in two")
    assert dropped.status_code == 200 and dropped.json()["status"] == "dropped"


def test_a_check_in_by_the_line_manager_shows_its_author(client, org, dev, manager, as_):
    objective = _draft(client, dev)
    url = f"/v1/objectives/{objective['id']}/check-ins"
    made = client.post(url, headers=manager, json={"on": "2026-10-12",
                                                   "note": "Good start on the fixtures"})
    assert made.status_code == 201, made.text
    assert made.json()["author_id"] == made.json()["created_by"] == org["senior"].id
    own = client.post(url, headers=dev, json={"on": "2026-10-13", "note": "Half way"}).json()
    assert own["author_id"] == org["dev"].id
    listed = client.get(url, headers=dev).json()["items"]
    assert [c["author_id"] for c in listed] == [org["senior"].id, org["dev"].id]
    # Above the line manager, one reads but does not comment.
    assert client.post(url, headers=as_(org["principal"]),
                       json={"on": "2026-10-14", "note": "x"}).status_code == 403


def test_history_says_who_did_what_and_is_for_those_who_may_read_the_objective(
        client, org, dev, manager, as_):
    objective = _draft(client, dev)
    _act(client, manager, objective["id"], "request_changes", note="Name the outcome")
    _patch(client, dev, objective["id"], quality_dashboard_outcome="Test coverage")
    _act(client, manager, objective["id"], "agree")
    url = f"/v1/objectives/{objective['id']}/history"
    history = client.get(url, headers=dev)
    assert history.status_code == 200, history.text
    lines = history.json()["items"]
    assert [(h["action"], h["actor_id"]) for h in lines] == [
        ("create", org["dev"].id), ("request_changes", org["senior"].id),
        ("edit", org["dev"].id), ("agree", org["senior"].id)]
    assert lines[0]["changes"]["title"] == {"before": None, "after": objective["title"]}
    assert lines[1]["note"] == "Name the outcome"
    assert lines[1]["changes"]["status"] == {"before": "draft", "after": "changes_requested"}
    assert lines[2]["changes"]["quality_dashboard_outcome"] == {"before": None,
                                                                "after": "Test coverage"}
    assert lines[2]["changes"]["status"] == {"before": "changes_requested", "after": "draft"}
    paged = client.get(url, headers=manager, params={"limit": 2}).json()
    assert [h["action"] for h in paged["items"]] == ["create", "request_changes"]
    assert paged["next_cursor"]
    for who in ("peer", "other_senior", "admin"):  # they may know it exists: 403, with the rule
        refused = client.get(url, headers=as_(org[who]))
        assert refused.status_code == 403, who
        assert refused.json()["rule"]


def test_intervention_history_says_who_did_what(client, org, dev, manager, as_):
    made = client.post("/v1/interventions", headers=manager, json={
        "person_id": org["dev"].id, "kind": "pairing", "summary": "Pair on the booking service"})
    assert made.status_code == 201, made.text
    intervention_id = made.json()["id"]
    assert client.post(f"/v1/interventions/{intervention_id}/agree",
                       headers=dev).status_code == 200
    url = f"/v1/interventions/{intervention_id}/history"
    lines = client.get(url, headers=manager).json()["items"]
    assert [(h["action"], h["actor_id"]) for h in lines] == [
        ("create", org["senior"].id), ("agree", org["dev"].id)]
    assert lines[1]["changes"]["status"] == {"before": "proposed", "after": "agreed"}
    assert client.get(url, headers=as_(org["peer"])).status_code == 403


def test_an_admin_drops_someone_elses_objective_only_with_a_recorded_reason(
        client, org, dev, as_, db):
    objective = _draft(client, dev)
    admin = as_(org["admin"])
    unexplained = _act(client, admin, objective["id"], "drop", reason="Left the department")
    assert unexplained.status_code == 422
    assert unexplained.json()["rule"] == "OVERRIDE-REASON"
    assert client.get(f"/v1/objectives/{objective['id']}", headers=dev).json()[
        "status"] == "draft"
    dropped = _act(client, admin, objective["id"], "drop", reason="Left the department",
                   override_reason="Leaver: left on 30 September")
    assert dropped.status_code == 200, dropped.text
    assert dropped.json()["status"] == "dropped"
    assert dropped.json()["updated_by"] == org["admin"].id
    lines = client.get(f"/v1/objectives/{objective['id']}/history", headers=dev).json()["items"]
    assert (lines[-1]["action"], lines[-1]["actor_id"]) == ("override_drop", org["admin"].id)
    assert "Leaver: left on 30 September" in lines[-1]["note"]
    audit = db.exec(select(AuditEntry).where(col(AuditEntry.action) == "objective.override_drop")
                    ).all()
    assert [(a.target_id, a.detail["override_reason"]) for a in audit] == [
        (str(objective["id"]), "Leaver: left on 30 September")]
    # The line manager has no override: an override is an admin's, and says why.
    other = _draft(client, dev, title="Another")
    refused = _act(client, as_(org["senior"]), other["id"], "drop", reason="x",
                   override_reason="I think it should go")
    assert refused.status_code == 403 and refused.json()["rule"] == OWNER_WRITES


def test_support_a_trigger_proposed_has_a_history_that_starts_with_the_system(
        client, org, dev, manager, db):
    trigger = missed(db, org["dev"], "training_hours")
    made = interventions.propose_support(db, trigger=trigger, person=org["dev"])
    db.commit()
    assert client.post(f"/v1/interventions/{made.id}/decline", headers=dev,
                       json={"reason": "I have a course booked"}).status_code == 200
    lines = client.get(f"/v1/interventions/{made.id}/history", headers=manager).json()["items"]
    assert [(h["action"], h["actor_id"]) for h in lines] == [
        ("create", None), ("decline", org["dev"].id)]
    assert lines[0]["changes"]["status"] == {"before": None, "after": "proposed"}
    assert lines[1]["note"] == "I have a course booked"
    shown = client.get(f"/v1/interventions/{made.id}", headers=dev).json()
    assert (shown["created_by"], shown["updated_by"]) == (None, org["dev"].id)

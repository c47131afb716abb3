"""Formal cases and concerns: the fairness gate, the lifecycle, consent, what the subject
sees, concerns as receipts, assignments, the audit view and input validation."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from app.db.models import AuditEntry, id_of
from app.db.support import CaseAssignment, Concern, FormalCase, Intervention, Trigger

PROBLEM = "application/problem+json"
_keys = itertools.count(1)


@pytest.fixture
def cm(person, org):
    """A case manager with no line-management tie to the developers."""
    return person(band="8a", roles=["case_manager"], line_manager=org["principal"],
                  name="Case manager")


@pytest.fixture
def cm2(person, org):
    return person(band="8a", roles=["case_manager"], line_manager=org["principal"],
                  name="Second case manager")


def _trigger(db, subject, *, days_ago: int, direction: str = "negative") -> Trigger:
    trigger = Trigger(person_id=subject.id, direction=direction, rule="target_missed_streak",
                      facts_key=f"test-{next(_keys)}", summary="tickets_done missed 3 sprints",
                      fired_at=datetime.now(UTC) - timedelta(days=days_ago))
    db.add(trigger)
    db.commit()
    return trigger


def _support(db, subject, *, days_ago: int | None, kind: str = "coaching",
             status: str = "completed") -> Intervention:
    completed = None if days_ago is None else datetime.now(UTC) - timedelta(days=days_ago)
    intervention = Intervention(
        person_id=subject.id, kind=kind, status=status, summary="Support",
        completed_at=completed, outcome_note="Worked through it together" if completed else None,
        # Support that lasted the policy's 28 days from agreed to completed.
        agreed_at=completed - timedelta(days=30) if completed else None)
    db.add(intervention)
    db.commit()
    return intervention


def _gate_passes(db, subject) -> None:
    _trigger(db, subject, days_ago=60)
    _support(db, subject, days_ago=40)
    _support(db, subject, days_ago=20, kind="mentoring")


def _open(client, headers, subject, *, kind="disciplinary", expect=201, **extra):
    answer = client.post("/v1/cases", headers=headers, json={
        "subject_id": subject.id, "kind": kind, "summary": "Repeated conduct issue", **extra})
    assert answer.status_code == expect, answer.text
    return answer.json()


def _move(client, headers, case_id, to):
    return client.post(f"/v1/cases/{case_id}/transition", headers=headers, json={"to": to})


# --- the fairness gate ----------------------------------------------------------------------


def test_a_capability_case_needs_a_recent_negative_trigger_and_two_completed_supports(
        client, org, cm, as_, db):
    dev = org["dev"]
    refused = _open(client, as_(cm), dev, kind="capability", expect=422)
    assert refused["rule"] == "CASE-FAIRNESS-GATE"
    assert "no negative trigger in the last 183 days" in refused["detail"]
    _trigger(db, dev, days_ago=200)  # outside the window
    _trigger(db, dev, days_ago=10, direction="positive")  # not negative
    assert "no negative trigger" in _open(client, as_(cm), dev, kind="capability",
                                          expect=422)["detail"]
    trigger = _trigger(db, dev, days_ago=60)
    _support(db, dev, days_ago=90)  # before the trigger: does not count
    _support(db, dev, days_ago=None, status="in_progress")
    _support(db, dev, days_ago=5, kind="recognition")  # not supportive
    first = _support(db, dev, days_ago=30)
    short = _open(client, as_(cm), dev, kind="capability", expect=422)
    assert short["rule"] == "CASE-FAIRNESS-GATE"
    assert "1 supportive intervention(s) completed since" in short["detail"]
    assert "the policy needs 2" in short["detail"]
    assert db.exec(select(FormalCase)).all() == []
    second = _support(db, dev, days_ago=3, kind="pairing")
    case = _open(client, as_(cm), dev, kind="capability")
    assert case["status"] == "open" and case["view"] == "manager"
    snapshot = case["evidence_snapshot"]
    assert [t["id"] for t in snapshot["negative_triggers"]] == [trigger.id]
    assert sorted(i["id"] for i in snapshot["supportive_interventions"]) == [first.id, second.id]
    assert snapshot["min_support"] == 2 and snapshot["window_days"] == 183
    assert snapshot["policy_version_id"] is not None
    assert [a["case_manager_id"] for a in case["assignments"]] == [cm.id]


def test_a_voluntary_band_change_is_gated_too_and_disciplinary_is_not(client, org, cm, as_):
    refused = _open(client, as_(cm), org["peer"], kind="voluntary_band_change", expect=422)
    assert refused["rule"] == "CASE-FAIRNESS-GATE"
    case = _open(client, as_(cm), org["peer"], kind="disciplinary")
    assert case["evidence_snapshot"] == {"gate": "not required for disciplinary"}
    assert case["opened_by_id"] == cm.id and case["subject_id"] == org["peer"].id


def test_only_case_managers_open_cases_and_nobody_about_themselves(client, org, cm, as_, db):
    refused = _open(client, as_(org["admin"]), org["dev"], expect=403)
    assert "cases" in refused["detail"]
    assert _open(client, as_(cm), cm, expect=403)["detail"].startswith("Nobody opens")
    missing = client.post("/v1/cases", headers=as_(cm), json={
        "subject_id": 999999, "kind": "disciplinary", "summary": "x"})
    assert missing.status_code == 404
    refusals = db.exec(select(AuditEntry).where(AuditEntry.action == "case.open.refused")).all()
    assert {(e.actor, e.target_id) for e in refusals} >= {
        (f"person:{org['admin'].id}", str(org["dev"].id)), (f"person:{cm.id}", str(cm.id))}


# --- the lifecycle --------------------------------------------------------------------------


def test_the_lifecycle_from_open_to_closed(client, org, cm, as_, db):
    case = _open(client, as_(cm), org["dev"])
    reviewed = _move(client, as_(cm), case["id"], "under_review")
    assert reviewed.status_code == 200 and reviewed.json()["status"] == "under_review"
    via_transition = _move(client, as_(cm), case["id"], "outcome_recorded")
    assert via_transition.status_code == 422 and via_transition.json()["rule"] == "CASE-OUTCOME"
    outcome = client.post(f"/v1/cases/{case['id']}/outcome", headers=as_(cm),
                          json={"outcome": "Written warning"})
    assert outcome.status_code == 200, outcome.text
    assert outcome.json()["status"] == "outcome_recorded"
    assert outcome.json()["outcome"] == "Written warning"
    closed = _move(client, as_(cm), case["id"], "closed")
    assert closed.status_code == 200 and closed.json()["closed_at"] is not None
    assert db.get(FormalCase, case["id"]).status == "closed"
    assert client.post(f"/v1/cases/{case['id']}/notes", headers=as_(cm), json={
        "visibility": "internal", "body": "late"}).status_code == 409


ILLEGAL = {
    "open": ["open", "outcome_recorded", "closed"],
    "under_review": ["open", "under_review", "closed"],
    "outcome_recorded": ["open", "under_review", "outcome_recorded"],
    "closed": ["open", "under_review", "outcome_recorded", "closed"],
}


@pytest.mark.parametrize("state,to", [(s, t) for s, ts in ILLEGAL.items() for t in ts])
def test_every_illegal_transition_is_a_409(client, org, cm, as_, db, state, to):
    case = _open(client, as_(cm), org["dev"])
    stored = db.get(FormalCase, case["id"])
    stored.status = state
    db.add(stored)
    db.commit()
    answer = _move(client, as_(cm), case["id"], to)
    assert answer.status_code == 409, answer.text
    assert answer.json()["state"] == state
    assert db.get(FormalCase, case["id"]).status == state


def test_an_outcome_needs_a_case_under_review(client, org, cm, as_):
    case = _open(client, as_(cm), org["dev"])
    early = client.post(f"/v1/cases/{case['id']}/outcome", headers=as_(cm),
                        json={"outcome": "x"})
    assert early.status_code == 409


def test_a_stale_if_match_is_refused(client, org, cm, as_):
    case = _open(client, as_(cm), org["dev"])
    etag = client.get(f"/v1/cases/{case['id']}", headers=as_(cm)).headers["ETag"]
    assert _move(client, as_(cm), case["id"], "under_review").status_code == 200
    stale = client.post(f"/v1/cases/{case['id']}/transition", headers={
        **as_(cm), "If-Match": etag}, json={"to": "closed"})
    assert stale.status_code == 412


def test_a_voluntary_band_change_needs_the_subjects_consent_before_an_outcome(
        client, org, cm, as_, db):
    dev = org["dev"]
    _gate_passes(db, dev)
    case = _open(client, as_(cm), dev, kind="voluntary_band_change")
    assert _move(client, as_(cm), case["id"], "under_review").status_code == 200
    refused = client.post(f"/v1/cases/{case['id']}/outcome", headers=as_(cm),
                          json={"outcome": "Moves to band 6"})
    # The outcome waits for the consent: not yet among the case manager's actions (409).
    assert refused.status_code == 409 and refused.json()["rule"] == "CASE-CONSENT"
    assert refused.json()["allowed_actions"] == ["add_note"]
    assert client.post(f"/v1/cases/{case['id']}/consent",
                       headers=as_(cm)).status_code == 403  # only the subject consents
    consent = client.post(f"/v1/cases/{case['id']}/consent", headers=as_(dev))
    assert consent.status_code == 200 and consent.json()["view"] == "subject"
    assert db.get(FormalCase, case["id"]).consent_at is not None
    done = client.post(f"/v1/cases/{case['id']}/outcome", headers=as_(cm),
                       json={"outcome": "Moves to band 6"})
    assert done.status_code == 200 and done.json()["consent_at"] is not None


def test_the_subject_sees_the_outcome_their_consent_and_whom_to_contact(
        client, org, cm, cm2, as_, db):
    dev = org["dev"]
    _gate_passes(db, dev)
    case = _open(client, as_(cm), dev, kind="voluntary_band_change")
    assert client.post(f"/v1/cases/{case['id']}/assignments", headers=as_(cm),
                       json={"case_manager_id": cm2.id}).status_code == 201
    consent = client.post(f"/v1/cases/{case['id']}/consent", headers=as_(dev)).json()
    assert consent["consent_at"] is not None
    assert _move(client, as_(cm), case["id"], "under_review").status_code == 200
    assert client.post(f"/v1/cases/{case['id']}/outcome", headers=as_(cm),
                       json={"outcome": "Moves to band 6 from May"}).status_code == 200
    seen = client.get(f"/v1/cases/{case['id']}", headers=as_(dev))
    assert seen.status_code == 200
    body = seen.json()
    assert body["view"] == "subject" and body["status"] == "outcome_recorded"
    assert body["outcome"] == "Moves to band 6 from May"
    assert body["consent_at"] == consent["consent_at"]
    assert body["case_managers"] == [{"id": cm.id, "name": cm.name, "email": cm.email},
                                     {"id": cm2.id, "name": cm2.name, "email": cm2.email}]
    # Still nobody else finds the case, the line manager least of all.
    for who in (org["senior"], org["peer"], org["admin"], org["head"]):
        assert client.get(f"/v1/cases/{case['id']}", headers=as_(who)).status_code == 404


def test_consent_belongs_to_voluntary_band_changes(client, org, cm, as_):
    case = _open(client, as_(cm), org["dev"])
    answer = client.post(f"/v1/cases/{case['id']}/consent", headers=as_(org["dev"]))
    # A disciplinary case has no consent step, so consenting is not among the subject's
    # actions on it (409, naming what they may do: nothing).
    assert answer.status_code == 409 and answer.json()["rule"] == "CASE-CONSENT"
    assert answer.json()["allowed_actions"] == []


# --- what the subject sees ------------------------------------------------------------------


def test_the_subject_sees_status_and_shared_notes_never_internal_ones(client, org, cm, as_):
    dev = org["dev"]
    case = _open(client, as_(cm), dev)
    for visibility, body in (("shared", "Meeting on Tuesday"), ("internal", "Witness says X")):
        note = client.post(f"/v1/cases/{case['id']}/notes", headers=as_(cm),
                           json={"visibility": visibility, "body": body})
        assert note.status_code == 201, note.text
    seen = client.get(f"/v1/cases/{case['id']}", headers=as_(dev))
    assert seen.status_code == 200
    body = seen.json()
    assert set(body) == {"view", "id", "kind", "status", "opened_at", "closed_at", "outcome",
                         "consent_at", "case_managers", "notes", "allowed_actions"}
    assert body["allowed_actions"] == []  # a disciplinary case asks nothing of its subject
    assert body["view"] == "subject" and body["status"] == "open"
    assert body["outcome"] is None and body["consent_at"] is None
    assert body["case_managers"] == [{"id": cm.id, "name": cm.name, "email": cm.email}]
    assert [n["body"] for n in body["notes"]] == ["Meeting on Tuesday"]
    assert "Witness" not in seen.text and "Repeated conduct" not in seen.text
    notes = client.get(f"/v1/cases/{case['id']}/notes", headers=as_(dev)).json()
    assert [n["body"] for n in notes["items"]] == ["Meeting on Tuesday"]
    listed = client.get("/v1/cases", headers=as_(dev)).json()["items"]
    assert [(c["id"], c["view"], c["status"]) for c in listed] == [(case["id"], "subject", "open")]
    manager_notes = client.get(f"/v1/cases/{case['id']}/notes", headers=as_(cm)).json()
    assert [n["visibility"] for n in manager_notes["items"]] == ["shared", "internal"]
    manager_view = client.get(f"/v1/cases/{case['id']}", headers=as_(cm)).json()
    assert manager_view["view"] == "manager" and len(manager_view["notes"]) == 2
    # The subject cannot write notes, move the case or read its audit log.
    assert client.post(f"/v1/cases/{case['id']}/notes", headers=as_(dev), json={
        "visibility": "shared", "body": "x"}).status_code == 403
    assert _move(client, as_(dev), case["id"], "under_review").status_code == 403
    assert client.get(f"/v1/audit?case_id={case['id']}", headers=as_(dev)).status_code == 403


def test_anyone_else_finds_nothing(client, org, cm, cm2, as_):
    case = _open(client, as_(cm), org["dev"])
    for who in (org["peer"], org["admin"], org["head"], org["principal"], cm2):
        assert client.get(f"/v1/cases/{case['id']}", headers=as_(who)).status_code == 404
        assert client.get(f"/v1/cases/{case['id']}/notes",
                          headers=as_(who)).status_code == 404
        listed = client.get("/v1/cases", headers=as_(who))
        assert listed.status_code == 200 and listed.json() == {"items": [], "next_cursor": None}
    # An unassigned case manager may not act on it either.
    assert _move(client, as_(cm2), case["id"], "under_review").status_code == 404


def test_listing_cases_costs_the_same_whatever_the_page_size(client, org, cm, as_, db,
                                                            statements):
    now = datetime.now(UTC)
    for n in range(30):
        case = FormalCase(subject_id=org["dev" if n % 2 else "peer"].id, kind="disciplinary",
                          status="open", summary=f"Case {n}", opened_by_id=cm.id, opened_at=now)
        db.add(case)
        db.commit()
        db.add(CaseAssignment(case_id=id_of(case), case_manager_id=id_of(cm), assigned_at=now))
        db.commit()
    counts = {}
    for limit in (2, 25):
        with statements() as counted:
            answer = client.get(f"/v1/cases?limit={limit}", headers=as_(cm))
        assert answer.status_code == 200 and len(answer.json()["items"]) == limit
        counts[limit] = counted.count
    assert counts[2] == counts[25]
    page = client.get("/v1/cases?limit=25", headers=as_(cm)).json()
    rest = client.get(f"/v1/cases?limit=25&cursor={page['next_cursor']}", headers=as_(cm))
    assert len(rest.json()["items"]) == 5 and rest.json()["next_cursor"] is None


# --- assignments and the audit view ---------------------------------------------------------


def test_assigning_and_unassigning_case_managers(client, org, cm, cm2, as_):
    case = _open(client, as_(cm), org["dev"])
    url = f"/v1/cases/{case['id']}/assignments"
    not_a_cm = client.post(url, headers=as_(cm), json={"case_manager_id": org["peer"].id})
    assert not_a_cm.status_code == 422 and not_a_cm.json()["rule"] == "CASE-ASSIGNEE"
    added = client.post(url, headers=as_(cm), json={"case_manager_id": cm2.id})
    assert added.status_code == 201 and added.json()["case_manager_id"] == cm2.id
    assert client.post(url, headers=as_(cm), json={"case_manager_id": cm2.id}).status_code == 409
    assert client.get(f"/v1/cases/{case['id']}", headers=as_(cm2)).json()["view"] == "manager"
    assert [c["id"] for c in client.get("/v1/cases", headers=as_(cm2)).json()["items"]] == [
        case["id"]]
    assert client.delete(f"{url}/{cm.id}", headers=as_(cm2)).status_code == 204
    assert client.get(f"/v1/cases/{case['id']}", headers=as_(cm)).status_code == 404
    assert client.delete(f"{url}/{cm.id}", headers=as_(cm2)).status_code == 404
    last = client.delete(f"{url}/{cm2.id}", headers=as_(cm2))
    assert last.status_code == 409
    assert client.get(f"/v1/cases/{case['id']}", headers=as_(cm2)).status_code == 200


def test_the_audit_view_shows_reads_writes_and_refusals_of_the_case(client, org, cm, as_):
    case = _open(client, as_(cm), org["dev"])
    client.get(f"/v1/cases/{case['id']}", headers=as_(cm))
    client.get(f"/v1/cases/{case['id']}", headers=as_(org["peer"]))  # refused
    log = client.get(f"/v1/audit?case_id={case['id']}", headers=as_(cm))
    assert log.status_code == 200, log.text
    entries = [(e["actor"], e["action"], e["outcome"]) for e in log.json()["items"]]
    assert entries == [(f"person:{cm.id}", "case.open", "ok"),
                       (f"person:{cm.id}", "case.read", "ok"),
                       (f"person:{org['peer'].id}", "case.read.refused", "refused")]
    assert all(e["target_id"] == str(case["id"]) for e in log.json()["items"])
    assert all(e["request_id"] for e in log.json()["items"])
    missing = client.get("/v1/audit?case_id=999999", headers=as_(cm))
    assert missing.status_code == 404


# --- concerns --------------------------------------------------------------------------------


def test_a_concern_gets_a_receipt_only_and_the_raiser_cannot_follow_it(client, org, cm, as_, db):
    senior, dev = org["senior"], org["dev"]
    answer = client.post("/v1/concerns", headers=as_(senior),
                         json={"subject_id": dev.id, "summary": "Missed three sprints"})
    assert answer.status_code == 201, answer.text
    assert set(answer.json()) == {"id", "received_at"}
    assert "Location" not in answer.headers
    concern_id = answer.json()["id"]
    assert client.get("/v1/concerns", headers=as_(senior)).status_code == 403
    assert client.post(f"/v1/concerns/{concern_id}/dismiss", headers=as_(senior),
                       json={"reason": "x"}).status_code == 403
    listed = client.get("/v1/concerns", headers=as_(cm)).json()["items"]
    assert [(c["id"], c["subject_id"], c["raised_by_id"]) for c in listed] == [
        (concern_id, dev.id, senior.id)]
    case = _open(client, as_(cm), dev, concern_id=concern_id)
    assert case["concern_id"] == concern_id
    stored = db.get(Concern, concern_id)
    assert (stored.status, stored.case_id, stored.handled_by_id) == (
        "case_opened", case["id"], cm.id)
    assert client.get("/v1/concerns", headers=as_(cm)).json()["items"] == []
    assert client.get("/v1/cases", headers=as_(senior)).json()["items"] == []
    assert client.get(f"/v1/cases/{case['id']}", headers=as_(senior)).status_code == 404
    again = _open(client, as_(cm), dev, concern_id=concern_id, expect=409)
    assert "already" in again["detail"]
    log = client.get(f"/v1/audit?case_id={case['id']}", headers=as_(cm)).json()["items"]
    assert ("concern", "concern.raise") in {(e["target_type"], e["action"]) for e in log}


def test_only_the_line_manager_raises_a_concern(client, org, as_, db):
    refused = client.post("/v1/concerns", headers=as_(org["peer"]),
                          json={"subject_id": org["dev"].id, "summary": "x"})
    assert refused.status_code == 403
    assert "line manager" in refused.json()["detail"]
    # Not even someone higher up the chain.
    assert client.post("/v1/concerns", headers=as_(org["principal"]),
                       json={"subject_id": org["dev"].id, "summary": "x"}).status_code == 403
    assert client.post("/v1/concerns", headers=as_(org["senior"]),
                       json={"subject_id": 999999, "summary": "x"}).status_code == 404
    assert db.exec(select(Concern)).all() == []
    logged = db.exec(select(AuditEntry).where(
        AuditEntry.action == "concern.raise.refused")).all()
    assert {e.actor for e in logged} == {f"person:{org['peer'].id}",
                                         f"person:{org['principal'].id}"}


def test_case_managers_dismiss_concerns_once(client, org, cm, as_):
    raised = client.post("/v1/concerns", headers=as_(org["senior"]),
                         json={"subject_id": org["dev"].id, "summary": "x"}).json()
    url = f"/v1/concerns/{raised['id']}/dismiss"
    dismissed = client.post(url, headers=as_(cm), json={"reason": "Support is working"})
    assert dismissed.status_code == 200 and dismissed.json()["status"] == "dismissed"
    assert client.post(url, headers=as_(cm), json={"reason": "again"}).status_code == 409
    assert client.get("/v1/concerns", headers=as_(cm)).json()["items"] == []
    assert _open(client, as_(cm), org["dev"], concern_id=raised["id"], expect=409)
    assert client.post("/v1/concerns/999999/dismiss", headers=as_(cm),
                       json={"reason": "x"}).status_code == 404


def test_a_concern_opens_a_case_about_its_own_subject_only(client, org, cm, as_):
    raised = client.post("/v1/concerns", headers=as_(org["senior"]),
                         json={"subject_id": org["dev"].id, "summary": "x"}).json()
    wrong = _open(client, as_(cm), org["peer"], concern_id=raised["id"], expect=422)
    assert wrong["rule"] == "CASE-CONCERN-SUBJECT"


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [
    {"subject_id": 1, "kind": "disciplinary", "summary": "x", "status": "closed"},
    {"subject_id": 1, "kind": "gross_misconduct", "summary": "x"},
    {"subject_id": 1, "kind": "disciplinary", "summary": "   "},
    {"subject_id": 1, "kind": "disciplinary", "summary": "x" * 4001},
    {"subject_id": "1", "kind": "disciplinary", "summary": "x"},
    {"subject_id": 1, "kind": "disciplinary", "summary": "x", "concern_id": 0},
    {"kind": "disciplinary", "summary": "x"},
    {"subject_id": 1, "kind": "disciplinary", "summary": "x\x00"},
])
def test_malformed_case_input_is_a_422(client, cm, as_, body):
    answer = client.post("/v1/cases", headers=as_(cm), json=body)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == PROBLEM


def test_malformed_notes_transitions_assignments_and_concerns_are_422s(client, org, cm, as_):
    case = _open(client, as_(cm), org["dev"])
    url = f"/v1/cases/{case['id']}"
    for path, body in ((f"{url}/notes", {"visibility": "secret", "body": "x"}),
                       (f"{url}/notes", {"visibility": "shared", "body": ""}),
                       (f"{url}/notes", {"visibility": "shared", "body": "x" * 8001}),
                       (f"{url}/transition", {"to": "reopened"}),
                       (f"{url}/transition", {}),
                       (f"{url}/outcome", {"outcome": ""}),
                       (f"{url}/assignments", {"case_manager_id": "two"}),
                       ("/v1/concerns", {"subject_id": org["dev"].id, "summary": ""}),
                       ("/v1/concerns", {"subject_id": org["dev"].id, "summary": "x",
                                         "raised_by_id": 1})):
        answer = client.post(path, headers=as_(org["senior"] if "concerns" in path else cm),
                             json=body)
        assert answer.status_code == 422, (path, body, answer.text)
    assert client.get("/v1/audit", headers=as_(cm)).status_code == 422
    assert client.get("/v1/cases?status=pending", headers=as_(cm)).status_code == 422


def test_case_and_concern_ids_cannot_be_counted(client, org, cm, as_, person):
    """A case manager who sees one case learns nothing from its id about how many exist."""
    subjects = [person(band="7", line_manager=org["senior"], name=f"Subject {i}")
                for i in range(8)]
    cases = [_open(client, as_(cm), s)["id"] for s in subjects]
    concerns = [client.post("/v1/concerns", headers=as_(org["senior"]), json={
        "subject_id": s.id, "summary": "Repeated missed deadlines"}).json()["id"]
        for s in subjects[:4]]
    for ids in (cases, concerns):
        assert len(set(ids)) == len(ids)
        # Sequential ids would differ by one; random ones from two billion do not.
        assert not any(b - a == 1 for a, b in zip(ids, ids[1:], strict=False))
        assert all(0 < i < 2**31 for i in ids)
    # The case is still found by its id.
    assert client.get(f"/v1/cases/{cases[0]}", headers=as_(cm)).status_code == 200

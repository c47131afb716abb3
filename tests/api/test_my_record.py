"""Everything about me: a person reads all GPS holds about them (JSON and Markdown); concerns
about them without who raised them; their cases with outcome, consent, case managers and
who read them, internal notes counted but not shown; and nobody else's record, ever — the
line manager least of all sees a case or a concern about their report."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from app.db.growth import CheckIn, Objective
from app.db.models import AuditEntry, id_of
from app.db.support import Intervention, Trigger

URL = "/v1/me/record"
MARKDOWN = {"Accept": "text/markdown"}


@pytest.fixture
def cm(person, org):
    return person(band="8a", roles=["case_manager"], line_manager=org["principal"],
                  name="Case manager", email="case.manager@example.org")


@pytest.fixture
def recorded(client, db, org, as_, cm):
    """The developer's year: an objective with check-ins by them and their line manager, a
    one-to-one, triggers live and withdrawn, support and a recognition, a concern their line
    manager raised that became a case with shared and internal notes."""
    dev, senior = org["dev"], org["senior"]
    objective = Objective(person_id=dev.id, title="Speed up CI", quarter="2026-Q1",
                          twenty_percent_time=True, status="agreed")
    db.add(objective)
    db.commit()
    db.add(CheckIn(objective_id=id_of(objective), author_id=dev.id, on=date(2026, 2, 1),
                   note="Caching added", progress=50))
    db.add(CheckIn(objective_id=id_of(objective), author_id=senior.id, on=date(2026, 3, 1),
                   note="Saw the build times drop", progress=80))
    now = datetime.now(UTC)
    db.add(Trigger(person_id=dev.id, direction="negative", rule="target_missed_streak",
                   facts_key="record-live", summary="Tickets under target for 3 sprints",
                   fired_at=now - timedelta(days=40)))
    db.add(Trigger(person_id=dev.id, direction="negative", rule="target_missed_streak",
                   facts_key="record-withdrawn", summary="Training under target",
                   fired_at=now - timedelta(days=30), withdrawn_at=now - timedelta(days=20),
                   withdrawn_reason="back-filled evidence"))
    db.add(Intervention(person_id=dev.id, kind="recognition", status="completed",
                        summary="Shipped 3 sprints in a row", completed_at=now))
    db.commit()
    assert client.post("/v1/one-to-ones", headers=as_(senior), json={
        "person_id": dev.id, "on": "2026-03-02", "status": "held",
        "notes": "Talked about the move to Kotlin"}).status_code == 201
    assert client.post("/v1/interventions", headers=as_(senior), json={
        "person_id": dev.id, "kind": "pairing", "summary": "Pair on the API"}).status_code == 201
    concern = client.post("/v1/concerns", headers=as_(senior), json={
        "subject_id": dev.id, "summary": "Missed several deadlines"}).json()
    other = client.post("/v1/concerns", headers=as_(senior), json={
        "subject_id": dev.id, "summary": "Late to stand-ups"}).json()
    assert client.post(f"/v1/concerns/{other['id']}/dismiss", headers=as_(cm),
                       json={"reason": "Agreed with the team"}).status_code == 200
    case = client.post("/v1/cases", headers=as_(cm), json={
        "subject_id": dev.id, "kind": "disciplinary", "summary": "Deadlines",
        "concern_id": concern["id"]}).json()
    for visibility, body in (("shared", "Meeting on Tuesday"), ("internal", "Witness says X"),
                             ("internal", "Second thought")):
        assert client.post(f"/v1/cases/{case['id']}/notes", headers=as_(cm), json={
            "visibility": visibility, "body": body}).status_code == 201
    assert client.post(f"/v1/cases/{case['id']}/transition", headers=as_(cm),
                       json={"to": "under_review"}).status_code == 200
    assert client.post(f"/v1/cases/{case['id']}/outcome", headers=as_(cm),
                       json={"outcome": "A written warning"}).status_code == 200
    # The line manager tries to follow the case: refused, and not shown to the subject.
    assert client.get(f"/v1/cases/{case['id']}", headers=as_(senior)).status_code == 404
    return dict(concern=concern, other=other, case=case)


def test_the_person_reads_everything_recorded_about_them(client, org, as_, cm, recorded):
    dev, senior = org["dev"], org["senior"]
    answer = client.get(URL, headers=as_(dev))
    assert answer.status_code == 200, answer.text
    assert answer.headers["vary"] == "Accept"
    body = answer.json()
    assert body["person"]["id"] == dev.id and body["person"]["employee_number"] == "000042"
    assert body["person"]["line_manager"] == {"id": senior.id, "name": "Senior",
                                              "email": senior.email}
    assert [b["band"] for b in body["band_periods"]] == ["7"]
    [objective] = body["objectives"]
    assert [(c["note"], c["author_id"], c["author_name"]) for c in objective["check_ins"]] == [
        ("Caching added", dev.id, "Dev"), ("Saw the build times drop", senior.id, "Senior")]
    [meeting] = body["one_to_ones"]
    assert meeting["role"] == "person" and meeting["with_person"]["id"] == senior.id
    assert meeting["notes"] == "Talked about the move to Kotlin"
    assert [(t["summary"], t["status"]) for t in body["triggers"]] == [
        ("Tickets under target for 3 sprints", "live"), ("Training under target", "withdrawn")]
    assert [i["kind"] for i in body["interventions"]] == ["pairing"]
    assert [i["summary"] for i in body["recognitions"]] == ["Shipped 3 sprints in a row"]

    # Concerns about me: what, when, what became of them; never who raised them.
    concerns = {c["id"]: c for c in body["concerns"]}
    assert set(concerns) == {recorded["concern"]["id"], recorded["other"]["id"]}
    led = concerns[recorded["concern"]["id"]]
    assert set(led) == {"id", "summary", "raised_at", "status", "case_id"}
    assert (led["summary"], led["status"], led["case_id"]) == (
        "Missed several deadlines", "case_opened", recorded["case"]["id"])
    assert concerns[recorded["other"]["id"]]["status"] == "dismissed"

    [case] = body["cases"]
    assert case["id"] == recorded["case"]["id"] and case["status"] == "outcome_recorded"
    assert case["outcome"] == "A written warning" and case["consent_at"] is None
    assert case["case_managers"] == [{"id": cm.id, "name": "Case manager",
                                      "email": "case.manager@example.org"}]
    assert [n["body"] for n in case["notes"]] == ["Meeting on Tuesday"]
    assert case["internal_notes"] == 2
    assert "Witness says X" not in answer.text and "Second thought" not in answer.text
    audit = body["case_audit"]
    assert {a["action"] for a in audit} >= {"case.open", "case.note.create", "case.outcome"}
    assert {a["who"]["id"] for a in audit} == {cm.id}
    assert not any("refused" in a["action"] for a in audit)
    assert "raised_by" not in answer.text and "Agreed with the team" not in answer.text


def test_the_record_as_markdown(client, org, as_, recorded):
    answer = client.get(URL, headers={**as_(org["dev"]), **MARKDOWN})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/markdown; charset=utf-8"
    lines = answer.text.splitlines()
    assert lines[0] == "# Everything GPS holds about Dev"
    assert "This is your whole record: what a UK GDPR subject access request returns." in lines
    assert "  - Check-in 2026-02-01 (50%) by you: Caching added" in lines
    assert "  - Check-in 2026-03-01 (80%) by Senior: Saw the build times drop" in lines
    assert any(line.startswith("- ") and "Missed several deadlines" in line
               and f"(case {recorded['case']['id']})" in line for line in lines)
    assert "  - Outcome: A written warning" in lines
    assert "  - Contact: Case manager (case.manager@example.org)" in lines
    assert "  - Its case managers keep 2 internal notes, not shown here" in lines
    assert "Witness says X" not in answer.text
    headings = [line for line in lines if line.startswith("## ")]
    assert "## Concerns raised about you" in headings and "## Formal cases about you" in headings


def test_it_is_strictly_the_callers_own_record(client, org, as_, db, recorded):
    dev, senior = org["dev"], org["senior"]
    case_id = recorded["case"]["id"]
    # No person parameter: whatever is asked, each caller gets their own record.
    for who in (senior, org["principal"], org["head"], org["admin"], org["peer"]):
        answer = client.get(f"{URL}?person_id={dev.id}", headers=as_(who))
        assert answer.status_code == 200
        body = answer.json()
        assert body["person"]["id"] == who.id, who.name
        assert body["cases"] == [] and body["concerns"] == [], who.name
        assert "Missed several deadlines" not in answer.text
        assert "Meeting on Tuesday" not in answer.text
    # The line manager's own record lists the one-to-one they took part in, from their side.
    mine = client.get(URL, headers=as_(senior)).json()
    assert [(o["role"], o["with_person"]["id"]) for o in mine["one_to_ones"]] == [
        ("line_manager", dev.id)]
    # A service account holds no record.
    account = client.post("/v1/service-accounts", headers=as_(org["admin"]), json={
        "name": "HR", "scopes": ["hr.feed:read"]}).json()
    token = client.post("/v1/auth/token", data={
        "grant_type": "client_credentials", "client_id": account["client_id"],
        "client_secret": account["client_secret"]}).json()["access_token"]
    assert client.get(URL, headers={"Authorization": f"Bearer {token}"}).status_code == 403
    assert client.get(URL).status_code == 401
    # Reading my record is in the audit log, with the cases it showed.
    assert client.get(URL, headers=as_(dev)).status_code == 200
    reads = db.exec(select(AuditEntry).where(AuditEntry.action == "me.record.read",
                                             AuditEntry.actor == f"person:{dev.id}")).all()
    assert [r.detail for r in reads] == [{"case_ids": [case_id]}]


def test_the_line_manager_sees_nothing_of_the_case_or_the_concern(client, org, as_, db,
                                                                  recorded):
    dev, senior = org["dev"], org["senior"]
    # Even with every role, the line manager's views of their report show neither.
    senior.roles = ["admin", "case_manager", "head_of_department"]
    db.add(senior)
    db.commit()
    case_id, concern_id = recorded["case"]["id"], recorded["concern"]["id"]
    views = [f"/v1/people/{dev.id}", f"/v1/people/{dev.id}/cpd",
             f"/v1/interventions?person_id={dev.id}", f"/v1/triggers?person_id={dev.id}",
             f"/v1/objectives?person_id={dev.id}", f"/v1/one-to-ones?person_id={dev.id}",
             "/v1/cases", "/v1/concerns", URL]
    for url in views:
        answer = client.get(url, headers=as_(senior))
        assert answer.status_code == 200, (url, answer.text)
        for secret in ("Missed several deadlines", "Meeting on Tuesday", "A written warning",
                       "Deadlines", "disciplinary"):
            assert secret not in answer.text, (url, secret)
    assert client.get("/v1/cases", headers=as_(senior)).json()["items"] == []
    assert concern_id not in [c["id"] for c in
                              client.get("/v1/concerns", headers=as_(senior)).json()["items"]]
    assert client.get(f"/v1/cases/{case_id}", headers=as_(senior)).status_code == 404

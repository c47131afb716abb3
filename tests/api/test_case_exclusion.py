"""THE EXCLUSION RULE: a person who is the subject's line manager, now or at any time while a
case has been open, can never see, list or touch it, whatever roles they hold; to them it does
not exist. Every refused attempt is in the audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from app.db.duties import CaseRefusal
from app.db.models import AuditEntry, LineManagementPeriod, id_of
from app.db.support import CaseAssignment, CaseNote, FormalCase

YEAR = timedelta(days=365)


def _spell(db, subject, manager, *, started_ago: timedelta, ended_ago: timedelta | None = None):
    """Record line-management history (the factories set line_manager_id only)."""
    now = datetime.now(UTC)
    db.add(LineManagementPeriod(person_id=subject.id, manager_id=manager.id,
                                started_at=now - started_ago,
                                ended_at=None if ended_ago is None else now - ended_ago))
    db.commit()


def _open(client, headers, subject, **extra):
    answer = client.post("/v1/cases", headers=headers, json={
        "subject_id": subject.id, "kind": "disciplinary", "summary": "Conduct", **extra})
    assert answer.status_code == 201, answer.text
    return answer.json()


def _set_line_manager(client, as_, admin, subject, manager):
    """Change a line manager as an admin does: PATCH /v1/people, which keeps the history."""
    etag = client.get(f"/v1/people/{subject.id}", headers=as_(admin)).headers["ETag"]
    answer = client.patch(f"/v1/people/{subject.id}", headers={**as_(admin), "If-Match": etag},
                          json={"line_manager_id": manager.id,
                                "override_reason": "Interim cover agreed by HR"})
    assert answer.status_code == 200, answer.text


@pytest.fixture
def cm(person, org):
    return person(band="8a", roles=["case_manager"], line_manager=org["principal"],
                  name="Case manager")


@pytest.fixture
def cm2(person, org):
    return person(band="8a", roles=["case_manager"], line_manager=org["principal"],
                  name="Second case manager")


@pytest.fixture
def boss(person, org):
    """A line manager who holds every role there is."""
    return person(band="8a", line_manager=org["principal"], name="Boss",
                  roles=["admin", "case_manager", "head_of_department", "team_lead"])


@pytest.fixture
def report(person, boss, db):
    subject = person(band="7", line_manager=boss, name="Report")
    _spell(db, subject, boss, started_ago=YEAR)
    return subject


def _refusals(db, who) -> list[AuditEntry]:
    return list(db.exec(select(AuditEntry).where(AuditEntry.actor == f"person:{who.id}",
                                                 AuditEntry.outcome == "refused")
                        .order_by(col(AuditEntry.id))))


def test_a_line_manager_with_every_role_finds_no_trace_of_the_case(
        client, as_, db, cm, boss, report):
    case = _open(client, as_(cm), report)
    client.post(f"/v1/cases/{case['id']}/notes", headers=as_(cm),
                json={"visibility": "shared", "body": "Meeting booked"})
    url = f"/v1/cases/{case['id']}"
    headers = as_(boss)

    hidden = client.get(url, headers=headers)
    nowhere = client.get("/v1/cases/999999", headers=headers)
    assert hidden.status_code == nowhere.status_code == 404
    assert hidden.json()["detail"] == f"No case with id {case['id']}."
    assert {k: v for k, v in hidden.json().items() if k not in ("detail", "instance",
                                                                 "request_id")} == \
        {k: v for k, v in nowhere.json().items() if k not in ("detail", "instance",
                                                               "request_id")}
    assert client.get("/v1/cases", headers=headers).json() == {"items": [], "next_cursor": None}
    attempts = [
        ("get", f"{url}/notes", None),
        ("get", f"/v1/audit?case_id={case['id']}", None),
        ("post", f"{url}/transition", {"to": "under_review"}),
        ("post", f"{url}/outcome", {"outcome": "Dismissed"}),
        ("post", f"{url}/notes", {"visibility": "internal", "body": "I know best"}),
        ("post", f"{url}/assignments", {"case_manager_id": boss.id}),
        ("delete", f"{url}/assignments/{cm.id}", None),
        ("post", f"{url}/consent", None),
    ]
    for method, path, body in attempts:
        answer = client.request(method, path, headers=headers, json=body)
        assert answer.status_code == 404, (method, path, answer.text)

    # Nothing changed, and the attempt to open a case of their own is refused too.
    refused = client.post("/v1/cases", headers=headers, json={
        "subject_id": report.id, "kind": "disciplinary", "summary": "Mine now"})
    assert refused.status_code == 403
    assert "line manager" in refused.json()["detail"]
    stored = db.get(FormalCase, case["id"])
    assert stored.status == "open" and stored.version == 1
    assert len(db.exec(select(FormalCase)).all()) == 1
    assert [n.body for n in db.exec(select(CaseNote)).all()] == ["Meeting booked"]
    assert [a.case_manager_id for a in db.exec(select(CaseAssignment)).all()] == [cm.id]

    # Every refused attempt survived its request's rollback into the audit log.
    logged = _refusals(db, boss)
    assert [e.action for e in logged] == [
        "case.read.refused", "case.read.refused", "case.notes.read.refused",
        "case.audit.read.refused", "case.transition.refused", "case.outcome.refused",
        "case.note.create.refused", "case.assign.refused", "case.unassign.refused",
        "case.consent.refused", "case.open.refused"]
    assert [e.target_id for e in logged[:1] + logged[2:-1]] == [str(case["id"])] * 9
    assert (logged[-1].target_type, logged[-1].target_id) == ("person", str(report.id))
    assert all(e.request_id for e in logged)
    # The case managers see those attempts in the case's audit log.
    log = client.get(f"/v1/audit?case_id={case['id']}&limit=200", headers=as_(cm)).json()
    assert sum(e["actor"] == f"person:{boss.id}" for e in log["items"]) == 9


def test_the_line_manager_cannot_be_assigned(client, as_, cm, boss, report, db):
    case = _open(client, as_(cm), report)
    answer = client.post(f"/v1/cases/{case['id']}/assignments", headers=as_(cm),
                         json={"case_manager_id": boss.id})
    assert answer.status_code == 422
    assert answer.json()["rule"] == "CASE-EXCLUDED-ASSIGNEE"
    assert [a.case_manager_id for a in db.exec(select(CaseAssignment)).all()] == [cm.id]
    assert client.get(f"/v1/cases/{case['id']}", headers=as_(boss)).status_code == 404


def test_a_case_manager_who_becomes_the_line_manager_mid_case_loses_access_at_once(
        client, as_, org, cm, cm2, db):
    dev = org["dev"]
    case = _open(client, as_(cm), dev)
    assert client.post(f"/v1/cases/{case['id']}/assignments", headers=as_(cm),
                       json={"case_manager_id": cm2.id}).status_code == 201
    assert client.get(f"/v1/cases/{case['id']}", headers=as_(cm2)).status_code == 200

    _set_line_manager(client, as_, org["admin"], dev, cm2)
    assert client.get(f"/v1/cases/{case['id']}", headers=as_(cm2)).status_code == 404
    assert client.get("/v1/cases", headers=as_(cm2)).json()["items"] == []
    assert client.post(f"/v1/cases/{case['id']}/transition", headers=as_(cm2),
                       json={"to": "under_review"}).status_code == 404
    assert db.get(FormalCase, case["id"]).status == "open"

    # Still excluded once someone else manages the developer again: they were the line
    # manager while the case was open.
    _set_line_manager(client, as_, org["admin"], dev, org["senior"])
    assert client.get(f"/v1/cases/{case['id']}", headers=as_(cm2)).status_code == 404
    assert client.get("/v1/cases", headers=as_(cm2)).json()["items"] == []
    again = client.post(f"/v1/cases/{case['id']}/assignments", headers=as_(cm),
                        json={"case_manager_id": cm2.id})
    assert again.status_code == 422 and again.json()["rule"] == "CASE-EXCLUDED-ASSIGNEE"
    # The other case manager is untouched.
    assert client.get(f"/v1/cases/{case['id']}", headers=as_(cm)).json()["view"] == "manager"
    # The second refused read is counted with the first (test_probing_a_case_...).
    assert [e.action for e in _refusals(db, cm2)] == [
        "case.read.refused", "case.transition.refused"]
    counted = db.exec(select(CaseRefusal).where(CaseRefusal.actor == f"person:{cm2.id}",
                                                CaseRefusal.action == "case.read.refused")).one()
    assert counted.count == 2


def test_a_former_line_manager_stays_excluded_from_a_case_open_during_their_time(
        client, as_, org, person, cm, db):
    former = person(band="8a", roles=["case_manager"], line_manager=org["principal"])
    subject = person(band="7", line_manager=former)
    _spell(db, subject, former, started_ago=YEAR)
    case = _open(client, as_(cm), subject)
    _set_line_manager(client, as_, org["admin"], subject, org["senior"])

    assert client.get(f"/v1/cases/{case['id']}", headers=as_(former)).status_code == 404
    assert client.get("/v1/cases", headers=as_(former)).json()["items"] == []
    refused = client.post(f"/v1/cases/{case['id']}/assignments", headers=as_(cm),
                          json={"case_manager_id": former.id})
    assert refused.status_code == 422 and refused.json()["rule"] == "CASE-EXCLUDED-ASSIGNEE"


def test_a_line_manager_whose_spell_ended_before_the_case_opened_is_not_excluded(
        client, as_, org, person, cm, db):
    former = person(band="8a", roles=["case_manager"], line_manager=org["principal"])
    subject = person(band="7", line_manager=org["senior"])
    _spell(db, subject, former, started_ago=2 * YEAR, ended_ago=YEAR)
    _spell(db, subject, org["senior"], started_ago=YEAR)
    case = _open(client, as_(cm), subject)
    added = client.post(f"/v1/cases/{case['id']}/assignments", headers=as_(cm),
                        json={"case_manager_id": former.id})
    assert added.status_code == 201, added.text
    seen = client.get(f"/v1/cases/{case['id']}", headers=as_(former))
    assert seen.status_code == 200 and seen.json()["view"] == "manager"
    assert [c["id"] for c in client.get("/v1/cases", headers=as_(former)).json()["items"]] == [
        case["id"]]
    # They may open a case about their former report themselves.
    assert _open(client, as_(former), subject)["opened_by_id"] == former.id


def test_the_current_line_manager_is_excluded_even_from_a_closed_case(
        client, as_, org, cm, cm2, db):
    dev = org["dev"]
    case = _open(client, as_(cm), dev)
    client.post(f"/v1/cases/{case['id']}/assignments", headers=as_(cm),
                json={"case_manager_id": cm2.id})
    for to in ("under_review",):
        client.post(f"/v1/cases/{case['id']}/transition", headers=as_(cm), json={"to": to})
    client.post(f"/v1/cases/{case['id']}/outcome", headers=as_(cm), json={"outcome": "None"})
    closed = client.post(f"/v1/cases/{case['id']}/transition", headers=as_(cm),
                         json={"to": "closed"})
    assert closed.json()["status"] == "closed"

    _set_line_manager(client, as_, org["admin"], dev, cm2)
    assert client.get(f"/v1/cases/{case['id']}", headers=as_(cm2)).status_code == 404
    # Their time as line manager began after the case closed: once it ends, the closed case
    # is theirs to see again.
    _set_line_manager(client, as_, org["admin"], dev, org["senior"])
    assert client.get(f"/v1/cases/{case['id']}", headers=as_(cm2)).status_code == 200


def test_a_line_manager_raises_a_concern_but_never_sees_it_again(
        client, as_, cm, boss, report, db):
    raised = client.post("/v1/concerns", headers=as_(boss),
                         json={"subject_id": report.id, "summary": "Struggling"})
    assert raised.status_code == 201
    concern_id = raised.json()["id"]
    assert client.get("/v1/concerns", headers=as_(boss)).json()["items"] == []
    assert [c["id"] for c in client.get("/v1/concerns", headers=as_(cm)).json()["items"]] == [
        concern_id]
    assert client.post(f"/v1/concerns/{concern_id}/dismiss", headers=as_(boss),
                       json={"reason": "Never mind"}).status_code == 404
    assert client.post("/v1/cases", headers=as_(boss), json={
        "subject_id": report.id, "kind": "disciplinary", "summary": "x",
        "concern_id": concern_id}).status_code == 403
    case = _open(client, as_(cm), report, concern_id=concern_id)
    assert client.get(f"/v1/cases/{case['id']}", headers=as_(boss)).status_code == 404
    assert [(e.action, e.target_type) for e in _refusals(db, boss)] == [
        ("concern.dismiss.refused", "concern"), ("case.open.refused", "person"),
        ("case.read.refused", "case")]


def test_the_raiser_of_a_concern_cannot_follow_the_case_even_after_moving_on(
        client, org, as_, db):
    """A line manager raises a concern, stops being the line manager, and is still never
    shown the case opened from it."""
    from datetime import UTC, datetime

    from app.db.models import LineManagementPeriod
    from app.db.support import Concern, FormalCase
    from tests.factories import new_person

    case_manager = new_person(db, band=None, roles=["case_manager"])
    receipt = client.post("/v1/concerns", headers=as_(org["senior"]),
                          json={"subject_id": org["dev"].id, "summary": "Worried about Dev"})
    assert receipt.status_code == 201
    # The senior's spell ends; the other senior becomes Dev's line manager.
    db.add(LineManagementPeriod(person_id=org["dev"].id, manager_id=org["senior"].id,
                                started_at=datetime(2020, 1, 1, tzinfo=UTC),
                                ended_at=datetime(2020, 6, 1, tzinfo=UTC)))
    dev = db.get(type(org["dev"]), org["dev"].id)
    dev.line_manager_id = org["other_senior"].id
    db.add(dev)
    db.commit()
    concern = db.get(Concern, receipt.json()["id"])
    case = FormalCase(subject_id=org["dev"].id, kind="disciplinary", status="open",
                      summary="From the concern", opened_by_id=id_of(case_manager),
                      concern_id=concern.id)
    db.add(case)
    db.commit()
    from app.db.support import CaseAssignment
    former = org["senior"]
    former.roles = ["case_manager", "admin", "head_of_department"]
    db.add(former)
    # Even assigned to it (as a row written behind the API's back), they cannot see it.
    db.add(CaseAssignment(case_id=id_of(case), case_manager_id=id_of(former)))
    db.commit()
    headers = as_(former)
    assert client.get(f"/v1/cases/{case.id}", headers=headers).status_code == 404
    assert client.get("/v1/cases", headers=headers).json()["items"] == []
    assert all(c["id"] != concern.id for c in
               client.get("/v1/concerns", headers=headers).json().get("items", []))


# --- admin powers: the way round the rule through someone else's account ----------------------


def _patch_person(client, headers, target, body):
    etag = client.get(f"/v1/people/{target.id}", headers=headers).headers["ETag"]
    return client.patch(f"/v1/people/{target.id}", headers={**headers, "If-Match": etag},
                        json=body)


def test_an_admin_line_manager_cannot_take_over_the_case_managers_or_subjects_login(
        client, as_, db, cm, boss, report):
    """The attack: an admin who line manages the subject sets the case manager's (or the
    subject's) password, signs in as them and reads the case. Nobody sets another person's
    password now, and no set-password link is issued for a case manager, for the subject of
    an open case, or for the admin's own report."""
    case = _open(client, as_(cm), report)
    for target in (cm, report):
        answer = _patch_person(client, as_(boss), target, {"password": "taken over by boss"})
        assert answer.status_code == 422, answer.text
        assert "password-link" in answer.json()["detail"]
        link = client.post(f"/v1/people/{target.id}/password-link", headers=as_(boss))
        assert link.status_code == 409, link.text
        # The same words whatever the reason: nothing in them says a case exists.
        assert "case" not in link.json()["detail"].lower()
        db.refresh(target)
        assert target.password_hash is None
    signed_in = client.post("/v1/auth/token", data={
        "grant_type": "password", "username": cm.email, "password": "taken over by boss"})
    assert signed_in.status_code == 400
    assert client.get(f"/v1/cases/{case['id']}", headers=as_(boss)).status_code == 404


def test_an_admin_line_manager_gains_nothing_by_granting_roles(client, as_, person, db, org,
                                                               cm):
    """Granting `case_manager` takes a second admin, and even then the rule holds."""
    admin_boss = person(band="8a", line_manager=org["principal"], roles=["admin"])
    other_admin = person(band=None, roles=["admin"])
    subject = person(band="7", line_manager=admin_boss)
    _spell(db, subject, admin_boss, started_ago=YEAR)
    case = _open(client, as_(cm), subject)
    one_step = _patch_person(client, as_(admin_boss), admin_boss,
                             {"roles": ["admin", "case_manager"]})
    assert one_step.status_code == 422
    proposed = client.post("/v1/role-changes", headers=as_(admin_boss), json={
        "person_id": admin_boss.id, "role": "case_manager", "change": "grant",
        "reason": "Help with casework"}).json()
    own = client.post(f"/v1/role-changes/{proposed['id']}/approve", headers=as_(admin_boss),
                      json={})
    assert own.status_code == 403
    approved = client.post(f"/v1/role-changes/{proposed['id']}/approve",
                           headers=as_(other_admin), json={})
    assert approved.status_code == 200
    db.refresh(admin_boss)
    assert "case_manager" in admin_boss.roles
    assert client.get(f"/v1/cases/{case['id']}", headers=as_(admin_boss)).status_code == 404
    assert client.get("/v1/cases", headers=as_(admin_boss)).json()["items"] == []


def test_an_admin_line_manager_cannot_remove_the_last_case_manager_nor_learn_of_the_case(
        client, as_, db, cm, boss, report, person):
    case = _open(client, as_(cm), report)
    other_admin = person(band=None, roles=["admin"])
    attempts = [_patch_person(client, as_(boss), cm, {"active": False})]
    proposed = client.post("/v1/role-changes", headers=as_(other_admin), json={
        "person_id": cm.id, "role": "case_manager", "change": "remove",
        "reason": "Leaving"}).json()
    attempts.append(client.post(f"/v1/role-changes/{proposed['id']}/approve",
                                headers=as_(boss), json={}))
    for answer in attempts:
        assert answer.status_code == 409, answer.text
        body = answer.json()
        assert "assign another case manager" in body["detail"]
        assert str(report.id) not in body["detail"] and report.name not in answer.text
        assert f"/cases/{case['id']}" not in answer.text
    db.refresh(cm)
    assert cm.active and cm.roles == ["case_manager"]
    assert client.get(f"/v1/cases/{case['id']}", headers=as_(cm)).status_code == 200
    assert client.get(f"/v1/cases/{case['id']}", headers=as_(boss)).status_code == 404


def test_probing_a_case_is_counted_not_written_again_and_again(client, as_, db, cm, boss,
                                                                report):
    """Refused reads are aggregated per caller and case: one audit entry, and a count with
    the first and last time, so the case's own entries stay easy to find."""
    case = _open(client, as_(cm), report)
    for _ in range(30):
        assert client.get(f"/v1/cases/{case['id']}", headers=as_(boss)).status_code == 404
    for _ in range(5):
        client.get(f"/v1/cases/{case['id']}/notes", headers=as_(boss))
    log = client.get(f"/v1/audit?case_id={case['id']}&limit=200", headers=as_(cm)).json()
    by_boss = [e["action"] for e in log["items"] if e["actor"] == f"person:{boss.id}"]
    assert by_boss == ["case.read.refused", "case.notes.read.refused"]
    counted = client.get(f"/v1/audit/refusals?case_id={case['id']}", headers=as_(cm))
    assert counted.status_code == 200, counted.text
    rows = {r["action"]: r for r in counted.json()["items"]}
    assert rows["case.read.refused"]["count"] == 30
    assert rows["case.notes.read.refused"]["count"] == 5
    assert rows["case.read.refused"]["first_at"] <= rows["case.read.refused"]["last_at"]
    assert {r["actor"] for r in rows.values()} == {f"person:{boss.id}"}
    # The excluded line manager cannot read the counts either.
    assert client.get(f"/v1/audit/refusals?case_id={case['id']}",
                      headers=as_(boss)).status_code == 404

"""Separation of duties (SPEC section 4): nobody sets another person's password; `admin` and
`case_manager` change only with a second admin's approval; no change leaves an open case
without a case manager who can work on it; every change to a person is audited field by
field, never with a secret."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from app.db.duties import PasswordLink
from app.db.models import AuditEntry, Person
from app.db.protection import IdempotencyKey
from app.db.support import Concern
from tests.factories import PASSWORD

PROBLEM = "application/problem+json"
NEW_PASSWORD = "a brand new passphrase"


def _login(client, email, password):
    return client.post("/v1/auth/token", data={"grant_type": "password", "username": email,
                                               "password": password})


def _patch(client, headers, person, body):
    etag = client.get(f"/v1/people/{person.id}", headers=headers).headers["ETag"]
    return client.patch(f"/v1/people/{person.id}", headers={**headers, "If-Match": etag},
                        json=body)


def _link(client, headers, person):
    return client.post(f"/v1/people/{person.id}/password-link", headers=headers)


def _set(client, token, password=NEW_PASSWORD):
    return client.post("/v1/auth/set-password", json={"token": token, "password": password})


@pytest.fixture
def admin2(person):
    return person(band=None, roles=["admin"], name="Second admin")


# --- 1. passwords ------------------------------------------------------------------------------


def test_an_admin_cannot_set_another_persons_password(client, org, as_, db):
    target = org["dev"]
    answer = _patch(client, as_(org["admin"]), target, {"password": "chosen by the admin"})
    assert answer.status_code == 422
    assert answer.headers["content-type"] == PROBLEM
    assert "password-link" in answer.text and "chosen by the admin" not in answer.text
    created = client.post("/v1/people", headers=as_(org["admin"]), json={
        "name": "New", "email": "new@example.org", "kind": "employee",
        "password": "chosen by the admin"})
    assert created.status_code == 422 and "password-link" in created.text
    db.refresh(target)
    assert target.password_hash is None


def test_a_set_password_link_is_used_once_and_the_person_chooses_the_password(
        client, org, as_, db):
    target = org["other_dev"]
    issued = _link(client, as_(org["admin"]), target)
    assert issued.status_code == 201, issued.text
    token = issued.json()["token"]
    assert issued.json()["person_id"] == target.id
    # Only the token's hash is stored, and the answer is not kept for replay.
    stored = db.exec(select(PasswordLink).where(PasswordLink.person_id == target.id)).one()
    assert stored.token_hash != token and token not in stored.token_hash
    assert not db.exec(select(IdempotencyKey)).all()
    assert _set(client, token).status_code == 204
    assert _login(client, target.email, NEW_PASSWORD).status_code == 200
    again = _set(client, token, "yet another passphrase")
    assert again.status_code == 422 and again.headers["content-type"] == PROBLEM
    assert _login(client, target.email, "yet another passphrase").status_code == 400


def test_a_link_expires_and_a_newer_link_replaces_an_older_one(client, org, as_, db):
    target = org["other_dev"]
    # The same Idempotency-Key gets a new link: the token is never stored for a replay.
    keyed = {**as_(org["admin"]), "Idempotency-Key": "link-for-other-dev"}
    first = client.post(f"/v1/people/{target.id}/password-link", headers=keyed).json()["token"]
    second = client.post(f"/v1/people/{target.id}/password-link", headers=keyed).json()["token"]
    assert first != second and not db.exec(select(IdempotencyKey)).all()
    assert _set(client, first).status_code == 422
    link = db.exec(select(PasswordLink).where(col(PasswordLink.spent_at).is_(None))).one()
    link.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.add(link)
    db.commit()
    assert _set(client, second).status_code == 422


def test_a_link_is_refused_for_protected_accounts_with_one_wording(client, org, as_, person, db):
    cm = person(band=None, roles=["case_manager"])
    other_admin = person(band=None, roles=["admin"])
    subject = org["peer"]
    db.add(Concern(subject_id=subject.id, raised_by_id=org["senior"].id, summary="x",
                   status="open"))
    db.commit()
    details = set()
    for who in (cm, other_admin, subject, org["admin"]):
        answer = _link(client, as_(org["admin"]), who)
        assert answer.status_code == 409, (who.name, answer.text)
        assert answer.headers["content-type"] == PROBLEM
        details.add(answer.json()["detail"])
    assert len(details) == 1
    assert "service desk" in details.pop()


def test_an_admin_line_manager_gets_the_same_refusal_whether_or_not_a_case_exists(
        client, org, as_, person, db):
    """The refusal an admin gets for their own report never depends on cases."""
    boss = person(band="8a", line_manager=org["principal"], roles=["admin"])
    quiet = person(band="7", line_manager=boss)
    answer = _link(client, as_(boss), quiet)
    assert answer.status_code == 409 and "service desk" in answer.json()["detail"]


def test_a_person_changes_their_own_password_and_every_older_token_stops(
        client, org, as_, person, settings):
    me = person(band="7", line_manager=org["senior"], login=True)
    issued_before = as_(me)
    old = _login(client, me.email, PASSWORD).json()["access_token"]
    headers = {"Authorization": f"Bearer {old}"}
    wrong = client.post("/v1/me/password", headers=headers, json={
        "current_password": "not my password", "new_password": NEW_PASSWORD})
    assert wrong.status_code == 422 and wrong.headers["content-type"] == PROBLEM
    done = client.post("/v1/me/password", headers=headers, json={
        "current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert done.status_code == 204, done.text
    refused = client.get("/v1/me", headers=headers)
    assert refused.status_code == 401 and "password" in refused.json()["detail"]
    assert client.get("/v1/me", headers=issued_before).status_code == 401
    fresh = _login(client, me.email, NEW_PASSWORD).json()["access_token"]
    assert client.get("/v1/me", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200
    assert _login(client, me.email, PASSWORD).status_code == 400


def test_guessing_the_current_password_with_a_stolen_token_is_throttled(
        client, org, as_, person, settings):
    me = person(band="7", line_manager=org["senior"], login=True)
    headers = as_(me)
    answers = [client.post("/v1/me/password", headers=headers, json={
        "current_password": f"guess number {i}", "new_password": NEW_PASSWORD}).status_code
        for i in range(settings.login_attempts_per_account + 2)]
    assert answers[:settings.login_attempts_per_account] == \
        [422] * settings.login_attempts_per_account
    assert set(answers[settings.login_attempts_per_account:]) == {429}


def test_setting_a_password_by_link_signs_the_person_out_everywhere(client, org, as_):
    target = org["other_dev"]
    before = as_(target)
    assert client.get("/v1/me", headers=before).status_code == 200
    token = _link(client, as_(org["admin"]), target).json()["token"]
    assert _set(client, token).status_code == 204
    assert client.get("/v1/me", headers=before).status_code == 401


def test_the_bootstrap_admin_still_signs_in(database_url, db):
    env = {**os.environ, "GPS_DATABASE_URL": database_url, "GPS_ENV": "test",
           "GPS_BOOTSTRAP_ADMIN_EMAIL": "first@example.org",
           "GPS_BOOTSTRAP_ADMIN_PASSWORD": "first admin password"}
    code = ("from app.cli import _settings; from app.db.engine import make_engine, "
            "make_session_factory; from app.services.identity import bootstrap\n"
            "s = _settings(); f = make_session_factory(make_engine(s))\n"
            "with f() as session:\n"
            "    bootstrap.ensure_bootstrap_admin(session, s); session.commit()\n")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    admin = db.exec(select(Person).where(Person.email == "first@example.org")).one()
    assert admin.roles == ["admin"] and admin.password_hash is not None
    entry = db.exec(select(AuditEntry).where(AuditEntry.target_id == str(admin.id))).one()
    assert entry.detail["changes"]["password"] == "password set"
    assert "first admin password" not in str(entry.detail)


# --- 2. two admins for admin and case_manager -------------------------------------------------


def _propose(client, headers, person, role="admin", change="grant"):
    return client.post("/v1/role-changes", headers=headers, json={
        "person_id": person.id, "role": role, "change": change,
        "reason": "Covers the service desk rota"})


def test_admin_and_case_manager_are_not_granted_in_one_step(client, org, as_):
    for role in ("admin", "case_manager"):
        answer = _patch(client, as_(org["admin"]), org["dev"], {"roles": [role]})
        assert answer.status_code == 422, answer.text
        assert answer.json()["rule"] == "ROLE-TWO-ADMINS"
        assert "/v1/role-changes" in answer.json()["detail"]
    created = client.post("/v1/people", headers=as_(org["admin"]), json={
        "name": "New", "email": "new@example.org", "kind": "employee", "roles": ["admin"]})
    assert created.status_code == 422
    # Other roles stay one step.
    assert _patch(client, as_(org["admin"]), org["dev"],
                  {"roles": ["team_lead"]}).status_code == 200


def test_a_second_admin_approves_and_nobody_approves_their_own(client, org, as_, admin2, db):
    proposed = _propose(client, as_(org["admin"]), org["dev"])
    assert proposed.status_code == 201, proposed.text
    rc = proposed.json()
    assert rc["status"] == "pending"
    assert proposed.headers["location"].endswith(f"/v1/role-changes/{rc['id']}")
    own = client.post(f"/v1/role-changes/{rc['id']}/approve", headers=as_(org["admin"]),
                      json={})
    assert own.status_code == 403 and own.headers["content-type"] == PROBLEM
    db.refresh(org["dev"])
    assert "admin" not in org["dev"].roles
    approved = client.post(f"/v1/role-changes/{rc['id']}/approve", headers=as_(admin2),
                           json={"reason": "Agreed"})
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert approved.json()["decided_by_id"] == admin2.id
    db.refresh(org["dev"])
    assert org["dev"].roles == ["admin"]
    again = client.post(f"/v1/role-changes/{rc['id']}/reject", headers=as_(admin2), json={})
    assert again.status_code == 409
    # The new admin cannot decide a change to their own roles.
    removal = _propose(client, as_(org["admin"]), org["dev"], change="remove").json()
    mine = client.post(f"/v1/role-changes/{removal['id']}/approve", headers=as_(org["dev"]),
                       json={})
    assert mine.status_code == 403
    assert "your own roles" in mine.json()["detail"]
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "person.update",
                                             AuditEntry.target_id == str(org["dev"].id))).one()
    assert entry.detail["changes"]["roles"] == {"before": [], "after": ["admin"]}


def test_losing_admin_through_approval_takes_its_scopes_from_live_tokens(
        client, org, as_, admin2, person):
    third = person(band=None, roles=["admin"])
    headers = as_(admin2)
    rc = _propose(client, as_(org["admin"]), admin2, change="remove").json()
    assert client.post(f"/v1/role-changes/{rc['id']}/approve", headers=as_(third),
                       json={}).status_code == 200
    answer = client.post("/v1/people", headers=headers,
                         json={"name": "X", "email": "x@example.org", "kind": "employee"})
    assert answer.status_code == 403


def test_a_rejected_or_duplicate_proposal_changes_nothing(client, org, as_, admin2, db):
    rc = _propose(client, as_(org["admin"]), org["dev"], role="case_manager").json()
    assert _propose(client, as_(admin2), org["dev"], role="case_manager").status_code == 409
    rejected = client.post(f"/v1/role-changes/{rc['id']}/reject", headers=as_(admin2),
                           json={"reason": "Not needed"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    db.refresh(org["dev"])
    assert org["dev"].roles == []
    one_step = _propose(client, as_(org["admin"]), org["dev"], role="team_lead")
    assert one_step.status_code == 422
    listed = client.get("/v1/role-changes?status=rejected", headers=as_(admin2)).json()
    assert [i["id"] for i in listed["items"]] == [rc["id"]]
    assert client.get("/v1/role-changes", headers=as_(org["dev"])).status_code == 403


def test_the_first_admin_is_made_on_the_server_with_a_reason(database_url, org, db):
    env = {**os.environ, "GPS_DATABASE_URL": database_url}
    done = subprocess.run([sys.executable, "-m", "app.cli", "people", "grant-role",
                           org["dev"].email, "admin", "--reason", "First admin of the service"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    db.refresh(org["dev"])
    assert org["dev"].roles == ["admin"]
    entry = db.exec(select(AuditEntry).where(AuditEntry.target_id == str(org["dev"].id))).one()
    assert entry.detail["reason"] == "First admin of the service"
    assert entry.actor.startswith("server:")
    missing = subprocess.run([sys.executable, "-m", "app.cli", "people", "grant-role",
                              org["dev"].email, "admin"], env=env, capture_output=True,
                             text=True, timeout=120)
    assert missing.returncode != 0


# --- 3. no open case without a case manager ----------------------------------------------------


@pytest.fixture
def case_world(client, org, as_, person):
    cm = person(band="8a", roles=["case_manager"], line_manager=org["principal"], name="CM")
    case = client.post("/v1/cases", headers=as_(cm), json={
        "subject_id": org["dev"].id, "kind": "disciplinary", "summary": "Conduct"})
    assert case.status_code == 201, case.text
    return cm, case.json()


def _unmanned_refusal(answer, case):
    assert answer.status_code == 409, answer.text
    assert answer.headers["content-type"] == PROBLEM
    body = answer.json()
    assert body["type"].endswith("/case-needs-case-manager")
    assert "assign another case manager" in body["detail"]
    # It names no case and no subject: whoever asked may be someone the case must not exist
    # for.
    assert set(body) == {"type", "title", "status", "detail", "instance", "request_id"}
    assert "/cases/" + str(case["id"]) not in answer.text and "Dev" not in answer.text
    return body["detail"]


def test_removing_the_only_case_manager_of_an_open_case_is_refused(
        client, org, as_, admin2, case_world, person, db):
    cm, case = case_world
    rc = _propose(client, as_(org["admin"]), cm, role="case_manager", change="remove").json()
    answer = client.post(f"/v1/role-changes/{rc['id']}/approve", headers=as_(admin2), json={})
    _unmanned_refusal(answer, case)
    db.refresh(cm)
    assert cm.roles == ["case_manager"]
    deactivate = _patch(client, as_(org["admin"]), cm, {"active": False})
    _unmanned_refusal(deactivate, case)
    # Once another case manager is on the case, the change goes through.
    cm2 = person(band="8a", roles=["case_manager"], line_manager=org["principal"])
    assert client.post(f"/v1/cases/{case['id']}/assignments", headers=as_(cm),
                       json={"case_manager_id": cm2.id}).status_code == 201
    assert client.post(f"/v1/role-changes/{rc['id']}/approve", headers=as_(admin2),
                       json={}).status_code == 200


def test_making_the_only_case_manager_the_subjects_line_manager_is_refused(
        client, org, as_, case_world, db):
    cm, case = case_world
    answer = client.patch(
        f"/v1/people/{org['dev'].id}",
        headers={**as_(org["admin"]),
                 "If-Match": client.get(f"/v1/people/{org['dev'].id}",
                                        headers=as_(org["admin"])).headers["ETag"]},
        json={"line_manager_id": cm.id, "override_reason": "Interim cover"})
    _unmanned_refusal(answer, case)
    db.refresh(org["dev"])
    assert org["dev"].line_manager_id == org["senior"].id


# --- 4. audited changes -----------------------------------------------------------------------


def test_every_change_to_a_person_is_audited_with_before_and_after(client, org, as_, db):
    _patch(client, as_(org["admin"]), org["dev"], {"name": "Renamed", "github_login": "dev-two",
                                                   "band": "7",
                                                   "line_manager_id": org["other_senior"].id})
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "person.update")).one()
    # The band did not change, so it is not listed.
    assert entry.detail["fields"] == ["github_login", "line_manager_id", "name"]
    assert entry.detail["changes"]["line_manager_id"] == {
        "before": org["senior"].id, "after": org["other_senior"].id}
    assert entry.detail["changes"]["name"] == {"before": "Dev", "after": "Renamed"}
    assert entry.detail["changes"]["github_login"] == {"before": "dev-one", "after": "dev-two"}
    token = _link(client, as_(org["admin"]), org["other_dev"]).json()["token"]
    _set(client, token)
    entries = db.exec(select(AuditEntry).where(
        AuditEntry.target_id == str(org["other_dev"].id))).all()
    assert any(e.detail.get("changes") == {"password": "password set"} for e in entries)
    assert all(token not in str(e.detail) and NEW_PASSWORD not in str(e.detail)
               for e in entries)


def test_a_persons_own_choice_of_praise_is_audited_too(client, org, as_, db):
    me = org["dev"]
    answer = client.put(f"/v1/people/{me.id}/praise-preference", headers=as_(me),
                        json={"opt_out": True})
    assert answer.status_code == 200, answer.text
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "person.update")).one()
    assert entry.detail["changes"] == {"praise_opt_out": {"before": False, "after": True}}
    assert entry.actor == f"person:{me.id}"


def _at_once(app, calls):
    """Send each (method, url, headers, body) from its own client, all at the same moment."""
    import threading

    from fastapi.testclient import TestClient

    start, lock, answers = threading.Barrier(len(calls)), threading.Lock(), []

    def send(method, url, headers, body):
        with TestClient(app, raise_server_exceptions=False) as own:
            start.wait()
            answer = own.request(method, url, headers=headers, json=body)
            with lock:
                answers.append(answer)

    threads = [threading.Thread(target=send, args=call) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


@pytest.mark.postgres_only
def test_two_admins_deciding_one_role_change_at_once_apply_it_once(app, client, org, as_,
                                                                   person, db):
    """Approvals and rejections of one proposal, sent at once by different admins through
    separate connections: exactly one decides it, and the roles say what it decided."""
    deciders = [person(band=None, roles=["admin"], name=f"Admin {i}") for i in range(4)]
    for round_ in range(5):
        subject = person(band="7", name=f"Subject {round_}")
        rc = _propose(client, as_(org["admin"]), subject).json()
        url = f"/v1/role-changes/{rc['id']}"
        answers = _at_once(app, [
            ("POST", f"{url}/{'approve' if i % 2 == 0 else 'reject'}", as_(admin), {})
            for i, admin in enumerate(deciders)])
        decided = [a for a in answers if a.status_code == 200]
        assert len(decided) == 1, [a.status_code for a in answers]
        assert sorted(a.status_code for a in answers) == [200, 409, 409, 409]
        db.refresh(subject)
        assert ("admin" in subject.roles) == (decided[0].json()["status"] == "approved")
        entries = db.exec(select(AuditEntry).where(
            col(AuditEntry.action).in_(["role_change.approve", "role_change.reject"]),
            AuditEntry.target_id == str(subject.id))).all()
        assert len(entries) == 1


@pytest.mark.postgres_only
def test_proposals_sent_at_once_leave_one_waiting(app, org, as_, person, db):
    from app.db.duties import RoleChangeRequest

    proposers = [org["admin"], *(person(band=None, roles=["admin"], name=f"Proposer {i}")
                                 for i in range(3))]
    subject = person(band="7", name="Wanted as admin")
    answers = _at_once(app, [
        ("POST", "/v1/role-changes", as_(admin), {
            "person_id": subject.id, "role": "admin", "change": "grant",
            "reason": "Covers the service desk rota"}) for admin in proposers])
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409], \
        [a.text for a in answers]
    waiting = db.exec(select(RoleChangeRequest).where(
        RoleChangeRequest.person_id == subject.id)).all()
    assert [r.status for r in waiting] == ["pending"]

"""Asking for help: a person requests support themselves; their line manager answers it; it is
private to the two of them unless the person shares it; and it never counts towards the
fairness gate that lets a formal case open."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from app.db.growth import CoachingEnrolment, CoachingProgramme
from app.db.models import id_of
from app.db.support import Intervention, Trigger

URL = "/v1/me/support-requests"


def _ask(client, headers, *, kind="mentoring", words="I am stuck on system design",
         expect=201, **extra):
    answer = client.post(URL, headers=headers, json={"kind": kind, "words": words, **extra})
    assert answer.status_code == expect, answer.text
    return answer.json()


def _listed(client, headers, person) -> list[int]:
    answer = client.get(f"/v1/interventions?person_id={person.id}", headers=headers)
    return [i["id"] for i in answer.json()["items"]] if answer.status_code == 200 else []


def test_a_person_asks_and_their_line_manager_sees_and_agrees(client, org, as_):
    dev, senior = org["dev"], org["senior"]
    asked = _ask(client, as_(dev))
    assert asked["status"] == "proposed" and asked["kind"] == "mentoring"
    assert asked["summary"] == "I am stuck on system design"
    assert asked["requested_by_id"] == dev.id and asked["created_by_id"] == dev.id
    assert asked["proposed_to_id"] == senior.id and asked["shared"] is False
    assert asked["trigger_id"] is None
    seen = client.get(f"/v1/interventions/{asked['id']}", headers=as_(senior))
    assert seen.status_code == 200 and seen.json()["requested_by_id"] == dev.id
    assert _listed(client, as_(senior), dev) == [asked["id"]]
    assert _listed(client, as_(dev), dev) == [asked["id"]]
    # The person asked already: answering is the line manager's call, not theirs.
    refused = client.post(f"/v1/interventions/{asked['id']}/agree", headers=as_(dev))
    assert refused.status_code == 403
    assert "your line manager agrees to it or declines it" in refused.json()["detail"]
    agreed = client.post(f"/v1/interventions/{asked['id']}/agree", headers=as_(senior))
    assert agreed.status_code == 200 and agreed.json()["status"] == "agreed"
    started = client.post(f"/v1/interventions/{asked['id']}/start", headers=as_(senior))
    assert started.json()["status"] == "in_progress"
    done = client.post(f"/v1/interventions/{asked['id']}/complete", headers=as_(senior),
                       json={"note": "Paired on two designs"})
    assert done.status_code == 200 and done.json()["status"] == "completed"


def test_the_line_manager_may_decline_a_request_with_a_reason(client, org, as_):
    asked = _ask(client, as_(org["dev"]), kind="training_plan", words="A course on Rust")
    declined = client.post(f"/v1/interventions/{asked['id']}/decline",
                           headers=as_(org["senior"]), json={"reason": "No budget this quarter"})
    assert declined.status_code == 200, declined.text
    assert declined.json()["status"] == "declined"
    assert "No budget this quarter" in declined.json()["notes"]


def test_a_request_is_private_to_the_person_and_their_line_manager(client, org, as_, db,
                                                                   person):
    dev = org["dev"]
    buddy, coach = person(band="7"), person(band="8a")
    dev.buddy_id = buddy.id
    db.add(dev)
    programme = CoachingProgramme(name="Programme", cohort_bands=["7"],
                                  starts_on=date(2026, 10, 1), ends_on=date(2027, 4, 30),
                                  planned_sessions=6, session_minutes=60)
    db.add(programme)
    db.commit()
    db.add(CoachingEnrolment(programme_id=id_of(programme), coachee_id=dev.id,
                             coach_id=coach.id, active=True))
    db.commit()
    # An admin, the head of department and a case manager who is also in the chain: no role
    # opens it.
    org["principal"].roles = ["admin", "case_manager"]
    db.add(org["principal"])
    db.commit()
    offered = client.post("/v1/interventions", headers=as_(org["senior"]), json={
        "person_id": dev.id, "kind": "pairing", "summary": "Pair on the API"}).json()
    asked = _ask(client, as_(dev), kind="wellbeing_referral", words="I am not sleeping well")
    one = f"/v1/interventions/{asked['id']}"
    for outsider in (org["principal"], org["head"], org["admin"], org["peer"],
                     org["other_senior"], buddy, coach):
        answer = client.get(one, headers=as_(outsider))
        assert answer.status_code == 404, outsider.name
        assert "not sleeping" not in answer.text
        assert asked["id"] not in _listed(client, as_(outsider), dev), outsider.name
        assert client.post(f"{one}/agree", headers=as_(outsider)).status_code == 404
    # The chain, coach and buddy still read the support offered to the person.
    for reader in (org["principal"], org["head"], buddy, coach):
        assert _listed(client, as_(reader), dev) == [offered["id"]], reader.name
    # Nor does the person's own report see it (a senior who asks for help).
    senior_asks = _ask(client, as_(org["senior"]), kind="workload_review",
                       words="Too many reports")
    assert client.get(f"/v1/interventions/{senior_asks['id']}",
                      headers=as_(dev)).status_code == 404
    assert client.get(f"/v1/interventions/{senior_asks['id']}",
                      headers=as_(org["principal"])).status_code == 200  # their line manager


def test_the_person_shares_their_request_and_may_take_it_back(client, org, as_):
    dev = org["dev"]
    asked = _ask(client, as_(dev))
    sharing = f"{URL}/{asked['id']}/sharing"
    # Only the person who asked decides.
    assert client.put(sharing, headers=as_(org["senior"]),
                      json={"shared": True}).status_code == 403
    assert client.put(sharing, headers=as_(org["principal"]),
                      json={"shared": True}).status_code == 404
    shared = client.put(sharing, headers=as_(dev), json={"shared": True})
    assert shared.status_code == 200 and shared.json()["shared"] is True
    assert client.get(f"/v1/interventions/{asked['id']}",
                      headers=as_(org["principal"])).status_code == 200
    assert _listed(client, as_(org["head"]), dev) == [asked["id"]]
    # Sharing with the chain does not make it the admin's business: shared, it is refused to
    # them like any support offered to the person (403, naming the rule).
    refused = client.get(f"/v1/interventions/{asked['id']}", headers=as_(org["admin"]))
    assert refused.status_code == 403 and "system design" not in refused.text
    private = client.put(sharing, headers=as_(dev), json={"shared": False})
    assert private.json()["shared"] is False
    assert client.get(f"/v1/interventions/{asked['id']}",
                      headers=as_(org["principal"])).status_code == 404
    # Shared from the start.
    open_one = _ask(client, as_(dev), kind="coaching", words="A coach", shared=True)
    assert client.get(f"/v1/interventions/{open_one['id']}",
                      headers=as_(org["principal"])).status_code == 200
    # Only a request can be shared: support offered by the line manager is not the person's.
    offered = client.post("/v1/interventions", headers=as_(org["senior"]), json={
        "person_id": dev.id, "kind": "pairing", "summary": "Pair"}).json()
    assert client.put(f"{URL}/{offered['id']}/sharing", headers=as_(dev),
                      json={"shared": True}).status_code == 404


@pytest.mark.parametrize("body", [
    {"kind": "recognition", "words": "Praise me"},
    {"kind": "objective_reset", "words": "New objectives"},
    {"kind": "coaching", "words": ""},
    {"kind": "coaching"},
    {"kind": "coaching", "words": "x", "person_id": 1},
])
def test_a_malformed_request_is_a_422(client, org, as_, body):
    answer = client.post(URL, headers=as_(org["dev"]), json=body)
    assert answer.status_code == 422, answer.text


def test_someone_with_no_line_manager_is_told_whom_to_ask(client, org, as_):
    refused = _ask(client, as_(org["head"]), expect=422)
    assert refused["rule"] == "SUPPORT-REQUEST-LINE-MANAGER"


def _done_a_month(db, intervention_id: int, *, days_ago: int) -> None:
    """Backdate support answered through the API so it lasted the policy's 28 days."""
    row = db.get(Intervention, intervention_id)
    db.refresh(row)
    row.completed_at = datetime.now(UTC) - timedelta(days=days_ago)
    row.agreed_at = row.completed_at - timedelta(days=30)
    db.add(row)
    db.commit()


def test_support_the_person_asked_for_never_satisfies_the_fairness_gate(client, org, as_, db,
                                                                         person):
    dev, senior = org["dev"], org["senior"]
    cm = person(band="8a", roles=["case_manager"], line_manager=org["principal"],
                name="Case manager")
    db.add(Trigger(person_id=dev.id, direction="negative", rule="target_missed_streak",
                   facts_key="support-request-gate", summary="tickets_done missed 3 sprints",
                   fired_at=datetime.now(UTC) - timedelta(days=90)))
    db.commit()

    def support_through(ask) -> int:
        made = ask()
        for action, body in (("agree", None), ("start", None),
                             ("complete", {"note": "Worked through it together"})):
            moved = client.post(f"/v1/interventions/{made}/{action}",
                                headers=as_(dev if action == "agree" and not asked_by_dev
                                            else senior), json=body)
            assert moved.status_code == 200, moved.text
        return made

    asked_by_dev = True
    requested = [support_through(lambda: _ask(client, as_(dev), kind=kind)["id"])
                 for kind in ("coaching", "mentoring", "pairing")]
    for n, made in enumerate(requested):
        _done_a_month(db, made, days_ago=10 + n)
    capability = {"subject_id": dev.id, "kind": "capability", "summary": "Capability"}
    refused = client.post("/v1/cases", headers=as_(cm), json=capability)
    assert refused.status_code == 422, refused.text
    assert refused.json()["rule"] == "CASE-FAIRNESS-GATE"
    assert "0 supportive intervention(s) completed since" in refused.json()["detail"]
    # The requests are neither counted nor named to the case manager: they are private.
    for made in requested:
        assert f"intervention {made} " not in refused.json()["detail"]
    # The same support offered by the line manager would count.
    asked_by_dev = False
    offered = [support_through(lambda: client.post("/v1/interventions", headers=as_(senior), json={
        "person_id": dev.id, "kind": "coaching", "summary": "Coaching"}).json()["id"])
        for _ in range(2)]
    for n, made in enumerate(offered):
        _done_a_month(db, made, days_ago=5 + n)
    opened = client.post("/v1/cases", headers=as_(cm), json=capability)
    assert opened.status_code == 201, opened.text
    counted = {i["id"] for i in opened.json()["evidence_snapshot"]["supportive_interventions"]}
    assert counted == set(offered)
    assert not set(requested) & {i["id"] for i in
                                 opened.json()["evidence_snapshot"]["not_counted"]}
    assert db.exec(select(Intervention).where(
        Intervention.requested_by_id == dev.id)).all().__len__() == 3

"""Interventions: support a negative trigger proposes (never a case), recognition a positive
one records, the lifecycle the person and their line manager move it through, and who may see
and do what."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from app.db.growth import CoachingEnrolment, CoachingProgramme
from app.db.models import id_of
from app.db.support import Concern, FormalCase, Intervention, Trigger
from app.services.support import interventions

PROBLEM = "application/problem+json"
URL = "/v1/interventions"
_facts = itertools.count(1)


def new_trigger(db, who, *, direction="negative", rule="target_missed_streak", details=None,
                summary="Training hours under target for 3 weeks running",
                fired_at=datetime(2026, 11, 9, 6, tzinfo=UTC)):
    trigger = Trigger(person_id=who.id, direction=direction, rule=rule,
                      facts_key=f"test:{next(_facts)}", summary=summary, details=details or {},
                      fired_at=fired_at)
    db.add(trigger)
    db.commit()
    return trigger


def missed(db, who, metric, *, periods=("2026-W43", "2026-W44", "2026-W45"), period="week"):
    return new_trigger(db, who, details={"metric": metric, "period_type": period,
                                         "periods": list(periods)})


def _propose(client, headers, person, **body):
    payload = {"person_id": person.id, "kind": "pairing",
               "summary": "Pairing with Peer on the booking service, if that would help", **body}
    answer = client.post(URL, headers=headers, json=payload)
    assert answer.status_code == 201, answer.text
    return answer.json()


def _act(client, headers, intervention_id, action, **body):
    return client.post(f"{URL}/{intervention_id}/{action}", headers=headers, json=body)


def _moved(client, headers, intervention_id, action, **body):
    answer = _act(client, headers, intervention_id, action, **body)
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.fixture
def dev(org, as_):
    return as_(org["dev"])


@pytest.fixture
def manager(org, as_):
    return as_(org["senior"])


# --- the trigger engine's entry points ---------------------------------------------------------


@pytest.mark.parametrize(("metric", "kind"), [
    ("training_hours", "training_plan"), ("tickets_done", "pairing"),
    ("production_changes", "pairing"), ("accomplishments_logged", "workload_review"),
    ("objectives_completed", "objective_reset"), ("one_to_ones_held", "coaching"),
    ("story_points", "coaching"),
])
def test_a_negative_trigger_proposes_support_chosen_by_the_missed_metric(db, org, metric, kind):
    trigger = missed(db, org["dev"], metric)
    made = interventions.propose_support(db, trigger=trigger, person=org["dev"])
    db.commit()
    stored = db.exec(select(Intervention).where(Intervention.trigger_id == trigger.id)).one()
    assert (stored.id, stored.kind, stored.status) == (made.id, kind, "proposed")
    assert stored.person_id == org["dev"].id
    assert stored.proposed_to_id == org["senior"].id  # the current line manager
    assert stored.created_by_id is None and stored.completed_at is None
    assert "3 weeks running" in stored.summary
    assert stored.summary.endswith("It is an offer of support, not a judgement, and goes ahead "
                                   "only if agreed.")
    # Support, never a case or a concern.
    assert db.exec(select(FormalCase)).all() == [] and db.exec(select(Concern)).all() == []


def test_the_support_summary_is_kind_words(db, org):
    made = interventions.propose_support(db, trigger=missed(db, org["dev"], "training_hours"),
                                         person=org["dev"])
    assert made.summary == (
        "Training hours were under target for 3 weeks running: a training plan is proposed to "
        "talk through together. It is an offer of support, not a judgement, and goes ahead "
        "only if agreed.")
    sprints = interventions.propose_support(
        db, trigger=missed(db, org["dev"], "tickets_done", periods=["S1", "S2", "S3", "S4"],
                           period="sprint"), person=org["dev"])
    assert sprints.summary.startswith("Tickets done were under target for 4 sprints running: "
                                      "pairing with a colleague is proposed")
    vague = interventions.propose_support(db, trigger=new_trigger(db, org["dev"]),
                                          person=org["dev"])
    assert vague.kind == "coaching"
    assert vague.summary.startswith("A target was not met for a while: coaching is proposed")


def test_support_for_someone_without_a_line_manager_is_proposed_to_nobody(db, person):
    alone = person(band="8c")
    made = interventions.propose_support(db, trigger=missed(db, alone, "training_hours"),
                                         person=alone)
    assert made.status == "proposed" and made.proposed_to_id is None


def test_a_positive_trigger_becomes_a_completed_recognition(db, org, client, dev):
    fired = datetime(2026, 11, 12, 15, 30, tzinfo=UTC)
    trigger = new_trigger(db, org["dev"], direction="positive", rule="objective_completed",
                          summary="completed the objective “Faster booking search” (2026-Q4)",
                          fired_at=fired)
    made = interventions.recognise(db, trigger=trigger, person=org["dev"])
    db.commit()
    assert (made.kind, made.status, made.trigger_id) == ("recognition", "completed", trigger.id)
    assert made.completed_at == fired
    assert made.summary == "completed the objective “Faster booking search” (2026-Q4)"
    assert made.proposed_to_id is None
    seen = client.get(f"{URL}/{made.id}", headers=dev).json()
    assert seen["kind"] == "recognition" and seen["allowed_actions"] == []


def test_each_trigger_makes_one_intervention_however_often_it_is_acted_on(db, org):
    negative = missed(db, org["dev"], "training_hours")
    positive = new_trigger(db, org["dev"], direction="positive", rule="production_streak",
                           summary="shipped to production 3 sprints in a row")
    first = interventions.propose_support(db, trigger=negative, person=org["dev"])
    again = interventions.propose_support(db, trigger=negative, person=org["dev"])
    praised = interventions.recognise(db, trigger=positive, person=org["dev"])
    praised_again = interventions.recognise(db, trigger=positive, person=org["dev"])
    db.commit()
    assert first.id == again.id and praised.id == praised_again.id
    assert len(db.exec(select(Intervention)).all()) == 2


def test_the_engine_refuses_a_trigger_of_the_wrong_direction_or_person(db, org):
    positive = new_trigger(db, org["dev"], direction="positive", rule="objective_completed")
    with pytest.raises(ValueError):
        interventions.propose_support(db, trigger=positive, person=org["dev"])
    with pytest.raises(ValueError):
        interventions.recognise(db, trigger=missed(db, org["dev"], "training_hours"),
                                person=org["dev"])
    with pytest.raises(ValueError):
        interventions.recognise(db, trigger=positive, person=org["peer"])
    assert db.exec(select(Intervention)).all() == []


# --- the lifecycle ---------------------------------------------------------------------------


def test_support_goes_proposed_agreed_in_progress_completed(client, org, dev, manager):
    created = client.post(URL, headers=manager, json={
        "person_id": org["dev"].id, "kind": "mentoring", "summary": "Mentoring with Principal",
        "notes": "Talked about it at our one-to-one"})
    assert created.status_code == 201
    body = created.json()
    assert created.headers["location"].endswith(f"{URL}/{body['id']}")
    assert created.headers["etag"] == f'"intervention-{body["id"]}-v1"'
    assert (body["status"], body["kind"], body["person_id"]) == ("proposed", "mentoring",
                                                                 org["dev"].id)
    assert body["proposed_to_id"] == org["senior"].id == body["created_by_id"]
    # Each sees the moves that are theirs: the person agrees or declines; the manager runs it.
    assert body["allowed_actions"] == []
    assert body["created_by"] == body["updated_by"] == org["senior"].id
    assert client.get(f"{URL}/{body['id']}", headers=dev).json()["allowed_actions"] == [
        "agree", "decline"]
    agreed = _act(client, dev, body["id"], "agree")
    assert agreed.json()["status"] == "agreed"
    assert agreed.headers["etag"] == f'"intervention-{body["id"]}-v2"'
    assert agreed.json()["allowed_actions"] == ["decline"]
    assert agreed.json()["updated_by"] == org["dev"].id
    assert client.get(f"{URL}/{body['id']}", headers=manager).json()["allowed_actions"] == [
        "start"]
    started = _moved(client, manager, body["id"], "start")
    assert started["status"] == "in_progress" and started["allowed_actions"] == ["complete"]
    done = _moved(client, manager, body["id"], "complete", note="Four sessions; very useful")
    assert done["status"] == "completed" and done["completed_at"] and done["allowed_actions"] == []
    assert done["notes"].startswith("Talked about it at our one-to-one\n")
    assert done["notes"].endswith(", completed: Four sessions; very useful")
    assert client.get(f"{URL}/{body['id']}", headers=dev).headers["etag"] == \
        f'"intervention-{body["id"]}-v4"'


@pytest.mark.parametrize("agree_first", [False, True])
def test_the_person_may_decline_proposed_or_agreed_support(client, org, dev, manager,
                                                           agree_first):
    made = _propose(client, manager, org["dev"])
    if agree_first:
        _moved(client, dev, made["id"], "agree")
    declined = _moved(client, dev, made["id"], "decline", reason="I would rather pair with Peer")
    assert declined["status"] == "declined" and declined["allowed_actions"] == []
    assert declined["notes"].endswith(", declined: I would rather pair with Peer")
    assert declined["completed_at"] is None


@pytest.mark.postgres_only
def test_a_move_racing_another_is_decided_on_the_status_the_other_left(client, org, dev,
                                                                      manager, engine, db):
    """A decline is committing (here: held open in another transaction) when the person's
    agree arrives. The agree waits for it, then finds the support declined and is refused;
    it never overwrites the decline with `agreed`."""
    import threading

    from sqlalchemy import text

    made = _propose(client, manager, org["dev"])
    answers = []
    with engine.connect() as other:
        other.execute(text("UPDATE intervention SET status = 'declined', version = version + 1 "
                           "WHERE id = :id"), {"id": made["id"]})
        agree = threading.Thread(target=lambda: answers.append(
            _act(client, dev, made["id"], "agree")))
        agree.start()
        for _ in range(300):  # until the agree waits for the other transaction's row lock
            if not agree.is_alive() or db.exec(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'")).one()[0]:
                break
            agree.join(0.1)
        other.commit()
    agree.join(30)
    assert [a.status_code for a in answers] == [409], answers[0].text
    assert db.get(Intervention, made["id"], populate_existing=True).status == "declined"


def test_declining_needs_a_reason(client, org, dev, manager):
    made = _propose(client, manager, org["dev"])
    for body in ({}, {"reason": "   "}):
        answer = _act(client, dev, made["id"], "decline", **body)
        assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM


@pytest.mark.parametrize(("moves", "action", "state", "allowed"), [
    ([], "start", "proposed", ["agree", "decline"]),
    ([], "complete", "proposed", ["agree", "decline"]),
    (["agree"], "agree", "agreed", ["decline", "start"]),
    (["agree"], "complete", "agreed", ["decline", "start"]),
    (["agree", "start"], "decline", "in_progress", ["complete"]),
    (["agree", "start"], "agree", "in_progress", ["complete"]),
    (["agree", "start", "complete"], "start", "completed", []),
    (["decline"], "agree", "declined", []),
])
def test_an_illegal_move_is_a_409_naming_the_state_and_what_is_allowed(
        client, org, dev, manager, moves, action, state, allowed):
    made = _propose(client, manager, org["dev"])
    bodies = {"decline": {"reason": "Not now"}, "complete": {}}
    for move in moves:
        who = dev if move in ("agree", "decline") else manager
        _moved(client, who, made["id"], move, **bodies.get(move, {}))
    who = dev if action in ("agree", "decline") else manager
    answer = _act(client, who, made["id"], action, **bodies.get(action, {}))
    assert answer.status_code == 409 and answer.headers["content-type"] == PROBLEM
    problem = answer.json()
    assert problem["state"] == state and problem["allowed_actions"] == allowed
    assert f"is {state}" in problem["detail"]
    if allowed:
        assert f"From {state} you can: {', '.join(allowed)}." in problem["detail"]


def test_a_recognition_is_recorded_completed_and_cannot_be_moved(client, org, dev, manager):
    made = _propose(client, manager, org["dev"], kind="recognition",
                    summary="ran the accessibility audit with great care")
    assert made["status"] == "completed" and made["completed_at"]
    assert made["proposed_to_id"] is None and made["allowed_actions"] == []
    for who, action, body in ((dev, "agree", {}), (dev, "decline", {"reason": "shy"}),
                              (manager, "start", {}), (manager, "complete", {})):
        answer = _act(client, who, made["id"], action, **body)
        assert answer.status_code == 409, action
        assert answer.json()["detail"].startswith("A recognition is recorded as completed")


# --- who may do what -------------------------------------------------------------------------


def test_only_the_person_agrees_or_declines(client, org, manager, as_):
    made = _propose(client, manager, org["dev"])
    for who, status in (("senior", 403), ("principal", 403), ("head", 403), ("peer", 403),
                        ("admin", 403), ("other_senior", 403)):
        for action, body in (("agree", {}), ("decline", {"reason": "no"})):
            answer = _act(client, as_(org[who]), made["id"], action, **body)
            assert answer.status_code == status, (who, action)
    refused = _act(client, manager, made["id"], "agree").json()
    assert refused["detail"] == "Only the person the support is for agrees to it or declines it."
    assert client.get(f"{URL}/{made['id']}", headers=manager).json()["status"] == "proposed"


def test_only_the_line_manager_starts_and_completes(client, org, dev, manager, as_):
    made = _propose(client, manager, org["dev"])
    _moved(client, dev, made["id"], "agree")
    for who, status in (("dev", 403), ("principal", 403), ("head", 403), ("peer", 403),
                        ("admin", 403)):
        assert _act(client, as_(org[who]), made["id"], "start").status_code == status, who
    _moved(client, manager, made["id"], "start")
    for who, status in (("dev", 403), ("principal", 403), ("peer", 403), ("admin", 403)):
        assert _act(client, as_(org[who]), made["id"], "complete").status_code == status, who
    assert _moved(client, manager, made["id"], "complete")["status"] == "completed"


def test_only_the_line_manager_proposes_support_or_records_recognition(client, org, as_, dev):
    body = {"person_id": org["dev"].id, "kind": "coaching", "summary": "Coaching"}
    for who, status in (("dev", 403), ("principal", 403), ("head", 403), ("peer", 403),
                        ("admin", 403), ("other_senior", 403)):
        for kind in ("coaching", "recognition"):
            answer = client.post(URL, headers=as_(org[who]), json={**body, "kind": kind})
            assert answer.status_code == status, (who, kind)
    assert client.post(URL, headers=dev, json={**body, "person_id": 424242}).status_code == 404


@pytest.mark.parametrize("body", [
    {"kind": "disciplinary"}, {"kind": "capability"}, {"summary": ""}, {"person_id": "7"},
    {"status": "completed"}, {"trigger_id": 1}, {"summary": "x" * 2001},
])
def test_a_malformed_proposal_is_a_422(client, org, manager, body):
    payload = {"person_id": org["dev"].id, "kind": "coaching", "summary": "Coaching", **body}
    answer = client.post(URL, headers=manager, json=payload)
    assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM


def test_who_reads_an_intervention(client, org, as_, db, person, manager):
    buddy, coach = person(band="7"), person(band="8a")
    apprentice = person(kind="apprentice", band="6", line_manager=org["senior"],
                        buddy_id=buddy.id)
    programme = CoachingProgramme(name="Programme", cohort_bands=["6"],
                                  starts_on=date(2026, 10, 1), ends_on=date(2027, 4, 30),
                                  planned_sessions=6, session_minutes=60)
    db.add(programme)
    db.commit()
    db.add(CoachingEnrolment(programme_id=id_of(programme), coachee_id=id_of(apprentice),
                             coach_id=coach.id, active=True))
    db.commit()
    made = _propose(client, manager, apprentice)
    one, listing = f"{URL}/{made['id']}", f"{URL}?person_id={apprentice.id}"
    for reader in (apprentice, org["senior"], org["principal"], org["head"], buddy, coach):
        answer = client.get(one, headers=as_(reader))
        assert answer.status_code == 200, reader.name
        assert answer.headers["etag"] == f'"intervention-{made["id"]}-v1"'
        assert [i["id"] for i in client.get(listing, headers=as_(reader)).json()["items"]] == \
            [made["id"]], reader.name
    for stranger in ("admin", "peer", "dev", "other_senior", "other_dev"):
        assert client.get(one, headers=as_(org[stranger])).status_code == 403, stranger
        assert client.get(listing, headers=as_(org[stranger])).status_code == 403, stranger
    # Support is not a secret record: the refusal names who sees it; an unknown id is 404.
    refused = client.get(one, headers=as_(org["peer"])).json()
    assert refused["rule"] == "intervention-readers" and "line manager" in refused["detail"]
    assert client.get(f"{URL}/424242", headers=as_(org["peer"])).status_code == 404


def test_the_line_manager_acts_on_support_a_trigger_proposed(client, db, org, dev, manager):
    made = interventions.propose_support(db, trigger=missed(db, org["dev"], "training_hours"),
                                         person=org["dev"])
    db.commit()
    assert _moved(client, dev, made.id, "agree")["status"] == "agreed"
    assert _moved(client, manager, made.id, "start")["status"] == "in_progress"
    assert _moved(client, manager, made.id, "complete")["status"] == "completed"


# --- lists ---------------------------------------------------------------------------------------


def test_the_list_defaults_to_the_callers_own_and_filters_by_status_and_kind(
        client, org, dev, manager):
    coaching = _propose(client, manager, org["dev"], kind="coaching")
    pairing = _propose(client, manager, org["dev"], kind="pairing")
    praise = _propose(client, manager, org["dev"], kind="recognition", summary="led the demo")
    _propose(client, manager, org["peer"], kind="coaching")
    _moved(client, dev, pairing["id"], "agree")

    def ids(headers, query=""):
        answer = client.get(f"{URL}{query}", headers=headers)
        assert answer.status_code == 200, answer.text
        return [i["id"] for i in answer.json()["items"]]

    assert ids(dev) == [coaching["id"], pairing["id"], praise["id"]]
    assert ids(manager) == []
    assert ids(manager, f"?person_id={org['dev'].id}") == [coaching["id"], pairing["id"],
                                                           praise["id"]]
    assert ids(dev, "?status=agreed") == [pairing["id"]]
    assert ids(dev, "?status=proposed&kind=coaching") == [coaching["id"]]
    assert ids(dev, "?kind=recognition") == [praise["id"]]
    assert ids(dev, "?status=completed&kind=pairing") == []
    page = client.get(f"{URL}?limit=2", headers=dev).json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = client.get(f"{URL}?limit=2&cursor={page['next_cursor']}", headers=dev).json()
    assert [i["id"] for i in rest["items"]] == [praise["id"]] and rest["next_cursor"] is None
    for query in ("?status=cancelled", "?kind=disciplinary", "?person_id=0"):
        assert client.get(f"{URL}{query}", headers=dev).status_code == 422, query


def test_list_statement_count_does_not_grow_with_the_number_listed(client, org, db, dev,
                                                                    statements):
    for n in range(25):
        db.add(Intervention(person_id=org["dev"].id, kind="coaching", status="proposed",
                            summary=f"Support {n}", proposed_to_id=org["senior"].id))
    db.commit()
    counts = []
    for limit in (2, 25):
        with statements() as counted:
            answer = client.get(f"{URL}?limit={limit}", headers=dev)
        assert answer.status_code == 200 and len(answer.json()["items"]) == limit
        counts.append(counted.count)
    assert counts[0] == counts[1]

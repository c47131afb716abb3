"""Evidence: recorded by the person it is about, read by their line, coach and buddy;
integration evidence is immutable through the API."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlmodel import select

from app.db.models import CoachingEnrolment, CoachingProgramme, Evidence, Objective, id_of
from app.domain.errors import RuleViolation
from app.domain.vocabulary import EvidenceKind, EvidenceSource
from app.services.growth import evidence as evidence_service

PROBLEM = "application/problem+json"
URL = "/v1/evidence"


def _record(client, headers, **body):
    payload = {"kind": "accomplishment", "occurred_on": "2026-03-02",
               "title": "Shipped the booking form", **body}
    return client.post(URL, headers=headers, json=payload)


def _objective(db, owner, title="Speed up the build"):
    objective = Objective(person_id=owner.id, title=title, quarter="2026-Q1",
                          twenty_percent_time=True, status="agreed")
    db.add(objective)
    db.commit()
    return objective


def _from_jira(db, owner, *, key="GPS-1", on=date(2026, 3, 3), retracted=False):
    found = evidence_service.add_evidence(
        db, person_id=owner.id, kind=EvidenceKind.ticket_done, source=EvidenceSource.jira,
        occurred_on=on, title=f"{key} done", external_id=key, details={"issue": key})
    if retracted:
        found.retracted_at = datetime(2026, 3, 4, tzinfo=UTC)
        db.add(found)
    db.commit()
    return found


def _coach(db, coach, coachee, *, active=True):
    programme = CoachingProgramme(name=f"Programme {coach.id}-{coachee.id}", cohort_bands=["7"],
                                  starts_on=date(2025, 10, 1), ends_on=date(2026, 4, 30),
                                  planned_sessions=6, session_minutes=60)
    db.add(programme)
    db.commit()
    db.add(CoachingEnrolment(programme_id=id_of(programme), coachee_id=id_of(coachee),
                             coach_id=id_of(coach), active=active))
    db.commit()


def _fields(answer):
    return {e["field"] for e in answer.json()["errors"]}


def _stored(db, person):
    return db.exec(select(Evidence).where(Evidence.person_id == person.id)).all()


def test_a_person_records_their_own_evidence_with_location_and_etag(client, org, as_):
    answer = _record(client, as_(org["dev"]), description="Users can book online now")
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["person_id"] == org["dev"].id  # defaults to the caller
    assert (body["kind"], body["source"], body["retracted"]) == ("accomplishment", "manual", False)
    assert (body["occurred_on"], body["hours"], body["topic"]) == ("2026-03-02", None, None)
    assert body["description"] == "Users can book online now"
    assert body["details"] == {} and body["external_id"] is None
    assert answer.headers["location"].endswith(f"{URL}/{body['id']}")
    assert answer.headers["etag"] == f'"evidence-{body["id"]}-v1"'
    fetched = client.get(answer.headers["location"], headers=as_(org["dev"]))
    assert fetched.status_code == 200 and fetched.json() == body
    assert fetched.headers["etag"] == answer.headers["etag"]
    explicit = _record(client, as_(org["dev"]), person_id=org["dev"].id, kind="qualification",
                       title="AWS Solutions Architect")
    assert explicit.status_code == 201 and explicit.json()["kind"] == "qualification"


def test_training_records_hours_and_topic(client, org, as_):
    answer = _record(client, as_(org["dev"]), kind="training", hours=1.5, topic="Accessibility")
    assert answer.status_code == 201, answer.text
    assert (answer.json()["hours"], answer.json()["topic"]) == (1.5, "Accessibility")
    whole = _record(client, as_(org["dev"]), kind="training", hours=24, topic="Conference")
    assert whole.status_code == 201 and whole.json()["hours"] == 24


@pytest.mark.parametrize("hours", [-1, 0, 24.01, 100, "2", True, 1.333])
def test_training_hours_outside_the_rules_are_refused(client, org, as_, db, hours):
    answer = _record(client, as_(org["dev"]), kind="training", hours=hours, topic="Testing")
    assert answer.status_code == 422
    assert answer.headers["content-type"] == PROBLEM
    assert _fields(answer) == {"hours"}
    assert "hours" in answer.json()["detail"]
    assert _stored(db, org["dev"]) == []


def test_training_needs_hours_and_a_topic(client, org, as_, db):
    neither = _record(client, as_(org["dev"]), kind="training")
    assert neither.status_code == 422 and neither.headers["content-type"] == PROBLEM
    assert _fields(neither) == {"hours", "topic"}
    assert neither.json()["rule"] == "EVIDENCE-TRAINING-HOURS"
    no_topic = _record(client, as_(org["dev"]), kind="training", hours=2)
    assert _fields(no_topic) == {"topic"} and "topic" in no_topic.json()["detail"]
    assert _stored(db, org["dev"]) == []


def test_hours_on_a_kind_other_than_training_are_refused(client, org, as_, db):
    answer = _record(client, as_(org["dev"]), kind="accomplishment", hours=2)
    assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM
    assert _fields(answer) == {"hours"}
    assert answer.json()["rule"] == "EVIDENCE-HOURS-TRAINING-ONLY"
    assert "hours" in answer.json()["detail"]
    assert _stored(db, org["dev"]) == []


@pytest.mark.parametrize(("kind", "integration"), [("ticket_done", "Jira"),
                                                   ("production_change", "GitHub")])
def test_delivery_evidence_cannot_be_recorded_by_hand(client, org, as_, db, kind, integration):
    answer = _record(client, as_(org["dev"]), kind=kind)
    assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM
    assert _fields(answer) == {"kind"}
    assert answer.json()["rule"] == "EVIDENCE-FROM-INTEGRATION"
    assert integration in answer.json()["detail"] and "integration" in answer.json()["detail"]
    assert _stored(db, org["dev"]) == []


@pytest.mark.parametrize(("field", "value"), [
    ("kind", "bragging"), ("source", "jira"), ("external_id", "GPS-1"), ("retracted", False),
    ("occurred_on", 20260302), ("occurred_on", "02/03/2026"), ("occurred_on", "0"),
    ("occurred_on", "2026-03-02T00:00:00"), ("occurred_on", "2026-02-30"), ("title", ""),
    ("title", "x" * 301), ("topic", "x" * 201), ("description", "x" * 4001),
    ("objective_id", "1"), ("person_id", 0)])
def test_invalid_and_server_owned_fields_are_refused(client, org, as_, field, value):
    answer = _record(client, as_(org["dev"]), **{field: value})
    assert answer.status_code == 422, (field, value)
    assert answer.headers["content-type"] == PROBLEM
    assert _fields(answer) == {field}


def test_evidence_is_written_only_by_the_person_it_is_about(client, org, as_, db):
    _coach(db, org["other_senior"], org["dev"])
    for writer, expected in (("senior", 403), ("principal", 403), ("head", 403),
                             ("other_senior", 403), ("peer", 403), ("other_dev", 403),
                             ("admin", 403)):
        answer = _record(client, as_(org[writer]), person_id=org["dev"].id)
        assert answer.status_code == expected, writer
        assert answer.headers["content-type"] == PROBLEM
    refused = _record(client, as_(org["senior"]), person_id=org["dev"].id)
    assert "written by the person it is about" in refused.json()["detail"]
    assert _record(client, as_(org["dev"]), person_id=424242).status_code == 404
    assert _stored(db, org["dev"]) == []


def test_objective_must_be_the_same_persons(client, org, as_, db):
    own = _objective(db, org["dev"])
    someone_elses = _objective(db, org["peer"])
    linked = _record(client, as_(org["dev"]), objective_id=own.id)
    assert linked.status_code == 201 and linked.json()["objective_id"] == own.id
    for objective_id in (someone_elses.id, 424242):
        answer = _record(client, as_(org["dev"]), objective_id=objective_id)
        assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM
        assert _fields(answer) == {"objective_id"}
        assert answer.json()["detail"].startswith("objective_id:")
    assert len(_stored(db, org["dev"])) == 1


def test_who_reads_a_persons_evidence(client, org, as_, db, person):
    buddy = person(band="7")
    apprentice = person(kind="apprentice", band="6", line_manager=org["senior"],
                        buddy_id=buddy.id)
    org = {**org, "buddy": buddy, "apprentice": apprentice}
    coach, lapsed_coach = person(band="8a"), person(band="8a")
    _coach(db, coach, apprentice)
    _coach(db, lapsed_coach, apprentice, active=False)
    made = _record(client, as_(apprentice))
    assert made.status_code == 201
    one = f"{URL}/{made.json()['id']}"
    listing = f"{URL}?person_id={apprentice.id}"
    for reader in ("apprentice", "senior", "principal", "head", "buddy"):
        assert client.get(one, headers=as_(org[reader])).status_code == 200, reader
        assert len(client.get(listing, headers=as_(org[reader])).json()["items"]) == 1, reader
    assert client.get(one, headers=as_(coach)).status_code == 200
    assert len(client.get(listing, headers=as_(coach)).json()["items"]) == 1
    # Admins run the organisation; they do not read people's evidence.
    for reader in ("admin", "peer", "dev", "other_senior", "other_dev"):
        refused = client.get(one, headers=as_(org[reader]))
        assert refused.status_code == 403 and refused.json()["rule"] == "evidence-readers", reader
        assert client.get(listing, headers=as_(org[reader])).status_code == 403, reader
    assert client.get(one, headers=as_(lapsed_coach)).status_code == 403
    # Someone else's evidence is refused naming who sees it; evidence that does not exist is
    # 404.
    refused = client.get(one, headers=as_(org["peer"])).json()
    assert refused["rule"] == "evidence-readers" and "line manager" in refused["detail"]
    assert client.get(f"{URL}/424242", headers=as_(org["peer"])).status_code == 404


def test_the_list_defaults_to_the_callers_own_evidence(client, org, as_):
    _record(client, as_(org["dev"]), title="Mine")
    _record(client, as_(org["peer"]), title="Theirs")
    items = client.get(URL, headers=as_(org["dev"])).json()["items"]
    assert [(e["title"], e["person_id"]) for e in items] == [("Mine", org["dev"].id)]
    assert client.get(URL, headers=as_(org["senior"])).json()["items"] == []


def test_list_filters_by_kind_source_dates_and_objective(client, org, as_, db):
    headers = as_(org["dev"])
    objective = _objective(db, org["dev"])
    ids = {}
    for name, body in {
        "early": dict(occurred_on="2026-02-27"),
        "start": dict(occurred_on="2026-03-02", objective_id=objective.id),
        "training": dict(occurred_on="2026-03-04", kind="training", hours=2, topic="Python"),
        "end": dict(occurred_on="2026-03-08", kind="retro_action"),
        "late": dict(occurred_on="2026-03-09", kind="user_feedback"),
    }.items():
        answer = _record(client, headers, **body)
        assert answer.status_code == 201, answer.text
        ids[name] = answer.json()["id"]
    ids["jira"] = _from_jira(db, org["dev"], on=date(2026, 3, 5)).id

    def titles(query):
        answer = client.get(f"{URL}?{query}", headers=headers)
        assert answer.status_code == 200, answer.text
        return {e["id"] for e in answer.json()["items"]}

    assert titles("from=2026-03-02&to=2026-03-08") == {
        ids["start"], ids["training"], ids["jira"], ids["end"]}  # both ends inclusive
    assert titles("from=2026-03-09") == {ids["late"]}
    assert titles("to=2026-02-27") == {ids["early"]}
    assert titles("kind=training") == {ids["training"]}
    assert titles("source=jira") == {ids["jira"]}
    assert titles("source=manual&kind=ticket_done") == set()
    assert titles(f"objective_id={objective.id}") == {ids["start"]}
    assert titles("kind=retro_action&from=2026-03-01&to=2026-03-31") == {ids["end"]}
    for query, field in (("from=2026-03-09&to=2026-03-01", "to"), ("kind=bragging", "kind"),
                         ("from=yesterday", "from"), ("to=0", "to"), ("source=email", "source"),
                         ("from=2026-03-02T00:00:00", "from")):
        answer = client.get(f"{URL}?{query}", headers=headers)
        assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM, query
        assert _fields(answer) == {field}, query


def test_retracted_integration_evidence_is_left_out_unless_asked_for(client, org, as_, db):
    kept = _from_jira(db, org["dev"], key="GPS-1")
    retracted = _from_jira(db, org["dev"], key="GPS-2", retracted=True)
    headers = as_(org["dev"])
    shown = client.get(URL, headers=headers).json()["items"]
    assert [e["id"] for e in shown] == [kept.id]
    everything = client.get(f"{URL}?include_retracted=true", headers=headers).json()["items"]
    assert {(e["id"], e["retracted"]) for e in everything} == {(kept.id, False),
                                                               (retracted.id, True)}
    single = client.get(f"{URL}/{kept.id}", headers=headers).json()
    assert (single["source"], single["kind"], single["external_id"]) == (
        "jira", "ticket_done", "GPS-1")
    assert single["details"] == {"issue": "GPS-1"}


def test_integration_evidence_is_immutable_through_the_api(client, org, as_, db):
    from_jira = _from_jira(db, org["dev"])
    headers = as_(org["dev"])
    url = f"{URL}/{from_jira.id}"
    etag = client.get(url, headers=headers).headers["etag"]
    changed = client.patch(url, headers={**headers, "If-Match": etag}, json={"title": "Mine"})
    assert changed.status_code == 409 and changed.headers["content-type"] == PROBLEM
    assert "Jira says so" in changed.json()["detail"]
    deleted = client.delete(url, headers=headers)
    assert deleted.status_code == 409 and "Jira" in deleted.json()["detail"]
    assert client.get(url, headers=headers).json()["title"] == "GPS-1 done"
    # The line manager reads it but cannot touch it; a peer may not even read it.
    assert client.delete(url, headers=as_(org["senior"])).status_code == 403
    assert client.delete(url, headers=as_(org["peer"])).status_code == 403


def test_patch_needs_a_current_if_match(client, org, as_):
    headers = as_(org["dev"])
    made = _record(client, headers)
    url = made.headers["location"]
    etag = made.headers["etag"]
    missing = client.patch(url, headers=headers, json={"title": "Better"})
    assert missing.status_code == 428 and missing.headers["content-type"] == PROBLEM
    changed = client.patch(url, headers={**headers, "If-Match": etag},
                           json={"title": "Better", "description": None})
    assert changed.status_code == 200, changed.text
    assert changed.json()["title"] == "Better" and changed.json()["description"] == ""
    assert changed.headers["etag"] == f'"evidence-{made.json()["id"]}-v2"'
    stale = client.patch(url, headers={**headers, "If-Match": etag}, json={"title": "Again"})
    assert stale.status_code == 412 and stale.headers["content-type"] == PROBLEM
    assert client.get(url, headers=headers).json()["title"] == "Better"


def test_patch_keeps_the_rules_of_the_kind(client, org, as_, db):
    headers = as_(org["dev"])
    made = _record(client, headers, kind="training", hours=3, topic="Kotlin")
    url = made.headers["location"]

    def patch(body):
        etag = client.get(url, headers=headers).headers["etag"]
        return client.patch(url, headers={**headers, "If-Match": etag}, json=body)

    assert _fields(patch({"kind": "accomplishment"})) == {"hours"}
    assert _fields(patch({"hours": None})) == {"hours"}
    assert _fields(patch({"kind": "ticket_done", "hours": None, "topic": None})) == {"kind"}
    assert _fields(patch({"objective_id": _objective(db, org["peer"]).id})) == {"objective_id"}
    for body in ({"title": None}, {"kind": None}, {"occurred_on": None}, {"source": "jira"},
                 {"person_id": org["peer"].id}, {"hours": -2}):
        answer = patch(body)
        assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM, body
        assert _fields(answer) == set(body), body
    assert client.get(url, headers=headers).json()["hours"] == 3
    changed = patch({"kind": "accomplishment", "hours": None, "occurred_on": "2026-03-10"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["kind"], changed.json()["hours"], changed.json()["occurred_on"]) == (
        "accomplishment", None, "2026-03-10")
    assert changed.json()["person_id"] == org["dev"].id


def test_only_the_person_changes_or_deletes_their_evidence(client, org, as_):
    made = _record(client, as_(org["dev"]))
    url = made.headers["location"]
    etag = made.headers["etag"]
    for who, expected in (("senior", 403), ("principal", 403), ("peer", 403), ("admin", 403)):
        answer = client.patch(url, headers={**as_(org[who]), "If-Match": etag},
                              json={"title": "Not yours"})
        assert answer.status_code == expected, who
        assert client.delete(url, headers=as_(org[who])).status_code == expected, who
    assert client.get(url, headers=as_(org["dev"])).json()["title"] == "Shipped the booking form"
    assert client.delete(url, headers=as_(org["dev"])).status_code == 204
    assert client.get(url, headers=as_(org["dev"])).status_code == 404
    assert client.delete(url, headers=as_(org["dev"])).status_code == 404


def test_the_list_pages_with_a_cursor(client, org, as_):
    headers = as_(org["dev"])
    made = [_record(client, headers, title=f"Week {n}").json()["id"] for n in range(5)]
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get(URL, headers=headers, params=params).json()
        seen += [e["id"] for e in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == made and pages == 3
    bad = client.get(URL, headers=headers, params={"cursor": "not-ours"})
    assert bad.status_code == 422 and bad.headers["content-type"] == PROBLEM
    assert client.get(URL, headers=headers, params={"limit": 0}).status_code == 422


def test_list_statement_count_does_not_grow_with_page_size(client, org, as_, db, statements):
    objective = _objective(db, org["dev"])
    for n in range(30):
        _record(client, as_(org["dev"]), title=f"Week {n}", objective_id=objective.id)
        _from_jira(db, org["dev"], key=f"GPS-{n}")
    headers = as_(org["principal"])
    counts = []
    for limit in (2, 60):
        with statements() as counted:
            answer = client.get(f"{URL}?person_id={org['dev'].id}&limit={limit}",
                                headers=headers)
            assert answer.status_code == 200
            assert len(answer.json()["items"]) == limit
        counts.append(counted.count)
    assert counts[0] == counts[1]


def test_add_evidence_records_integration_evidence_and_keeps_the_rules(org, db):
    found = _from_jira(db, org["dev"], key="GPS-7")
    assert (found.source, found.kind, found.external_id) == ("jira", "ticket_done", "GPS-7")
    with pytest.raises(RuleViolation) as refused:
        evidence_service.add_evidence(
            db, person_id=org["dev"].id, kind=EvidenceKind.training,
            source=EvidenceSource.manual, occurred_on=date(2026, 3, 2), title="Course",
            hours=Decimal("25"))
    assert {p.field for p in refused.value.problems} == {"hours", "topic"}


def test_evidence_for_a_date_range_leaves_out_retracted_evidence(client, org, as_, db):
    headers = as_(org["dev"])
    inside = [_record(client, headers, occurred_on=day).json()["id"]
              for day in ("2026-03-02", "2026-03-31")]
    _record(client, headers, occurred_on="2026-04-01")
    _record(client, as_(org["peer"]), occurred_on="2026-03-10")
    jira = _from_jira(db, org["dev"], key="GPS-1", on=date(2026, 3, 15))
    _from_jira(db, org["dev"], key="GPS-2", on=date(2026, 3, 16), retracted=True)
    found = evidence_service.evidence_for(db, person_id=org["dev"].id, start=date(2026, 3, 2),
                                          end=date(2026, 3, 31))
    assert [e.id for e in found] == [inside[0], jira.id, inside[1]]  # by date

"""Coaching: programmes, enrolments (cohort, one per programme, who sees them), sessions and
their notes, withdrawal, and the policy's first programme."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from app.db.growth import CoachingEnrolment, CoachingProgramme, CoachingSession
from app.db.models import AuditEntry
from app.services.growth.coaching import FIRST_PROGRAMME_CONTENT, seed_first_programme

PROBLEM = "application/problem+json"
PROGRAMME = {"name": "Senior developer coaching", "cohort_bands": ["8a"],
             "starts_on": "2026-10-01", "ends_on": "2027-04-30", "planned_sessions": 6,
             "session_minutes": 90,
             "planned_content": ["Self-confidence", "Critical thinking skills"]}


def _programme(client, headers, **changes):
    return client.post("/v1/coaching/programmes", headers=headers, json={**PROGRAMME, **changes})


def _enrol(client, headers, programme_id, coachee, coach):
    return client.post("/v1/coaching/enrolments", headers=headers, json={
        "programme_id": programme_id, "coachee_id": coachee.id, "coach_id": coach.id})


def _schedule(client, headers, enrolment_id, when="2026-10-07T10:00:00+01:00", topics=None):
    return client.post("/v1/coaching/sessions", headers=headers, json={
        "enrolment_id": enrolment_id, "scheduled_for": when, "topics": topics or []})


def _patch(client, headers, url, body):
    etag = client.get(url, headers=headers).headers["etag"]
    return client.patch(url, headers={**headers, "If-Match": etag}, json=body)


def _rule(answer):
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == PROBLEM
    return answer.json()["rule"]


@pytest.fixture
def coach(person, org):
    """A principal engineer from outside the senior's line."""
    return person(band="8b", line_manager=org["head"], name="Coach")


@pytest.fixture
def enrolled(client, org, as_, coach):
    """The senior (8a) enrolled with the outside coach; the other senior coached by the
    senior."""
    admin = as_(org["admin"])
    programme = _programme(client, admin).json()
    first = _enrol(client, admin, programme["id"], org["senior"], coach).json()
    second = _enrol(client, admin, programme["id"], org["other_senior"], org["senior"]).json()
    return {"programme": programme, "senior": first, "other_senior": second}


# --- programmes -------------------------------------------------------------------------------


def test_admin_creates_a_programme_everyone_reads_it(client, org, as_, db):
    answer = _programme(client, as_(org["admin"]))
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert {k: body[k] for k in PROGRAMME} == PROGRAMME
    assert answer.headers["location"].endswith(f"/v1/coaching/programmes/{body['id']}")
    assert answer.headers["etag"] == f'"coaching-programme-{body["id"]}-v1"'
    fetched = client.get(answer.headers["location"], headers=as_(org["dev"]))
    assert fetched.status_code == 200 and fetched.json() == body
    assert fetched.headers["etag"] == answer.headers["etag"]
    listed = client.get("/v1/coaching/programmes", headers=as_(org["peer"])).json()
    assert [p["id"] for p in listed["items"]] == [body["id"]]
    assert db.exec(select(AuditEntry).where(
        AuditEntry.action == "coaching.programme.create")).one().target_id == str(body["id"])


def test_only_coaching_managers_create_programmes(client, org, as_, db):
    answer = _programme(client, as_(org["head"]))
    assert answer.status_code == 403
    assert answer.json()["required_scope"] == "coaching:manage"
    assert db.exec(select(CoachingProgramme)).first() is None


def test_programme_names_are_unique(client, org, as_):
    admin = as_(org["admin"])
    assert _programme(client, admin).status_code == 201
    clash = _programme(client, admin)
    assert clash.status_code == 409 and clash.json()["field"] == "name"


def test_a_programme_ends_after_it_starts(client, org, as_):
    admin = as_(org["admin"])
    for ends_on in ("2026-10-01", "2026-09-30"):
        answer = _programme(client, admin, ends_on=ends_on)
        assert _rule(answer) == "COACHING-PROGRAMME-DATES"
        assert "ends_on" in answer.json()["detail"]


@pytest.mark.parametrize("field, value", [
    ("planned_sessions", 0), ("planned_sessions", 101), ("planned_sessions", "6"),
    ("session_minutes", 14), ("session_minutes", 481), ("cohort_bands", []),
    ("cohort_bands", ["9"]), ("starts_on", 20261001), ("ends_on", "0"),
    ("starts_on", "2026-1-1"), ("planned_content", ["x" * 201]),
    ("planned_content", ["ok"] * 51), ("name", ""), ("version", 2),
])
def test_programme_input_is_checked(client, org, as_, field, value):
    answer = _programme(client, as_(org["admin"]), **{field: value})
    assert answer.status_code == 422, (field, value)
    assert answer.headers["content-type"] == PROBLEM
    assert {e["field"].split(".")[0] for e in answer.json()["errors"]} == {field}


def test_programme_limits_are_inclusive(client, org, as_):
    admin = as_(org["admin"])
    low = _programme(client, admin, name="Short", planned_sessions=1, session_minutes=15)
    high = _programme(client, admin, name="Long", planned_sessions=100, session_minutes=480)
    assert (low.status_code, high.status_code) == (201, 201)


def test_patch_programme_needs_if_match_and_keeps_the_rules(client, org, as_):
    admin = as_(org["admin"])
    created = _programme(client, admin)
    url = created.headers["location"]
    assert client.patch(url, headers=admin, json={"planned_sessions": 8}).status_code == 428
    changed = client.patch(url, headers={**admin, "If-Match": created.headers["etag"]},
                           json={"planned_sessions": 8, "cohort_bands": ["8a", "8b", "8a"]})
    assert changed.status_code == 200, changed.text
    assert changed.json()["planned_sessions"] == 8
    assert changed.json()["cohort_bands"] == ["8a", "8b"]
    assert changed.headers["etag"].endswith('-v2"')
    stale = client.patch(url, headers={**admin, "If-Match": created.headers["etag"]},
                         json={"planned_sessions": 9})
    assert stale.status_code == 412
    assert _rule(_patch(client, admin, url, {"starts_on": "2027-05-01"})) == \
        "COACHING-PROGRAMME-DATES"
    assert _patch(client, admin, url, {"name": None}).status_code == 422
    _programme(client, admin, name="Another")
    assert _patch(client, admin, url, {"name": "Another"}).status_code == 409
    refused = _patch(client, as_(org["senior"]), url, {"planned_sessions": 1})
    assert refused.status_code == 403
    assert client.get(url, headers=admin).json()["planned_sessions"] == 8


def test_unknown_programme_is_404(client, org, as_):
    answer = client.get("/v1/coaching/programmes/4242", headers=as_(org["dev"]))
    assert answer.status_code == 404 and answer.headers["content-type"] == PROBLEM


# --- enrolments -------------------------------------------------------------------------------


def test_admin_enrols_a_coachee_of_the_cohort(client, org, as_, coach, db):
    admin = as_(org["admin"])
    programme = _programme(client, admin).json()
    answer = _enrol(client, admin, programme["id"], org["senior"], coach)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["coachee_id"], body["coach_id"], body["active"]) == (
        org["senior"].id, coach.id, True)
    assert body["programme_name"] == PROGRAMME["name"]
    assert body["progress"] == {"sessions_planned": 6, "sessions_held": 0,
                                "sessions_scheduled": 0, "sessions_cancelled": 0,
                                "hours_held": 0.0}
    assert answer.headers["location"].endswith(f"/v1/coaching/enrolments/{body['id']}")
    assert answer.headers["etag"] == f'"coaching-enrolment-{body["id"]}-v1"'
    assert db.exec(select(AuditEntry).where(
        AuditEntry.action == "coaching.enrolment.create")).one().target_id == str(body["id"])


def test_enrolment_rules_are_named(client, org, as_, coach, person):
    admin = as_(org["admin"])
    programme = _programme(client, admin).json()["id"]
    wrong_band = _enrol(client, admin, programme, org["dev"], coach)
    assert _rule(wrong_band) == "COACHING-COHORT"
    assert "COACHING-COHORT" in wrong_band.json()["detail"]
    assert "band 7" in wrong_band.json()["detail"]
    assert _rule(_enrol(client, admin, programme, org["senior"], org["senior"])) == \
        "COACHING-NOT-SELF"
    retired_coach = person(band="8b", active=False)
    assert _rule(_enrol(client, admin, programme, org["senior"], retired_coach)) == \
        "COACHING-ACTIVE"
    retired_senior = person(band="8a", active=False)
    inactive = _enrol(client, admin, programme, retired_senior, coach)
    assert _rule(inactive) == "COACHING-ACTIVE" and inactive.json()["field"] == "coachee_id"
    missing = client.post("/v1/coaching/enrolments", headers=admin, json={
        "programme_id": 999999, "coachee_id": org["senior"].id, "coach_id": coach.id})
    assert _rule(missing) == "COACHING-PROGRAMME-EXISTS"
    nobody = client.post("/v1/coaching/enrolments", headers=admin, json={
        "programme_id": programme, "coachee_id": 999999, "coach_id": coach.id})
    assert _rule(nobody) == "COACHING-PERSON-EXISTS"


def test_one_enrolment_per_coachee_per_programme(client, org, as_, coach, db):
    admin = as_(org["admin"])
    programme = _programme(client, admin).json()["id"]
    first = _enrol(client, admin, programme, org["senior"], coach)
    assert first.status_code == 201
    again = _enrol(client, admin, programme, org["senior"], org["principal"])
    assert again.status_code == 409
    assert again.json()["enrolment_id"] == first.json()["id"]
    assert len(db.exec(select(CoachingEnrolment)).all()) == 1


def test_only_coaching_managers_enrol(client, org, as_, coach):
    programme = _programme(client, as_(org["admin"])).json()["id"]
    answer = _enrol(client, as_(org["principal"]), programme, org["senior"], coach)
    assert answer.status_code == 403


def test_enrolments_are_listed_only_to_those_who_may_read_them(client, org, as_, enrolled,
                                                               coach):
    def seen(who, query=""):
        answer = client.get(f"/v1/coaching/enrolments{query}", headers=as_(who))
        assert answer.status_code == 200, answer.text
        return {e["coachee_id"] for e in answer.json()["items"]}

    both = {org["senior"].id, org["other_senior"].id}
    assert seen(org["senior"]) == both  # self, and the coach of the other senior
    assert seen(org["other_senior"]) == {org["other_senior"].id}
    assert seen(org["principal"]) == both  # line manager
    assert seen(org["head"]) == both  # chain
    assert seen(coach) == {org["senior"].id}
    assert seen(org["admin"]) == both  # coaching:manage
    for outsider in ("dev", "peer", "other_dev"):
        assert seen(org[outsider]) == set(), outsider
    assert seen(org["head"], f"?coach_id={coach.id}") == {org["senior"].id}
    assert seen(org["head"], f"?coachee_id={org['other_senior'].id}") == {org["other_senior"].id}
    assert seen(org["head"], "?programme_id=999") == set()


def test_enrolment_list_statement_count_does_not_grow_with_page_size(client, org, as_, person,
                                                                    coach, statements):
    admin = as_(org["admin"])
    programme = _programme(client, admin).json()["id"]
    for _ in range(12):
        coachee = person(band="8a", line_manager=org["principal"])
        assert _enrol(client, admin, programme, coachee, coach).status_code == 201
    for who in ("head", "admin", "principal"):
        counts = []
        for limit in (2, 12):
            with statements() as counted:
                answer = client.get(f"/v1/coaching/enrolments?limit={limit}",
                                    headers=as_(org[who]))
            assert len(answer.json()["items"]) == limit, who
            counts.append(counted.count)
        assert counts[0] == counts[1], who


def test_enrolment_pages_follow_cursors(client, org, as_, enrolled):
    page = client.get("/v1/coaching/enrolments?limit=1", headers=as_(org["head"])).json()
    assert page["next_cursor"]
    rest = client.get(f"/v1/coaching/enrolments?limit=1&cursor={page['next_cursor']}",
                      headers=as_(org["head"])).json()
    assert rest["next_cursor"] is None
    assert [e["id"] for e in page["items"] + rest["items"]] == [
        enrolled["senior"]["id"], enrolled["other_senior"]["id"]]


def test_enrolment_shows_progress_against_the_plan(client, org, as_, enrolled, coach):
    enrolment = enrolled["senior"]["id"]
    mine = as_(org["senior"])
    ids = [_schedule(client, mine, enrolment, f"2026-10-0{d}T09:00:00Z").json()["id"]
           for d in range(1, 6)]
    for session_id, outcome in zip(ids, ("held", "held", "held", "cancelled"), strict=False):
        url = f"/v1/coaching/sessions/{session_id}"
        assert _patch(client, as_(coach), url, {"status": outcome}).status_code == 200
    url = f"/v1/coaching/enrolments/{enrolment}"
    for reader in ("senior", "principal", "head", "admin"):
        answer = client.get(url, headers=as_(org[reader]))
        assert answer.status_code == 200, reader
        assert answer.json()["progress"] == {
            "sessions_planned": 6, "sessions_held": 3, "sessions_scheduled": 1,
            "sessions_cancelled": 1, "hours_held": 4.5}  # 3 × 90 minutes
    assert client.get(url, headers=as_(coach)).status_code == 200
    for outsider in ("dev", "peer", "other_senior"):
        answer = client.get(url, headers=as_(org[outsider]))
        assert answer.status_code == 404, outsider
        assert answer.headers["content-type"] == PROBLEM
    listed = client.get(f"/v1/coaching/enrolments?coachee_id={org['senior'].id}",
                        headers=as_(org["principal"])).json()["items"]
    assert listed[0]["progress"]["sessions_held"] == 3


def test_withdrawing_ends_the_coaching(client, org, as_, enrolled, coach, db):
    enrolment = enrolled["senior"]["id"]
    held = _schedule(client, as_(coach), enrolment).json()["id"]
    assert _patch(client, as_(coach), f"/v1/coaching/sessions/{held}",
                  {"status": "held"}).status_code == 200
    pending = _schedule(client, as_(coach), enrolment, "2026-11-04T10:00:00Z").json()["id"]
    url = f"/v1/coaching/enrolments/{enrolment}/withdraw"
    assert client.post(url, headers=as_(org["principal"])).status_code == 403
    answer = client.post(url, headers=as_(org["admin"]))
    assert answer.status_code == 200
    assert answer.json()["active"] is False
    assert answer.json()["progress"]["sessions_cancelled"] == 1
    assert answer.headers["etag"] == f'"coaching-enrolment-{enrolment}-v2"'
    statuses = {s.id: s.status for s in db.exec(select(CoachingSession))}
    assert statuses == {held: "held", pending: "cancelled"}
    # The coach no longer coaches the senior: the enrolment and its sessions are gone for them.
    assert client.get(f"/v1/coaching/enrolments/{enrolment}", headers=as_(coach)).status_code == 404
    assert client.get(f"/v1/coaching/sessions/{held}", headers=as_(coach)).status_code == 404
    assert client.get("/v1/coaching/enrolments", headers=as_(coach)).json()["items"] == []
    # The coachee still reads their record but can schedule nothing more on it.
    mine = client.get(f"/v1/coaching/sessions/{held}", headers=as_(org["senior"]))
    assert mine.status_code == 200
    again = _schedule(client, as_(org["senior"]), enrolment)
    assert again.status_code == 409 and again.json()["type"] == "/problems/enrolment-withdrawn"
    assert client.post(url, headers=as_(org["admin"])).status_code == 200  # idempotent
    assert len(db.exec(select(AuditEntry).where(
        AuditEntry.action == "coaching.enrolment.withdraw")).all()) == 1
    assert client.post("/v1/coaching/enrolments/999999/withdraw",
                       headers=as_(org["admin"])).status_code == 404


# --- sessions ---------------------------------------------------------------------------------


def test_coach_and_coachee_schedule_sessions_others_cannot(client, org, as_, enrolled, coach):
    enrolment = enrolled["senior"]["id"]
    by_coach = _schedule(client, as_(coach), enrolment, topics=["Self-confidence"])
    assert by_coach.status_code == 201, by_coach.text
    body = by_coach.json()
    assert body["status"] == "scheduled" and body["topics"] == ["Self-confidence"]
    assert body["scheduled_for"] == "2026-10-07T09:00:00Z"  # stored in UTC
    assert (body["coachee_id"], body["coach_id"]) == (org["senior"].id, coach.id)
    assert by_coach.headers["location"].endswith(f"/v1/coaching/sessions/{body['id']}")
    assert by_coach.headers["etag"] == f'"coaching-session-{body["id"]}-v1"'
    assert _schedule(client, as_(org["senior"]), enrolment).status_code == 201
    for reader in ("principal", "head"):  # they may read the coaching record, not write it
        answer = _schedule(client, as_(org[reader]), enrolment)
        assert answer.status_code == 403, reader
        assert answer.headers["content-type"] == PROBLEM
    for outsider in ("admin", "dev", "other_senior"):
        assert _schedule(client, as_(org[outsider]), enrolment).status_code == 404, outsider
    assert _schedule(client, as_(coach), 999999).status_code == 404


def test_coaching_one_person_does_not_reach_their_other_enrolments(client, org, as_, coach,
                                                                  enrolled):
    admin = as_(org["admin"])
    other = _programme(client, admin, name="Second programme").json()["id"]
    second = _enrol(client, admin, other, org["senior"], org["other_senior"]).json()["id"]
    assert client.get(f"/v1/coaching/enrolments/{second}", headers=as_(coach)).status_code == 404
    assert _schedule(client, as_(coach), second).status_code == 404


@pytest.mark.parametrize("when", ["2026-10-07T10:00:00", "2026-10-07", 1791363600,
                                  "1999-12-31T10:00:00Z", "next tuesday"])
def test_session_times_are_rfc3339_with_an_offset(client, org, as_, enrolled, when):
    answer = _schedule(client, as_(org["senior"]), enrolled["senior"]["id"], when)
    assert answer.status_code == 422, when
    assert [e["field"] for e in answer.json()["errors"]] == ["scheduled_for"]


def test_a_session_is_held_or_cancelled_once(client, org, as_, enrolled, coach):
    created = _schedule(client, as_(coach), enrolled["senior"]["id"])
    url = created.headers["location"]
    mine = as_(org["senior"])
    assert client.patch(url, headers=mine, json={"status": "held"}).status_code == 428
    held = client.patch(url, headers={**mine, "If-Match": created.headers["etag"]},
                        json={"status": "held", "topics": ["Critical thinking"],
                              "notes": "Talked through the design review."})
    assert held.status_code == 200, held.text
    assert held.json()["status"] == "held" and held.json()["topics"] == ["Critical thinking"]
    assert held.headers["etag"].endswith('-v2"')
    stale = client.patch(url, headers={**mine, "If-Match": created.headers["etag"]},
                         json={"notes": "x"})
    assert stale.status_code == 412
    back = _patch(client, mine, url, {"status": "scheduled"})
    assert back.status_code == 409 and back.headers["content-type"] == PROBLEM
    assert "held" in back.json()["detail"] and back.json()["session_status"] == "held"
    assert _patch(client, as_(coach), url, {"status": "cancelled"}).status_code == 409
    moved = _patch(client, as_(coach), url, {"scheduled_for": "2026-12-01T10:00:00Z"})
    assert moved.status_code == 409
    notes = _patch(client, as_(coach), url, {"notes": "Follow up on confidence.",
                                             "status": "held"})
    assert notes.status_code == 200 and notes.json()["notes"] == "Follow up on confidence."
    assert client.get(url, headers=mine).json()["status"] == "held"


def test_a_cancelled_session_cannot_be_rescheduled(client, org, as_, enrolled):
    mine = as_(org["senior"])
    url = _schedule(client, mine, enrolled["senior"]["id"]).headers["location"]
    moved = _patch(client, mine, url, {"scheduled_for": "2026-10-14T10:00:00+01:00"})
    assert moved.status_code == 200 and moved.json()["scheduled_for"] == "2026-10-14T09:00:00Z"
    assert _patch(client, mine, url, {"status": "cancelled"}).status_code == 200
    back = _patch(client, mine, url, {"status": "scheduled"})
    assert back.status_code == 409 and "cancelled" in back.json()["detail"]


def test_session_notes_are_for_coach_and_coachee_only(client, org, as_, enrolled, coach):
    created = _schedule(client, as_(coach), enrolled["senior"]["id"], topics=["Self-knowledge"])
    url = created.headers["location"]
    assert _patch(client, as_(coach), url, {"notes": "Private reflections"}).status_code == 200
    for participant in (coach, org["senior"]):
        body = client.get(url, headers=as_(participant)).json()
        assert (body["notes"], body["notes_visible"]) == ("Private reflections", True)
    for chain in ("principal", "head"):
        answer = client.get(url, headers=as_(org[chain]))
        assert answer.status_code == 200, chain
        body = answer.json()
        assert (body["notes"], body["notes_visible"]) == (None, False), chain
        assert body["topics"] == ["Self-knowledge"]
        refused = _patch(client, as_(org[chain]), url, {"notes": "mine"})
        assert refused.status_code == 403, chain
    for outsider in ("admin", "dev", "other_senior"):
        assert client.get(url, headers=as_(org[outsider])).status_code == 404, outsider


def test_sessions_are_listed_for_readers_of_the_enrolment(client, org, as_, enrolled, coach):
    enrolment = enrolled["senior"]["id"]
    ids = [_schedule(client, as_(coach), enrolment, f"2026-10-1{d}T09:00:00Z").json()["id"]
           for d in range(3)]
    _patch(client, as_(coach), f"/v1/coaching/sessions/{ids[0]}", {"notes": "secret"})
    url = f"/v1/coaching/sessions?enrolment_id={enrolment}"
    mine = client.get(url, headers=as_(org["senior"])).json()["items"]
    assert [s["id"] for s in mine] == ids and mine[0]["notes"] == "secret"
    theirs = client.get(url, headers=as_(org["principal"])).json()["items"]
    assert [s["id"] for s in theirs] == ids and all(s["notes"] is None for s in theirs)
    for outsider in ("admin", "dev", "other_senior"):
        assert client.get(url, headers=as_(org[outsider])).status_code == 404, outsider
    assert client.get("/v1/coaching/sessions", headers=as_(org["senior"])).status_code == 422
    page = client.get(f"{url}&limit=2", headers=as_(coach)).json()
    assert len(page["items"]) == 2 and page["next_cursor"]


def test_session_input_is_checked(client, org, as_, enrolled):
    mine = as_(org["senior"])
    enrolment = enrolled["senior"]["id"]
    for body in ({"topics": ["x" * 201]}, {"topics": ["t"] * 21}, {"status": "scheduled"},
                 {"notes": "x"}, {"enrolment_id": str(enrolment)}):
        answer = client.post("/v1/coaching/sessions", headers=mine, json={
            "enrolment_id": enrolment, "scheduled_for": "2026-10-07T10:00:00Z", **body})
        assert answer.status_code == 422, body
    url = _schedule(client, mine, enrolment).headers["location"]
    for change in ({"status": "postponed"}, {"status": None}, {"notes": "x" * 4001},
                   {"coach_id": 1}):
        assert _patch(client, mine, url, change).status_code == 422, change


# --- the policy's first programme -------------------------------------------------------------


@pytest.mark.parametrize("today, starts_on, ends_on", [
    (date(2026, 9, 30), date(2025, 10, 1), date(2026, 4, 30)),
    (date(2026, 10, 1), date(2026, 10, 1), date(2027, 4, 30)),
    (date(2027, 1, 15), date(2026, 10, 1), date(2027, 4, 30)),
])
def test_the_first_programme_is_seeded_once_per_academic_year(db, today, starts_on, ends_on):
    programme = seed_first_programme(db, today=today)
    assert (programme.starts_on, programme.ends_on) == (starts_on, ends_on)
    assert programme.cohort_bands == ["8a"]
    assert (programme.planned_sessions, programme.session_minutes) == (6, 60)
    assert programme.planned_content == list(FIRST_PROGRAMME_CONTENT)
    assert len(programme.planned_content) == 5
    again = seed_first_programme(db, today=today)
    assert again.id == programme.id
    assert len(db.exec(select(CoachingProgramme)).all()) == 1


def test_the_seeded_programme_takes_senior_developers(client, org, as_, db, coach):
    programme = seed_first_programme(db)
    db.commit()
    admin = as_(org["admin"])
    assert _enrol(client, admin, programme.id, org["senior"], coach).status_code == 201
    assert _rule(_enrol(client, admin, programme.id, org["principal"], coach)) == \
        "COACHING-COHORT"

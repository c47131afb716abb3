"""The calendar: the programme's key dates and a person's own meetings, as JSON for the
signed-in person and as an iCalendar feed behind a secret link that can be rotated."""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, date, datetime, time, timedelta

import icalendar
import pytest
from sqlmodel import select

from app.db.growth import CoachingEnrolment, CoachingProgramme, CoachingSession, OneToOne
from app.db.models import id_of
from app.db.oversight import CalendarLink, PolicyConsultation

PROBLEM = "application/problem+json"


def _by_uid(events):
    return {e["uid"]: e for e in events}


def _calendar(client, headers, **params):
    answer = client.get("/v1/calendar", headers=headers, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _meetings(db, org, *, today=None):
    """A held one-to-one and a coaching session for Dev; the same for Other dev."""
    today = today or date.today()
    programme = CoachingProgramme(name="Senior developer coaching — première cohorte " * 2,
                                  cohort_bands=["8a"], starts_on=today - timedelta(days=30),
                                  ends_on=today + timedelta(days=150), planned_sessions=6,
                                  session_minutes=45, planned_content=["Coaching basics"])
    db.add(programme)
    db.commit()
    made = {}
    for who, manager, coach in (("dev", "senior", "principal"),
                                ("other_dev", "other_senior", "head")):
        one = OneToOne(person_id=org[who].id, manager_id=org[manager].id,
                       on=today + timedelta(days=3), status="held",
                       notes=f"PRIVATE one-to-one notes of {who}")
        enrolment = CoachingEnrolment(programme_id=id_of(programme), coachee_id=org[who].id,
                                      coach_id=org[coach].id)
        db.add(one)
        db.add(enrolment)
        db.commit()
        coaching = CoachingSession(
            enrolment_id=id_of(enrolment), status="scheduled", topics=[f"PRIVATE topic of {who}"],
            notes=f"PRIVATE coaching notes of {who}",
            scheduled_for=datetime.combine(today + timedelta(days=10), time(9, 30), UTC))
        db.add(coaching)
        db.commit()
        made[who] = (one, coaching)
    return made


# --- JSON --------------------------------------------------------------------------------


def test_the_programme_key_dates_in_a_quarter(client, org, as_):
    body = _calendar(client, as_(org["dev"]), **{"from": "2026-01-01", "to": "2026-04-10"})
    assert (body["from"], body["to"]) == ("2026-01-01", "2026-04-10")
    events = _by_uid(body["events"])
    setting = events["objective-setting-2026-Q1@gps"]
    # The first two weeks of the quarter, all day, the end exclusive.
    assert (setting["start"], setting["end"], setting["all_day"], setting["kind"]) == \
        ("2026-01-01", "2026-01-15", True, "objective_setting")
    assert events["check-in-mid-2026-Q1@gps"]["start"] == "2026-02-13"  # mid-quarter, a Friday
    assert events["check-in-late-2026-Q1@gps"]["start"] == "2026-03-17"  # two weeks before end
    record = events["corporate-system-2026-Q1@gps"]
    assert (record["start"], record["end"], record["kind"]) == \
        ("2026-03-31", "2026-04-01", "corporate_system_deadline")
    assert "corporate system" in record["description"]
    assert events["evaluation-quarter-2026-Q1@gps"]["start"] == "2026-04-01"
    review = events["policy-review-2026@gps"]
    assert review["start"] == "2026-04-01" and "ratcheted up" in review["description"]
    weekly = sorted(e["start"] for e in body["events"] if e["uid"].startswith("evaluation-week"))
    assert weekly[0] == "2026-01-05" and weekly[-1] == "2026-04-06" and len(weekly) == 14
    assert all(date.fromisoformat(d).weekday() == 0 for d in weekly)
    assert events["evaluation-week-2026-W01@gps"]["start"] == "2026-01-05"
    # Sorted by start, and every event overlaps the window.
    starts = [e["start"][:10] for e in body["events"]]
    assert starts == sorted(starts)
    assert all(e["end"][:10] > "2026-01-01" and e["start"][:10] <= "2026-04-10"
               for e in body["events"])


def test_deadlines_that_fall_at_a_weekend_move_to_a_working_day(client, org, as_):
    # 2023-12-31 is a Sunday; 2024-01-01 the Monday after.
    events = _by_uid(_calendar(client, as_(org["dev"]), **{"from": "2023-12-01",
                                                          "to": "2024-01-10"})["events"])
    assert events["corporate-system-2023-Q4@gps"]["start"] == "2023-12-29"
    assert events["evaluation-quarter-2023-Q4@gps"]["start"] == "2024-01-01"
    assert events["check-in-late-2023-Q4@gps"]["start"] == "2023-12-15"  # 17th is a Sunday


def test_the_default_window_is_the_next_90_days(client, org, as_):
    body = _calendar(client, as_(org["dev"]))
    today = date.today()
    assert body["from"] == today.isoformat()
    assert body["to"] == (today + timedelta(days=90)).isoformat()
    assert {"evaluation", "objective_setting"} <= {e["kind"] for e in body["events"]}
    only_from = _calendar(client, as_(org["dev"]), **{"from": "2026-02-01"})
    assert only_from["to"] == "2026-05-02"


def test_my_meetings_are_in_my_calendar_without_their_notes(client, db, org, as_):
    made = _meetings(db, org)
    body = _calendar(client, as_(org["dev"]))
    events = _by_uid(body["events"])
    one, coaching = made["dev"]
    assert events[f"one-to-one-{one.id}@gps"]["title"] == "One-to-one with Senior"
    session_event = events[f"coaching-session-{coaching.id}@gps"]
    assert session_event["title"] == "Coaching session with Principal"
    assert session_event["all_day"] is False
    assert session_event["start"].startswith((date.today() + timedelta(days=10)).isoformat()
                                             + "T09:30:00")
    assert datetime.fromisoformat(session_event["end"]) - \
        datetime.fromisoformat(session_event["start"]) == timedelta(minutes=45)
    other_one, other_coaching = made["other_dev"]
    assert f"one-to-one-{other_one.id}@gps" not in events
    assert f"coaching-session-{other_coaching.id}@gps" not in events
    assert "PRIVATE" not in str(body)
    # The manager and the coach see the same meetings from their side.
    senior = _by_uid(_calendar(client, as_(org["senior"]))["events"])
    assert senior[f"one-to-one-{one.id}@gps"]["title"] == "One-to-one with Dev"
    coach = _by_uid(_calendar(client, as_(org["principal"]))["events"])
    assert coach[f"coaching-session-{coaching.id}@gps"]["title"] == "Coaching Dev"
    assert f"one-to-one-{one.id}@gps" not in coach  # the chain: not their meeting


def test_cancelled_meetings_leave_the_calendar(client, db, org, as_):
    made = _meetings(db, org)
    one, coaching = made["dev"]
    one.status, coaching.status = "cancelled", "cancelled"
    db.add(one)
    db.add(coaching)
    db.commit()
    events = _by_uid(_calendar(client, as_(org["dev"]))["events"])
    assert f"one-to-one-{one.id}@gps" not in events
    assert f"coaching-session-{coaching.id}@gps" not in events


def test_open_consultations_are_in_everyones_calendar(client, db, org, as_):
    [version_id] = [v["id"] for v in client.get("/v1/policies",
                                                headers=as_(org["dev"])).json()["items"]]
    opens = datetime.combine(date.today() + timedelta(days=5), time(12), UTC)
    db.add(PolicyConsultation(policy_version_id=version_id, opens_at=opens,
                              closes_at=opens + timedelta(days=30)))
    db.commit()
    [event] = [e for e in _calendar(client, as_(org["peer"]))["events"]
               if e["kind"] == "consultation"]
    assert event["all_day"] is False and event["title"].startswith("Consultation open")
    assert datetime.fromisoformat(event["end"]) - datetime.fromisoformat(event["start"]) == \
        timedelta(days=30)


@pytest.mark.parametrize("params, field", [
    ({"from": "2026-03-01", "to": "2026-02-01"}, "to"),
    ({"from": "2026-01-01", "to": "2027-02-06"}, "to"),  # 401 days
    ({"from": "2026-13-01"}, "from"),
    ({"from": "0"}, "from"),
    ({"to": "yesterday"}, "to"),
    ({"from": "1999-12-01", "to": "2000-01-10"}, "from"),
    ({"from": "9999-12-31"}, "from"),
    ({"from": "2100-12-01", "to": "2101-01-10"}, "to"),
])
def test_bad_ranges_are_422(client, org, as_, params, field):
    answer = client.get("/v1/calendar", headers=as_(org["dev"]), params=params)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == PROBLEM
    problem = answer.json()
    assert problem.get("field") == field or field in {e["field"] for e in problem.get("errors", [])}


def test_400_days_is_the_longest_range(client, org, as_):
    body = _calendar(client, as_(org["dev"]), **{"from": "2026-01-01", "to": "2027-02-05"})
    assert (body["from"], body["to"]) == ("2026-01-01", "2027-02-05")
    assert {e["uid"] for e in body["events"]} >= {"policy-review-2026@gps",
                                                  "objective-setting-2027-Q1@gps"}


def test_the_calendar_needs_a_signed_in_person(client):
    assert client.get("/v1/calendar").status_code == 401
    assert client.post("/v1/calendar/link").status_code == 401
    assert client.delete("/v1/calendar/link").status_code == 401


# --- the secret link and the iCalendar feed ---------------------------------------------


def _link(client, headers):
    answer = client.post("/v1/calendar/link", headers=headers)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["url"] == f"/v1/calendar.ics?token={body['token']}"
    return body


def _feed(client, token):
    return client.get("/v1/calendar.ics", params={"token": token})


def _unfolded_lines(raw: bytes) -> list[str]:
    return raw.decode("utf-8").replace("\r\n ", "").split("\r\n")


def test_the_feed_is_valid_icalendar_with_my_meetings(client, db, org, as_):
    made = _meetings(db, org)
    link = _link(client, as_(org["dev"]))
    answer = client.get(link["url"])
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
    raw = answer.content

    # RFC 5545 3.1: CRLF line endings, lines folded at 75 octets.
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    lines = raw.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in lines)
    assert any(line.startswith(b" ") for line in lines)  # something was long enough to fold
    raw.decode("utf-8")  # folding never splits a UTF-8 character

    calendar = icalendar.Calendar.from_ical(raw)
    assert str(calendar["VERSION"]) == "2.0" and str(calendar["CALSCALE"]) == "GREGORIAN"
    assert str(calendar["METHOD"]) == "PUBLISH" and calendar["PRODID"]
    assert str(calendar["X-WR-CALNAME"]) == "GPS: Dev"
    events = list(calendar.walk("VEVENT"))
    assert len(events) > 50  # 60 days back to a year ahead: weekly evaluations alone are 60+
    uids = [str(e["UID"]) for e in events]
    assert len(uids) == len(set(uids))
    for event in events:
        for name in ("DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "DESCRIPTION"):
            assert name in event, (name, event)
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert end > start
        assert type(start) is type(end)
        if not isinstance(start, datetime):
            assert event["DTSTART"].params.get("VALUE") == "DATE"
    by_uid = {str(e["UID"]): e for e in events}
    one, coaching = made["dev"]
    meeting = by_uid[f"one-to-one-{one.id}@gps"]
    day = date.today() + timedelta(days=3)
    # An all-day event: DTEND is exclusive, the day after.
    assert (meeting.decoded("DTSTART"), meeting.decoded("DTEND")) == \
        (day, day + timedelta(days=1))
    assert str(meeting["SUMMARY"]) == "One-to-one with Senior"
    session_event = by_uid[f"coaching-session-{coaching.id}@gps"]
    assert session_event.decoded("DTSTART") == coaching.scheduled_for
    assert session_event.decoded("DTEND") - session_event.decoded("DTSTART") == \
        timedelta(minutes=45)
    assert "première cohorte" in str(session_event["DESCRIPTION"])  # unfolded intact
    setting = [e for u, e in by_uid.items() if u.startswith("objective-setting-")][0]
    assert setting.decoded("DTEND") - setting.decoded("DTSTART") == timedelta(days=14)
    other_one, other_coaching = made["other_dev"]
    assert f"one-to-one-{other_one.id}@gps" not in by_uid
    assert f"coaching-session-{other_coaching.id}@gps" not in by_uid
    assert b"PRIVATE" not in raw
    # The window: 60 days back, 365 ahead.
    days = [e.decoded("DTSTART") for e in events]
    days = [d.date() if isinstance(d, datetime) else d for d in days]
    assert min(days) >= date.today() - timedelta(days=60 + 14)
    assert max(days) <= date.today() + timedelta(days=365)
    # The same events as the JSON calendar over the same days.
    json_uids = {e["uid"] for e in _calendar(client, as_(org["dev"]), **{
        "from": (date.today() - timedelta(days=60)).isoformat(),
        "to": (date.today() + timedelta(days=340)).isoformat()})["events"]}
    assert json_uids <= set(uids)


def test_text_is_escaped(client, db, org, as_):
    org["senior"].name = "Smith, Jane; \\ the second"
    db.add(org["senior"])
    db.commit()
    one = OneToOne(person_id=org["dev"].id, manager_id=org["senior"].id,
                   on=date.today(), status="held")
    db.add(one)
    db.commit()
    link = _link(client, as_(org["dev"]))
    raw = _feed(client, link["token"]).content
    assert "SUMMARY:One-to-one with Smith\\, Jane\\; \\\\ the second" in _unfolded_lines(raw)
    [event] = [e for e in icalendar.Calendar.from_ical(raw).walk("VEVENT")
               if str(e["UID"]) == f"one-to-one-{one.id}@gps"]
    assert str(event["SUMMARY"]) == "One-to-one with Smith, Jane; \\ the second"


def test_a_rotated_link_stops_working_and_the_new_one_works(client, db, org, as_):
    first = _link(client, as_(org["dev"]))
    assert _feed(client, first["token"]).status_code == 200
    second = _link(client, as_(org["dev"]))
    assert second["token"] != first["token"]
    old = _feed(client, first["token"])
    assert old.status_code == 404 and old.headers["content-type"] == PROBLEM
    assert first["token"] not in old.text
    assert _feed(client, second["token"]).status_code == 200
    # Only the hash is stored.
    [stored] = db.exec(select(CalendarLink)).all()
    assert stored.person_id == org["dev"].id
    assert stored.token_hash == hashlib.sha256(second["token"].encode()).hexdigest()
    assert second["token"] not in stored.token_hash
    # Revoked: gone at once, and revoking again is harmless.
    assert client.delete("/v1/calendar/link", headers=as_(org["dev"])).status_code == 204
    assert _feed(client, second["token"]).status_code == 404
    assert client.delete("/v1/calendar/link", headers=as_(org["dev"])).status_code == 204


def test_each_link_opens_its_owners_calendar_only(client, db, org, as_):
    made = _meetings(db, org)
    mine, theirs = _link(client, as_(org["dev"])), _link(client, as_(org["other_dev"]))
    assert mine["token"] != theirs["token"]
    raw = _feed(client, theirs["token"]).content
    uids = {str(e["UID"]) for e in icalendar.Calendar.from_ical(raw).walk("VEVENT")}
    assert f"one-to-one-{made['other_dev'][0].id}@gps" in uids
    assert f"one-to-one-{made['dev'][0].id}@gps" not in uids
    # Rotating mine leaves theirs working.
    _link(client, as_(org["dev"]))
    assert _feed(client, theirs["token"]).status_code == 200


def test_unknown_missing_and_inactive_links(client, db, org, as_):
    answer = _feed(client, "not-a-real-token")
    assert answer.status_code == 404 and answer.headers["content-type"] == PROBLEM
    missing = client.get("/v1/calendar.ics")
    assert missing.status_code == 401 and missing.headers["content-type"] == PROBLEM
    assert _feed(client, "").status_code == 401
    assert _feed(client, "x" * 5000).status_code == 404
    link = _link(client, as_(org["dev"]))
    org["dev"].active = False
    db.add(org["dev"])
    db.commit()
    assert _feed(client, link["token"]).status_code == 404
    # A bearer token is not a way in either.
    assert client.get("/v1/calendar.ics", headers=as_(org["peer"])).status_code == 401


def test_the_secret_never_reaches_the_logs(client, org, as_, caplog):
    with caplog.at_level(logging.DEBUG):
        link = _link(client, as_(org["dev"]))
        assert _feed(client, link["token"]).status_code == 200
        assert _feed(client, link["token"] + "x").status_code == 404
        assert client.get("/v1/calendar.ics", params={"token": link["token"] + "y" * 300}
                          ).status_code == 404
    # What GPS logs (the test's own HTTP client, httpx, logs the URL it requests: not GPS).
    server = [r for r in caplog.records if not r.name.startswith("httpx")]
    assert any(r.getMessage().startswith("GET /v1/calendar.ics 200") for r in server)
    assert any(r.getMessage().startswith("GET /v1/calendar.ics 404") for r in server)
    for record in server:
        assert link["token"] not in record.getMessage()
        assert link["token"] not in str(record.args)
        assert "token=" not in record.getMessage()

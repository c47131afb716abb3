"""The recognition digest for the head of department's update: the period's recognitions team
by team, without the people who opted out of public praise, as JSON or Markdown; and the
praise preference, which is the person's own choice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.db.support import Intervention
from app.db.types import utcnow
from app.services.support import interventions
from tests.api.test_interventions import new_trigger
from tests.factories import new_team

PROBLEM = "application/problem+json"
URL = "/v1/digests/recognition"
NOVEMBER = f"{URL}?from=2026-11-01&to=2026-11-30"
MARKDOWN = {"Accept": "text/markdown"}


def _at(day, hour=10, minute=0, second=0, month=11):
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


def recognised(db, who, summary, when, rule="objective_completed"):
    trigger = new_trigger(db, who, direction="positive", rule=rule, summary=summary,
                          fired_at=when)
    made = interventions.recognise(db, trigger=trigger, person=who)
    db.commit()
    return made


def by_hand(db, who, summary, when, *, kind="recognition", status="completed", by=None):
    row = Intervention(person_id=who.id, kind=kind, status=status, summary=summary,
                       created_by_id=by.id if by else None, completed_at=when)
    db.add(row)
    db.commit()
    return row


def _opt_out(client, as_, who, opt_out=True):
    answer = client.put(f"/v1/people/{who.id}/praise-preference", headers=as_(who),
                        json={"opt_out": opt_out})
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.fixture
def head(org, as_):
    return as_(org["head"])


@pytest.fixture
def november(db, org, new_team_pair, client, as_):
    """A month of good news: Dev is in two teams, Senior in none, Peer opted out."""
    dev, peer, other_dev, senior = org["dev"], org["peer"], org["other_dev"], org["senior"]
    recognised(db, dev, "completed the objective “Faster booking search” (2026-Q4)", _at(3))
    recognised(db, peer, "shipped to production 3 sprints in a row", _at(10),
               rule="production_streak")
    recognised(db, other_dev, "obtained a qualification: AWS Solutions Architect", _at(12),
               rule="qualification_obtained")
    by_hand(db, senior, "Ran the accessibility audit with great care", _at(20), by=org["principal"])
    recognised(db, dev, "shipped to production 3 sprints in a row", _at(30, 23, 59, 59),
               rule="production_streak")
    # Outside the month, or not recognition: left out.
    recognised(db, dev, "met every target in 2026-Q3", _at(31, 23, 59, 59, month=10),
               rule="quarter_all_met")
    recognised(db, other_dev, "completed the objective “Too late” (2026-Q4)",
               datetime(2026, 12, 1, tzinfo=UTC))
    by_hand(db, dev, "Pairing with Peer", _at(15), kind="pairing", by=senior)
    by_hand(db, other_dev, "Not yet", None, status="proposed", kind="coaching")
    _opt_out(client, as_, peer)
    return new_team_pair


@pytest.fixture
def new_team_pair(db, org):
    booking = new_team(db, members=[org["dev"], org["other_dev"]], name="Booking")
    appointments = new_team(db, members=[org["dev"], org["peer"]], name="Appointments")
    return {"appointments": appointments, "booking": booking}


def test_the_digest_lists_the_months_recognitions_team_by_team(client, org, head, november):
    answer = client.get(NOVEMBER, headers=head)
    assert answer.status_code == 200 and answer.headers["vary"] == "Accept"
    body = answer.json()
    assert (body["from"], body["to"], body["total"]) == ("2026-11-01", "2026-11-30", 4)

    def entry(who, summary, rule, on):
        return {"person_id": org[who].id, "name": org[who].name, "summary": summary,
                "rule": rule, "on": on}

    objective = entry("dev", "completed the objective “Faster booking search” (2026-Q4)",
                      "objective_completed", "2026-11-03")
    streak = entry("dev", "shipped to production 3 sprints in a row", "production_streak",
                   "2026-11-30")
    assert body["teams"] == [
        {"team_id": november["appointments"].id, "team_name": "Appointments",
         "recognitions": [objective, streak]},
        {"team_id": november["booking"].id, "team_name": "Booking",
         "recognitions": [objective, entry("other_dev", "obtained a qualification: AWS "
                                           "Solutions Architect", "qualification_obtained",
                                           "2026-11-12"), streak]},
        {"team_id": None, "team_name": "Across the department",
         "recognitions": [entry("senior", "Ran the accessibility audit with great care", None,
                                "2026-11-20")]},
    ]


def test_the_markdown_reads_as_good_news_ready_to_paste(client, org, head, november):
    answer = client.get(NOVEMBER, headers=MARKDOWN | head)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/markdown; charset=utf-8"
    assert answer.headers["vary"] == "Accept"
    assert answer.text == (
        "## Recognition, 1–30 November 2026\n"
        "\n"
        "In **Appointments**, Dev completed the objective “Faster booking search” (2026-Q4) "
        "and shipped to production 3 sprints in a row.\n"
        "\n"
        "In **Booking**, Dev completed the objective “Faster booking search” (2026-Q4) and "
        "shipped to production 3 sprints in a row, and Other dev obtained a qualification: "
        "AWS Solutions Architect.\n"
        "\n"
        "Across the department, Senior was recognised for “Ran the accessibility audit with "
        "great care”.\n")
    assert "Peer" not in answer.text


def test_people_who_opted_out_are_left_out_until_they_opt_back_in(client, org, head, db, as_):
    recognised(db, org["peer"], "shipped to production 3 sprints in a row", _at(10),
               rule="production_streak")
    _opt_out(client, as_, org["peer"])
    assert client.get(NOVEMBER, headers=head).json() == {
        "from": "2026-11-01", "to": "2026-11-30", "teams": [], "total": 0}
    # Their recognition is still theirs to see.
    own = client.get("/v1/interventions?kind=recognition", headers=as_(org["peer"])).json()
    assert [i["summary"] for i in own["items"]] == ["shipped to production 3 sprints in a row"]
    assert _opt_out(client, as_, org["peer"], opt_out=False) == {"person_id": org["peer"].id,
                                                                 "opt_out": False}
    assert client.get(NOVEMBER, headers=head).json()["total"] == 1


def test_a_busy_team_reads_in_short_sentences_and_names_are_escaped(client, db, person, head):
    people = [person(name=name) for name in ("Ada", "Ben", "Cy", "Di", "E*d")]
    new_team(db, members=people, name="Payments_2")
    for n, who in enumerate(people, start=1):
        recognised(db, who, "met every target in 2026-Q3", _at(n), rule="quarter_all_met")
    text = client.get(NOVEMBER, headers=MARKDOWN | head).text
    assert text.splitlines()[2] == (
        "In **Payments\\_2**, Ada met every target in 2026-Q3, Ben met every target in 2026-Q3, "
        "and Cy met every target in 2026-Q3. Di met every target in 2026-Q3, and E\\*d met "
        "every target in 2026-Q3.")


@pytest.mark.parametrize(("query", "heading"), [
    ("from=2026-10-03&to=2026-11-01", "## Recognition, 3 October – 1 November 2026"),
    ("from=2026-12-20&to=2027-01-18", "## Recognition, 20 December 2026 – 18 January 2027"),
    ("from=2026-11-05&to=2026-11-05", "## Recognition, 5 November 2026"),
])
def test_an_empty_digest_says_so_kindly(client, head, query, heading):
    text = client.get(f"{URL}?{query}", headers=MARKDOWN | head).text
    assert text == (f"{heading}\n\nNo recognitions to share for this period yet. Completed "
                    "objectives, new qualifications and streaks of shipping to production will "
                    "appear here as they happen.\n")


def test_the_default_range_is_the_last_thirty_days(client, org, head, db):
    now = utcnow()
    recognised(db, org["dev"], "completed the objective “Recent” (2026-Q4)",
               now - timedelta(days=10))
    recognised(db, org["dev"], "completed the objective “Long ago” (2026-Q3)",
               now - timedelta(days=40))
    body = client.get(URL, headers=head).json()
    assert body["to"] == now.date().isoformat()
    assert body["from"] == (now.date() - timedelta(days=29)).isoformat()
    summaries = [r["summary"] for t in body["teams"] for r in t["recognitions"]]
    assert summaries == ["completed the objective “Recent” (2026-Q4)"]


def test_a_line_managers_recognition_appears_in_the_digest(client, org, head, as_):
    made = client.post("/v1/interventions", headers=as_(org["senior"]), json={
        "person_id": org["dev"].id, "kind": "recognition",
        "summary": "calmly led the incident review"})
    assert made.status_code == 201
    text = client.get(URL, headers=MARKDOWN | head).text
    assert "Across the department, Dev calmly led the incident review.\n" in text


@pytest.mark.parametrize("who", ["dev", "senior", "principal", "admin"])
def test_only_the_head_of_department_reads_the_digest(client, org, as_, who):
    answer = client.get(URL, headers=as_(org[who]))
    assert answer.status_code == 403 and answer.headers["content-type"] == PROBLEM
    assert answer.json()["required_scope"] == "digest:read"
    assert client.get(URL).status_code == 401


@pytest.mark.parametrize("query", ["from=0001-01-01&to=9999-12-31", "to=0001-01-05"])
def test_the_widest_ranges_are_answered(client, org, head, db, query):
    recognised(db, org["dev"], "met every target in 2026-Q3", _at(1), rule="quarter_all_met")
    answer = client.get(f"{URL}?{query}", headers=head)
    assert answer.status_code == 200, answer.text
    assert answer.json()["total"] == (1 if "9999" in query else 0)
    assert answer.json()["from"] == "0001-01-01"


@pytest.mark.parametrize("query", [
    "from=2026-11-30&to=2026-11-01", "from=2026-13-01", "to=2026-02-30", "from=20261101",
    "from=1700000000", "to=",
])
def test_a_bad_range_is_a_422(client, head, query):
    answer = client.get(f"{URL}?{query}", headers=head)
    assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM
    if query.startswith("from=2026-11-30"):
        assert answer.json()["rule"] == "DIGEST-RANGE"


def test_the_digest_costs_the_same_statements_however_much_there_is(client, db, org, head,
                                                                      statements):
    new_team(db, members=[org["dev"], org["peer"]], name="Appointments")
    recognised(db, org["dev"], "shipped to production 3 sprints in a row", _at(2),
               rule="production_streak")
    counts = []
    for extra in (0, 20):
        for n in range(extra):
            recognised(db, org["peer" if n % 2 else "other_dev"],
                       f"completed the objective “O{n}” (2026-Q4)", _at(3 + n % 20))
        for accept in ({}, MARKDOWN):
            with statements() as counted:
                answer = client.get(NOVEMBER, headers=accept | head)
            assert answer.status_code == 200
            counts.append(counted.count)
    assert client.get(NOVEMBER, headers=head).json()["total"] == 21
    assert len(set(counts)) == 1, counts


# --- the praise preference --------------------------------------------------------------------


def test_only_the_person_chooses_their_praise_preference(client, org, as_, db):
    url = f"/v1/people/{org['dev'].id}/praise-preference"
    assert client.get(url, headers=as_(org["dev"])).json() == {"person_id": org["dev"].id,
                                                              "opt_out": False}
    for who, status in (("senior", 403), ("principal", 403), ("head", 403), ("peer", 403),
                        ("admin", 403)):
        answer = client.put(url, headers=as_(org[who]), json={"opt_out": True})
        assert answer.status_code == status, who
        assert answer.headers["content-type"] == PROBLEM
    refused = client.put(url, headers=as_(org["senior"]), json={"opt_out": True}).json()
    assert refused["detail"] == ("Only the person themselves chooses whether they are named in "
                                 "the recognition digest.")
    db.refresh(org["dev"])
    assert org["dev"].praise_opt_out is False
    assert _opt_out(client, as_, org["dev"]) == {"person_id": org["dev"].id, "opt_out": True}
    db.refresh(org["dev"])
    assert org["dev"].praise_opt_out is True
    assert client.get(url, headers=as_(org["dev"])).json()["opt_out"] is True
    assert client.put("/v1/people/424242/praise-preference", headers=as_(org["dev"]),
                      json={"opt_out": True}).status_code == 404


def test_the_preference_changes_the_persons_etag_only_when_it_changes(client, org, as_):
    person_url = f"/v1/people/{org['dev'].id}"
    before = client.get(person_url, headers=as_(org["dev"])).headers["etag"]
    _opt_out(client, as_, org["dev"])
    after = client.get(person_url, headers=as_(org["dev"])).headers["etag"]
    _opt_out(client, as_, org["dev"])
    assert before != after == client.get(person_url, headers=as_(org["dev"])).headers["etag"]


@pytest.mark.parametrize("body", [{}, {"opt_out": "yes"}, {"opt_out": 1}, {"opt_out": None},
                                  {"opt_out": True, "name": "x"}])
def test_a_malformed_preference_is_a_422(client, org, as_, body):
    answer = client.put(f"/v1/people/{org['dev'].id}/praise-preference",
                        headers=as_(org["dev"]), json=body)
    assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM

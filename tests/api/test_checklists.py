"""Checklists: which apply to whom, items that tick (and untick) themselves after the matching
API action, hand ticks for manual items, access, and templates versioned like policies."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from app.db.models import Person
from app.db.oversight import ChecklistTemplate, ChecklistTick, DigestView
from app.db.support import Intervention
from app.services.oversight import digest
from tests.factories import new_person

PROBLEM = "application/problem+json"
URL = "/v1/checklists"
WEEK, MONDAY, TUESDAY = "2026-W48", date(2026, 11, 23), date(2026, 11, 24)
NEXT_WEEK = "2026-W49"
MONTH, QUARTER = "2026-10", "2026-Q4"
SEEDED = ["apprentice-buddy", "monthly-head-of-department", "monthly-principal", "new-starter",
          "quarter-start-senior", "weekly-developer", "weekly-line-manager"]


def _lists(client, headers, **params):
    answer = client.get(URL, headers=headers, params=params)
    assert answer.status_code == 200, answer.text
    return {c["situation"]: c for c in answer.json()["checklists"]}


def _item(client, headers, situation, key, **params):
    found = _lists(client, headers, **params)[situation]
    return next(i for i in found["items"] if i["key"] == key)


def _tick(client, headers, situation, key, done=True, **params):
    return client.put(f"{URL}/{situation}/items/{key}", headers=headers, params=params,
                      json={"done": done})


def _evidence(client, headers, **body):
    payload = {"kind": "accomplishment", "occurred_on": TUESDAY.isoformat(),
               "title": "Shipped the appointment reminders", **body}
    answer = client.post("/v1/evidence", headers=headers, json=payload)
    assert answer.status_code == 201, answer.text
    return answer.json()


def _one_to_one(client, headers, person, on=TUESDAY, status="held"):
    answer = client.post("/v1/one-to-ones", headers=headers, json={
        "person_id": person.id, "on": on.isoformat(), "status": status})
    assert answer.status_code == 201, answer.text
    return answer.json()


def _objective(client, headers, person, title="Raise test coverage", quarter=QUARTER):
    answer = client.post("/v1/objectives", headers=headers, json={
        "person_id": person.id, "title": title, "quarter": quarter,
        "twenty_percent_time": True})
    assert answer.status_code == 201, answer.text
    return answer.json()


def _settled(db, *people):
    """Make people long-standing staff (not new starters)."""
    for who in people:
        who.created_at = datetime.now(UTC) - timedelta(days=400)
        db.add(who)
    db.commit()


# --- which checklists apply -----------------------------------------------------------------


def test_each_person_gets_the_checklists_for_their_situation(client, org, as_, db, person):
    _settled(db, *org.values())
    apprentice = person(kind="apprentice", band=None, line_manager=org["senior"],
                        buddy_id=org["peer"].id)
    _settled(db, apprentice)
    expected = {
        "dev": ["weekly-developer"],
        "peer": ["weekly-developer", "apprentice-buddy"],
        "senior": ["weekly-developer", "weekly-line-manager", "quarter-start-senior"],
        "other_senior": ["weekly-developer", "weekly-line-manager", "quarter-start-senior"],
        "principal": ["weekly-developer", "weekly-line-manager", "monthly-principal"],
        "head": ["weekly-line-manager", "monthly-head-of-department"],
        "admin": [],
    }
    for name, situations in expected.items():
        assert list(_lists(client, as_(org[name]))) == situations, name


def test_someone_who_joined_in_the_last_30_days_also_gets_the_new_starter_checklist(
        client, org, as_, db):
    found = _lists(client, as_(org["dev"]))
    assert list(found) == ["weekly-developer", "new-starter"]
    assert found["new-starter"]["period_type"] == "once"
    assert found["new-starter"]["period_key"] == "once"
    org["dev"].created_at = datetime.now(UTC) - timedelta(days=31)
    db.add(org["dev"])
    db.commit()
    assert list(_lists(client, as_(org["dev"]))) == ["weekly-developer"]


def test_by_default_each_checklist_is_for_its_current_period(client, org, as_):
    today = datetime.now(UTC).date()
    found = _lists(client, as_(org["principal"]))
    year, week, _ = today.isocalendar()
    assert found["weekly-developer"]["period_key"] == f"{year}-W{week:02d}"
    assert found["monthly-principal"]["period_key"] == f"{today.year}-{today.month:02d}"
    assert found["weekly-developer"]["template_version"] == 1


def test_a_period_key_or_type_picks_the_checklists_of_that_rhythm(client, org, as_):
    principal = as_(org["principal"])
    assert list(_lists(client, principal, period_key=MONTH)) == ["monthly-principal"]
    assert list(_lists(client, principal, period_type="month")) == ["monthly-principal"]
    weekly = _lists(client, principal, period_key=WEEK)
    assert list(weekly) == ["weekly-developer", "weekly-line-manager"]
    assert weekly["weekly-developer"]["period_start"] == MONDAY.isoformat()
    assert weekly["weekly-developer"]["period_end"] == "2026-11-29"
    senior = _lists(client, as_(org["senior"]), period_key=QUARTER)
    assert list(senior) == ["quarter-start-senior"]
    assert senior["quarter-start-senior"]["period_start"] == "2026-10-01"


@pytest.mark.parametrize("params", [{"period_key": "2026-W60"}, {"period_key": "2026-13"},
                                    {"period_key": "next week"},
                                    {"period_key": WEEK, "period_type": "month"},
                                    {"period_type": "fortnight"}])
def test_a_malformed_or_mismatched_period_is_a_422(client, org, as_, params):
    answer = client.get(URL, headers=as_(org["dev"]), params=params)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == PROBLEM


# --- auto items tick themselves, and untick ------------------------------------------------


def test_logging_an_accomplishment_ticks_the_item_and_deleting_it_unticks_it(client, org, as_):
    dev = as_(org["dev"])
    item = _item(client, dev, "weekly-developer", "accomplishments", period_key=WEEK)
    assert item == {"key": "accomplishments", "text": item["text"], "auto": True,
                    "rule": "accomplishment_logged", "done": False, "source": "auto",
                    "figure": "0 accomplishments logged"}
    evidence = _evidence(client, dev)
    item = _item(client, dev, "weekly-developer", "accomplishments", period_key=WEEK)
    assert item["done"] is True and item["figure"] == "1 accomplishment logged"
    # Another week is not this week.
    assert not _item(client, dev, "weekly-developer", "accomplishments",
                     period_key=NEXT_WEEK)["done"]
    assert client.delete(f"/v1/evidence/{evidence['id']}", headers=dev).status_code == 204
    item = _item(client, dev, "weekly-developer", "accomplishments", period_key=WEEK)
    assert item["done"] is False and item["figure"] == "0 accomplishments logged"


def test_the_current_week_ticks_from_today_s_evidence(client, org, as_):
    dev = as_(org["dev"])
    _evidence(client, dev, occurred_on=datetime.now(UTC).date().isoformat())
    assert _item(client, dev, "weekly-developer", "accomplishments")["done"] is True


def test_two_hours_of_training_in_the_week_ticks_the_training_item(client, org, as_):
    dev = as_(org["dev"])
    _evidence(client, dev, kind="training", hours=1.5, topic="Accessibility",
              title="Accessibility course, part 1")
    item = _item(client, dev, "weekly-developer", "training", period_key=WEEK)
    assert (item["done"], item["figure"]) == (False, "1.5 hours of 2 hours recorded")
    second = _evidence(client, dev, kind="training", hours=0.5, topic="Accessibility",
                       title="Accessibility course, part 2", occurred_on=MONDAY.isoformat())
    item = _item(client, dev, "weekly-developer", "training", period_key=WEEK)
    assert (item["done"], item["figure"]) == (True, "2 hours of 2 hours recorded")
    client.delete(f"/v1/evidence/{second['id']}", headers=dev)
    assert not _item(client, dev, "weekly-developer", "training", period_key=WEEK)["done"]


def test_one_to_ones_tick_the_developer_s_and_the_line_manager_s_items(client, org, as_):
    dev, senior = as_(org["dev"]), as_(org["senior"])
    record = _one_to_one(client, senior, org["dev"])
    assert _item(client, dev, "weekly-developer", "one_to_one", period_key=WEEK)["done"]
    item = _item(client, senior, "weekly-line-manager", "report_one_to_ones", period_key=WEEK)
    assert (item["done"], item["figure"]) == (False, "1 of 2 reports")
    _one_to_one(client, senior, org["peer"], on=MONDAY)
    item = _item(client, senior, "weekly-line-manager", "report_one_to_ones", period_key=WEEK)
    assert (item["done"], item["figure"]) == (True, "2 of 2 reports")
    # Recorded as cancelled after all: no longer held, so both untick.
    changed = client.patch(f"/v1/one-to-ones/{record['id']}",
                           headers={**senior, "If-Match": '*'}, json={"status": "cancelled"})
    assert changed.status_code == 200, changed.text
    assert not _item(client, dev, "weekly-developer", "one_to_one", period_key=WEEK)["done"]
    assert not _item(client, senior, "weekly-line-manager", "report_one_to_ones",
                     period_key=WEEK)["done"]


def test_every_report_logging_accomplishments_ticks_the_line_manager_s_item(client, org, as_):
    senior = as_(org["senior"])
    _evidence(client, as_(org["dev"]))
    item = _item(client, senior, "weekly-line-manager", "report_accomplishments",
                 period_key=WEEK)
    assert (item["done"], item["figure"]) == (False, "1 of 2 reports")
    _evidence(client, as_(org["peer"]))
    assert _item(client, senior, "weekly-line-manager", "report_accomplishments",
                 period_key=WEEK)["done"]


def test_a_check_in_on_an_own_20_percent_objective_ticks_the_item(client, org, as_):
    dev = as_(org["dev"])
    objective = _objective(client, dev, org["dev"])
    assert not _item(client, dev, "weekly-developer", "objective_check_in", period_key=WEEK)["done"]
    answer = client.post(f"/v1/objectives/{objective['id']}/check-ins", headers=dev,
                         json={"on": TUESDAY.isoformat(), "note": "Half the tests written"})
    assert answer.status_code == 201, answer.text
    item = _item(client, dev, "weekly-developer", "objective_check_in", period_key=WEEK)
    assert (item["done"], item["figure"]) == (True, "1 check-in on your 20%-time objectives")


def test_support_left_proposed_for_more_than_a_week_unticks_until_answered(client, org, as_,
                                                                            db):
    senior = as_(org["senior"])
    assert _item(client, senior, "weekly-line-manager", "support_responses",
                 period_key=WEEK)["done"]
    proposal = Intervention(person_id=org["dev"].id, kind="pairing", status="proposed",
                            proposed_to_id=org["senior"].id, summary="Pairing, if it helps",
                            created_by_id=org["senior"].id,
                            created_at=datetime(2026, 11, 10, 9, tzinfo=UTC))
    db.add(proposal)
    db.commit()
    item = _item(client, senior, "weekly-line-manager", "support_responses", period_key=WEEK)
    assert (item["done"], item["figure"]) == (
        False, "1 proposal of support waiting more than 7 days")
    agreed = client.post(f"/v1/interventions/{proposal.id}/agree", headers=as_(org["dev"]))
    assert agreed.status_code == 200, agreed.text
    assert _item(client, senior, "weekly-line-manager", "support_responses",
                 period_key=WEEK)["done"]


def test_quarter_start_items_tick_as_objectives_are_drafted_and_agreed(client, org, as_):
    senior, principal = as_(org["senior"]), as_(org["principal"])
    # Each writes their own objectives; the senior agrees them.
    ids = [_objective(client, as_(who), who, title=f"Objective {n}")["id"]
           for who in (org["dev"], org["peer"]) for n in range(3)]
    found = {i["key"]: i for i in _lists(client, senior, period_key=QUARTER)[
        "quarter-start-senior"]["items"]}
    assert (found["reports_drafted"]["done"], found["reports_drafted"]["figure"]) == (
        True, "2 of 2 reports")
    assert not found["reports_agreed"]["done"]
    for objective_id in ids:
        assert client.post(f"/v1/objectives/{objective_id}/agree",
                           headers=senior).status_code == 200
    assert _item(client, senior, "quarter-start-senior", "reports_agreed",
                 period_key=QUARTER)["done"]
    own = _objective(client, senior, org["senior"])
    item = _item(client, senior, "quarter-start-senior", "own_agreed", period_key=QUARTER)
    assert (item["done"], item["figure"]) == (False, "0 of 1 objective agreed")
    # Sent back for changes, it is still not agreed; rewritten, it is a draft to agree.
    assert client.post(f"/v1/objectives/{own['id']}/request_changes", headers=principal,
                       json={"note": "Name the outcome"}).status_code == 200
    item = _item(client, senior, "quarter-start-senior", "own_agreed", period_key=QUARTER)
    assert (item["done"], item["figure"]) == (False, "0 of 1 objective agreed")
    etag = client.get(f"/v1/objectives/{own['id']}", headers=senior).headers["etag"]
    assert client.patch(f"/v1/objectives/{own['id']}", headers={**senior, "If-Match": etag},
                        json={"quality_dashboard_outcome": "Test coverage"}).status_code == 200
    client.post(f"/v1/objectives/{own['id']}/agree", headers=principal)
    assert _item(client, senior, "quarter-start-senior", "own_agreed", period_key=QUARTER)["done"]
    # Dropping one of a report's three objectives undoes "three drafted".
    dropped = client.post(f"/v1/objectives/{ids[0]}/drop", headers=as_(org["dev"]),
                          json={"reason": "Overtaken"})
    assert dropped.status_code == 200, dropped.text
    item = _item(client, senior, "quarter-start-senior", "reports_drafted", period_key=QUARTER)
    assert (item["done"], item["figure"]) == (False, "1 of 2 reports")


def test_the_principal_s_month_ticks_from_their_seniors_teams(client, org, as_):
    principal = as_(org["principal"])
    reports = {"senior": [org["dev"], org["peer"]], "other_senior": [org["other_dev"]]}
    for name, people in reports.items():
        manager = as_(org[name])
        for who in people:
            objective = _objective(client, as_(who), who, quarter=QUARTER)
            client.post(f"/v1/objectives/{objective['id']}/agree", headers=manager)
    item = _item(client, principal, "monthly-principal", "seniors_objectives", period_key=MONTH)
    assert (item["done"], item["figure"]) == (True, "3 of 3 people")
    # October 2026 has four weeks that start in it: 5, 12, 19 and 26 October.
    mondays = [date(2026, 10, d) for d in (5, 12, 19, 26)]
    for name, people in reports.items():
        for who in people:
            for monday in mondays[:3]:
                _one_to_one(client, as_(org[name]), who, on=monday + timedelta(days=1))
    item = _item(client, principal, "monthly-principal", "seniors_one_to_ones",
                 period_key=MONTH)
    assert item["done"] is False
    assert item["figure"] == "9 of 12 weekly one-to-ones held (3 people, 4 weeks)"
    for name, people in reports.items():
        for who in people:
            _one_to_one(client, as_(org[name]), who, on=mondays[3])
    assert _item(client, principal, "monthly-principal", "seniors_one_to_ones",
                 period_key=MONTH)["done"]


def test_viewing_the_digest_ticks_the_head_of_department_s_item(client, org, as_, db, engine):
    head = as_(org["head"])
    this_month = f"{datetime.now(UTC).year}-{datetime.now(UTC).month:02d}"
    item = _item(client, head, "monthly-head-of-department", "digest", period_key=this_month)
    assert (item["done"], item["figure"]) == (False, "Not viewed yet")
    db.add(DigestView(person_id=org["head"].id, viewed_at=datetime(2026, 10, 3, tzinfo=UTC)))
    db.commit()
    assert _item(client, head, "monthly-head-of-department", "digest", period_key=MONTH)["done"]
    assert not _item(client, head, "monthly-head-of-department", "digest",
                     period_key=this_month)["done"]
    from sqlmodel import Session
    with Session(engine) as session:
        digest.record_view(session, person_id=org["head"].id)
        session.commit()
    assert _item(client, head, "monthly-head-of-department", "digest")["done"]


def test_the_new_starter_checklist_ticks_from_profile_objectives_and_one_to_ones(client, org,
                                                                                  as_, db):
    peer = as_(org["peer"])
    found = {i["key"]: i for i in _lists(client, peer)["new-starter"]["items"]}
    assert found["profile"]["figure"] == "Still to add: Jira account id and GitHub login"
    assert not found["first_objectives"]["done"] and not found["first_one_to_one"]["done"]
    assert _item(client, as_(org["dev"]), "new-starter", "profile")["done"]
    _objective(client, peer, org["peer"])
    _one_to_one(client, as_(org["senior"]), org["peer"])
    found = {i["key"]: i for i in _lists(client, peer)["new-starter"]["items"]}
    assert found["first_objectives"]["done"] and found["first_one_to_one"]["done"]


def test_a_buddy_s_checklist_ticks_when_their_apprentice_logs_accomplishments(client, org,
                                                                              as_, person):
    apprentice = person(kind="apprentice", band=None, line_manager=org["senior"],
                        buddy_id=org["peer"].id)
    peer = as_(org["peer"])
    item = _item(client, peer, "apprentice-buddy", "apprentice_accomplishments", period_key=WEEK)
    assert (item["done"], item["figure"]) == (False, "0 of 1 apprentice")
    _evidence(client, as_(apprentice))
    assert _item(client, peer, "apprentice-buddy", "apprentice_accomplishments",
                 period_key=WEEK)["done"]


# --- hand ticks -----------------------------------------------------------------------------


def test_a_manual_item_is_ticked_by_hand_for_its_period_only(client, org, as_, db):
    principal = as_(org["principal"])
    answer = _tick(client, principal, "monthly-principal", "participation", period_key=MONTH)
    assert answer.status_code == 200, answer.text
    ticked = next(i for i in answer.json()["items"] if i["key"] == "participation")
    assert ticked == {"key": "participation", "text": ticked["text"], "auto": False,
                      "rule": None, "done": True, "source": "hand", "figure": None}
    assert _item(client, principal, "monthly-principal", "participation", period_key=MONTH)["done"]
    assert not _item(client, principal, "monthly-principal", "participation",
                     period_key="2026-09")["done"]
    row = db.exec(select(ChecklistTick)).one()
    assert (row.person_id, row.period_key, row.ticked_by_id) == (
        org["principal"].id, MONTH, org["principal"].id)
    assert _tick(client, principal, "monthly-principal", "participation", done=False,
                 period_key=MONTH).status_code == 200
    assert not _item(client, principal, "monthly-principal", "participation",
                     period_key=MONTH)["done"]
    assert len(db.exec(select(ChecklistTick)).all()) == 1


def test_the_current_period_is_ticked_when_no_key_is_given(client, org, as_):
    head = as_(org["head"])
    assert _tick(client, head, "monthly-head-of-department", "recognitions").status_code == 200
    assert _item(client, head, "monthly-head-of-department", "recognitions")["done"]


def test_an_auto_item_cannot_be_ticked_by_hand(client, org, as_, db):
    answer = _tick(client, as_(org["dev"]), "weekly-developer", "accomplishments",
                   period_key=WEEK)
    assert answer.status_code == 409
    assert answer.headers["content-type"] == PROBLEM
    assert "ticks itself" in answer.json()["detail"]
    assert db.exec(select(ChecklistTick)).all() == []
    # A hand tick left in the table for an auto item changes nothing.
    db.add(ChecklistTick(person_id=org["dev"].id, situation="weekly-developer", period_key=WEEK,
                         item_key="accomplishments", done=True))
    db.commit()
    assert not _item(client, as_(org["dev"]), "weekly-developer", "accomplishments",
                     period_key=WEEK)["done"]


@pytest.mark.parametrize("situation, key", [
    ("monthly-principal", "participation"),  # not the dev's situation
    ("weekly-developer", "no_such_item"),
    ("no-such-situation", "meet"),
])
def test_ticking_what_is_not_on_your_checklists_is_a_404(client, org, as_, situation, key):
    assert _tick(client, as_(org["dev"]), situation, key).status_code == 404


def test_a_tick_needs_a_boolean_and_nothing_else(client, org, as_):
    principal = as_(org["principal"])
    url = f"{URL}/monthly-principal/items/participation"
    for body in ({"done": "yes"}, {}, {"done": True, "person_id": org["dev"].id}):
        assert client.put(url, headers=principal, json=body).status_code == 422
    assert _tick(client, principal, "monthly-principal", "participation",
                 period_key=WEEK).status_code == 422


# --- access -------------------------------------------------------------------------------


@pytest.mark.parametrize("reader, status", [
    ("dev", 200), ("senior", 200), ("principal", 200), ("head", 200),
    ("peer", 403), ("other_senior", 403), ("other_dev", 403), ("admin", 403),
])
def test_self_line_manager_and_chain_read_a_person_s_checklists(client, org, as_, reader,
                                                                 status):
    answer = client.get(URL, headers=as_(org[reader]), params={"person_id": org["dev"].id})
    assert answer.status_code == status
    if status == 200:
        assert answer.json()["person_id"] == org["dev"].id
        assert "weekly-developer" in [c["situation"] for c in answer.json()["checklists"]]


def test_a_manager_sees_hand_ticks_but_ticks_only_their_own(client, org, as_):
    _tick(client, as_(org["principal"]), "monthly-principal", "participation", period_key=MONTH)
    seen = client.get(URL, headers=as_(org["head"]),
                      params={"person_id": org["principal"].id, "period_key": MONTH})
    assert seen.json()["checklists"][0]["items"][2]["done"] is True
    # The head has no monthly-principal checklist of their own to tick.
    assert _tick(client, as_(org["head"]), "monthly-principal", "participation",
                 period_key=MONTH).status_code == 404


def test_an_unknown_person_is_a_404_and_no_token_is_a_401(client, org, as_):
    assert client.get(URL, headers=as_(org["head"]),
                      params={"person_id": 999999}).status_code == 404
    assert client.get(URL).status_code == 401


def test_the_statement_count_does_not_grow_with_the_number_of_reports(client, org, as_, db,
                                                                      statements, person):
    senior = as_(org["senior"])

    def count() -> int:
        with statements() as counted:
            answer = client.get(URL, headers=senior, params={"period_key": WEEK})
        assert answer.status_code == 200
        return counted.count

    _evidence(client, as_(org["dev"]))
    before = count()
    for _ in range(5):
        report = person(band="6", line_manager=org["senior"])
        _evidence(client, as_(report))
        _one_to_one(client, senior, report)
    after = count()
    assert after == before
    figure = _item(client, senior, "weekly-line-manager", "report_accomplishments",
                   period_key=WEEK)["figure"]
    assert figure == "6 of 7 reports"


# --- templates ------------------------------------------------------------------------------


def _template(client, headers, **body):
    payload = {"situation": "weekly-developer", "title": "Your week",
               "period_type": "week", "effective_from": "2026-11-30",
               "items": [{"key": "accomplishments", "text": "Log what you did",
                          "auto": "accomplishment_logged"},
                         {"key": "kindness", "text": "Thank someone who helped you"}], **body}
    return client.post("/v1/checklist-templates", headers=headers, json=payload)


def test_everyone_can_read_the_seeded_templates(client, org, as_):
    answer = client.get("/v1/checklist-templates", headers=as_(org["dev"]))
    assert answer.status_code == 200
    templates = answer.json()["items"]
    assert sorted(t["situation"] for t in templates) == SEEDED
    assert {(t["version"], t["effective_from"]) for t in templates} == {(1, "2021-10-01")}
    weekly = next(t for t in templates if t["situation"] == "weekly-developer")
    assert [i["auto"] for i in weekly["items"]] == [
        "accomplishment_logged", "training_hours", "one_to_one_held", "objective_check_in"]


def test_only_policy_writers_add_template_versions(client, org, as_, db):
    refused = _template(client, as_(org["head"]))
    assert refused.status_code == 403
    assert refused.headers["content-type"] == PROBLEM
    assert len(db.exec(select(ChecklistTemplate)).all()) == len(SEEDED)


def test_a_new_version_is_in_force_for_periods_starting_on_or_after_its_date(client, org, as_,
                                                                              db):
    created = _template(client, as_(org["admin"]))
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["version"], body["created_by_id"]) == (2, org["admin"].id)
    dev = as_(org["dev"])
    this_week = _lists(client, dev, period_key=WEEK)["weekly-developer"]
    assert this_week["template_version"] == 1 and len(this_week["items"]) == 4
    next_week = _lists(client, dev, period_key=NEXT_WEEK)["weekly-developer"]
    assert next_week["template_version"] == 2
    assert [i["key"] for i in next_week["items"]] == ["accomplishments", "kindness"]
    # The new manual item can be ticked by hand in the weeks it is in force, not before.
    assert _tick(client, dev, "weekly-developer", "kindness",
                 period_key=NEXT_WEEK).status_code == 200
    assert _tick(client, dev, "weekly-developer", "kindness",
                 period_key=WEEK).status_code == 404
    # A third version effective earlier than the second wins for periods it covers: the
    # latest version effective on a period's first day is the one in force.
    third = _template(client, as_(org["admin"]), effective_from="2026-11-23",
                      items=[{"key": "only", "text": "One thing", "auto": None}])
    assert third.json()["version"] == 3
    assert _lists(client, dev, period_key=WEEK)["weekly-developer"]["template_version"] == 3
    assert _lists(client, dev, period_key="2026-W47")["weekly-developer"][
        "template_version"] == 1
    versions = client.get("/v1/checklist-templates", headers=dev,
                          params={"situation": "weekly-developer"}).json()["items"]
    assert [v["version"] for v in versions] == [1, 2, 3]


@pytest.mark.parametrize("change, field", [
    ({"items": [{"key": "x", "text": "Magic", "auto": "reads_minds"}]}, "items"),
    ({"situation": "weekly-astronaut"}, "situation"),
    ({"items": [{"key": "a", "text": "One"}, {"key": "a", "text": "Two"}]}, "items"),
    ({"items": []}, "items"),
    ({"period_type": "fortnight"}, "period_type"),
    ({"effective_from": 20261130}, "effective_from"),
    ({"version": 7}, "version"),
])
def test_a_template_with_unknown_rules_or_bad_fields_is_a_422(client, org, as_, db, change,
                                                               field):
    answer = _template(client, as_(org["admin"]), **change)
    assert answer.status_code == 422, answer.text
    assert field in answer.text
    assert len(db.exec(select(ChecklistTemplate)).all()) == len(SEEDED)


def test_applicability_ignores_people_who_have_left(client, org, as_, db):
    _settled(db, *org.values())
    for who in (org["dev"], org["peer"]):
        who.active = False
        db.add(who)
    db.commit()
    assert "weekly-line-manager" not in _lists(client, as_(org["senior"]))
    assert db.get(Person, org["dev"].id) is not None


def test_new_people_get_checklists_without_any_template_work(client, db, as_, org):
    newcomer = new_person(db, band="6", line_manager=org["senior"])
    assert list(_lists(client, as_(newcomer))) == ["weekly-developer", "new-starter"]


def test_reading_the_digest_ticks_the_head_of_departments_monthly_item(client, org, as_):
    head = as_(org["head"])
    month = date.today().strftime("%Y-%m")
    item = _item(client, head, "monthly-head-of-department", "digest", period_key=month,
                 period_type="month")
    assert item["done"] is False
    assert client.get("/v1/digests/recognition", headers=head).status_code == 200
    item = _item(client, head, "monthly-head-of-department", "digest", period_key=month,
                 period_type="month")
    assert item["done"] is True and item["source"] == "auto"

"""Fair in time: nobody is judged on a period that has not ended, or outside their
employment, or with a band or team they did not have then; and every trigger, proposed
support and recognition follows its facts when they change."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import col, select

from app.db.growth import Evidence
from app.db.models import Absence, BandPeriod
from app.db.support import Intervention, TargetResult, Trigger
from tests.api.test_evaluations import _evidence, _run
from tests.factories import CONFIRMED, new_person, new_team


def _triggers(db, person, **where):
    db.expire_all()
    stmt = select(Trigger).where(Trigger.person_id == person.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(Trigger, name) == value)
    return db.exec(stmt.order_by(col(Trigger.id))).all()


def _results(db, person, metric=None):
    db.expire_all()
    stmt = select(TargetResult).where(TargetResult.person_id == person.id)
    if metric:
        stmt = stmt.where(TargetResult.metric == metric)
    return db.exec(stmt.order_by(col(TargetResult.period_start))).all()


def test_a_period_that_has_not_ended_is_refused_with_the_day_it_ends(client, org, as_):
    admin = as_(org["admin"])
    for period_type, key, ends in (("week", "2030-W10", "2030-03-10"),
                                   ("quarter", "2030-Q1", "2030-03-31")):
        answer = client.post("/v1/evaluations", headers=admin,
                             json={"period_type": period_type, "period_key": key})
        assert answer.status_code == 422, answer.text
        problem = answer.json()
        assert problem["rule"] == "PERIOD-NOT-ENDED" and problem["ends_on"] == ends
        assert ends in problem["detail"]
    # The week we are in has not ended either.
    this_week = date.today().isocalendar()
    answer = client.post("/v1/evaluations", headers=admin, json={
        "period_type": "week", "period_key": f"{this_week[0]}-W{this_week[1]:02d}"})
    assert answer.status_code == 422
    assert client.get("/v1/evaluations", headers=admin).json()["items"] == []


def test_someone_added_today_is_not_judged_on_the_weeks_before(client, org, db, as_):
    admin = as_(org["admin"])
    created = client.post("/v1/people", headers=admin, json={
        "name": "New Starter", "email": "new.starter@example.org", "kind": "employee",
        "band": "6", "line_manager_id": org["senior"].id})
    assert created.status_code == 201, created.text
    newcomer = created.json()
    assert newcomer["started_on"] == date.today().isoformat()
    last_weeks = [(date.today() - timedelta(weeks=n)).isocalendar() for n in (3, 2, 1)]
    for year, week, _ in last_weeks:
        _run(client, admin, "week", f"{year}-W{week:02d}")
    new = db.get(type(org["dev"]), newcomer["id"])
    assert _results(db, new) == [] and _triggers(db, new) == []
    # The developers who were there all along were judged (and missed: nothing logged).
    assert {r.outcome for r in _results(db, org["dev"])} == {"missed"}


def test_joining_or_leaving_mid_period_is_not_applicable_for_that_period(client, org, db, as_):
    admin = as_(org["admin"])
    joiner = new_person(db, band="6", line_manager=org["senior"], started_on=date(2026, 11, 25))
    leaver = new_person(db, band="6", line_manager=org["senior"], left_on=date(2026, 11, 26))
    _run(client, admin, "week", "2026-W48")  # 23 to 29 November
    for person in (joiner, leaver):
        assert {r.outcome for r in _results(db, person)} == {"not_applicable"}
    _run(client, admin, "week", "2026-W47")
    assert _results(db, joiner, "training_hours")[-1].period_key == "2026-W48"  # not W47
    assert [r.outcome for r in _results(db, leaver, "training_hours")] == ["missed",
                                                                           "not_applicable"]


def test_a_week_is_judged_with_the_band_the_person_had_then(client, org, db, as_):
    # Dev was outside the banded structure until 1 December, when they became band 7.
    for row in db.exec(select(BandPeriod).where(BandPeriod.person_id == org["dev"].id)):
        db.delete(row)
    db.add(BandPeriod(person_id=org["dev"].id, band=None, kind="employee",
                      started_on=date(2020, 1, 1), ended_on=date(2026, 11, 30)))
    db.add(BandPeriod(person_id=org["dev"].id, band="7", kind="employee",
                      started_on=date(2026, 12, 1)))
    db.commit()
    _run(client, as_(org["admin"]), "week", "2026-W48")
    assert _results(db, org["dev"]) == []  # the targets are for banded developers
    assert _results(db, org["peer"]) != []


def test_changing_band_keeps_the_history(client, org, as_, db):
    admin = as_(org["admin"])
    url = f"/v1/people/{org['peer'].id}"
    etag = client.get(url, headers=admin).headers["etag"]
    changed = client.patch(url, headers={**admin, "If-Match": etag}, json={"band": "7"})
    assert changed.status_code == 200, changed.text
    history = db.exec(select(BandPeriod).where(BandPeriod.person_id == org["peer"].id)
                      .order_by(col(BandPeriod.started_on))).all()
    assert [(h.band, h.ended_on) for h in history] == [
        ("6", date.today() - timedelta(days=1)), ("7", None)]


def test_public_holidays_and_absence_together_excuse_a_week(client, org, db, as_):
    # 2025-W52: Christmas Day and Boxing Day are bank holidays in England (2 of 5 weekdays).
    admin = as_(org["admin"])
    db.add(Absence(confirmed_at=CONFIRMED, person_id=org["dev"].id, kind="leave", start_date=date(2025, 12, 22),
                   end_date=date(2025, 12, 22)))
    db.commit()
    _run(client, admin, "week", "2025-W52")
    assert {r.outcome for r in _results(db, org["dev"])} == {"excused"}  # 3 of 5 days away
    assert {r.outcome for r in _results(db, org["peer"])} == {"missed"}  # 2 of 5: still judged


def test_back_filled_evidence_withdraws_the_trigger_and_its_proposed_support(client, org, db,
                                                                              as_):
    admin, dev, manager = as_(org["admin"]), as_(org["dev"]), as_(org["senior"])
    for key in ("2026-W46", "2026-W47", "2026-W48"):
        _run(client, admin, "week", key)
    [missed] = [t for t in _triggers(db, org["dev"], rule="target_missed_streak")
                if t.details["metric"] == "accomplishments_logged"]
    support = db.exec(select(Intervention).where(Intervention.trigger_id == missed.id)).one()
    assert support.status == "proposed"
    # The developer back-fills what they did in W47, and the week is evaluated again.
    logged = client.post("/v1/evidence", headers=dev, json={
        "kind": "accomplishment", "occurred_on": "2026-11-18", "title": "Paired on the API"})
    assert logged.status_code == 201, logged.text
    _run(client, admin, "week", "2026-W47")
    db.expire_all()
    withdrawn = db.get(Trigger, missed.id)
    assert withdrawn.withdrawn_at is not None
    assert "2026-W47 is now met" in withdrawn.withdrawn_reason
    support = db.get(Intervention, support.id)
    assert support.status == "withdrawn" and support.withdrawn_reason == \
        withdrawn.withdrawn_reason
    # The person and their manager both see it, withdrawn, with the reason.
    for reader in (dev, manager):
        seen = client.get(f"/v1/triggers?person_id={org['dev'].id}", headers=reader).json()
        [item] = [t for t in seen["items"] if t["id"] == missed.id]
        assert item["status"] == "withdrawn" and item["withdrawn_reason"]
    answered = client.post(f"/v1/interventions/{support.id}/agree", headers=dev)
    assert answered.status_code == 409  # nothing to agree to any more
    # The training-hours trigger stood on weeks that are still missed: it stays.
    [training] = [t for t in _triggers(db, org["dev"])
                  if t.details["metric"] == "training_hours"]
    assert training.withdrawn_at is None


def test_support_already_agreed_goes_on_but_shows_its_reason_changed(client, org, db, as_):
    admin, dev = as_(org["admin"]), as_(org["dev"])
    for key in ("2026-W46", "2026-W47", "2026-W48"):
        _run(client, admin, "week", key)
    [missed] = [t for t in _triggers(db, org["dev"])
                if t.details["metric"] == "accomplishments_logged"]
    support = db.exec(select(Intervention).where(Intervention.trigger_id == missed.id)).one()
    assert client.post(f"/v1/interventions/{support.id}/agree", headers=dev).status_code == 200
    _evidence(db, org["dev"], "accomplishment", date(2026, 11, 10))
    _run(client, admin, "week", "2026-W46")
    read = client.get(f"/v1/interventions/{support.id}", headers=dev).json()
    assert read["status"] == "agreed" and read["trigger_withdrawn_at"] is not None
    assert "withdrawn" in read["notes"]


def test_the_same_facts_again_reinstate_the_trigger_rather_than_fire_twice(client, org, db,
                                                                           as_):
    admin = as_(org["admin"])
    for key in ("2026-W46", "2026-W47", "2026-W48"):
        _run(client, admin, "week", key)
    before = {t.id for t in _triggers(db, org["dev"])}
    backfill = _evidence(db, org["dev"], "accomplishment", date(2026, 11, 18))
    _run(client, admin, "week", "2026-W47")
    db.delete(db.get(Evidence, backfill.id))
    db.commit()
    _run(client, admin, "week", "2026-W47")
    after = _triggers(db, org["dev"])
    assert {t.id for t in after} == before and all(t.withdrawn_at is None for t in after)
    [missed] = [t for t in after if t.details["metric"] == "accomplishments_logged"]
    assert missed.details["withdrawals"][0]["reason"]
    assert db.exec(select(Intervention).where(
        Intervention.trigger_id == missed.id)).one().status == "proposed"


def test_a_closed_evaluation_keeps_its_results_and_shows_the_correction(client, org, db, as_):
    admin = as_(org["admin"])
    for key in ("2026-W46", "2026-W47", "2026-W48"):
        evaluation = _run(client, admin, "week", key)
    closed = client.post(f"/v1/evaluations/{evaluation['id']}/close", headers=admin)
    assert closed.status_code == 200
    item = _evidence(db, org["dev"], "accomplishment", date(2026, 11, 25))
    again = _run(client, admin, "week", "2026-W48")
    assert again["status"] == "closed" and again["corrected"] == 1
    assert again["counts"] == closed.json()["counts"]  # as decided
    [result] = _results(db, org["dev"], "accomplishments_logged")[-1:]
    assert result.outcome == "missed"  # frozen
    assert result.correction["outcome"] == "met"
    assert result.correction["evidence_ids"] == [item.id]
    read = client.get(f"/v1/people/{org['dev'].id}/target-results?from=2026-11-23",
                      headers=as_(org["dev"])).json()["items"]
    [shown] = [r for r in read if r["metric"] == "accomplishments_logged"]
    assert shown["outcome"] == "missed" and shown["correction"]["outcome"] == "met"
    # Nothing stands on a fact known to be false: the trigger is withdrawn all the same.
    [missed] = [t for t in _triggers(db, org["dev"])
                if t.details["metric"] == "accomplishments_logged"]
    assert missed.withdrawn_at is not None


def test_two_teams_overlapping_sprints_are_one_timeline(client, org, db, as_):
    admin = as_(org["admin"])
    slots = new_team(db, members=[org["dev"]], name="Slots")
    forms = new_team(db, members=[org["dev"]], name="Forms")
    slots.sprint_anchor_date, forms.sprint_anchor_date = date(2026, 9, 7), date(2026, 9, 9)
    db.add_all([slots, forms])
    db.commit()
    commits = [_evidence(db, org["dev"], "production_change", date(2026, 9, 10) + timedelta(
        weeks=2 * n)) for n in range(3)]
    for team in (slots, forms):
        sprints = client.get(f"/v1/periods?type=sprint&from=2026-09-07&to=2026-10-18"
                             f"&team_id={team.id}", headers=admin).json()
        for sprint in sprints[:3]:
            _run(client, admin, "sprint", sprint["key"])
    [streak] = _triggers(db, org["dev"], rule="production_streak")
    assert sorted(streak.evidence_ids) == sorted(c.id for c in commits)
    assert len(streak.evidence_ids) == len(set(streak.evidence_ids)) == 3
    digest = client.get("/v1/digests/recognition?from=2026-01-01&to=2026-12-31",
                        headers=as_(org["head"])).json()
    assert digest["total"] == 1


def test_a_reopened_objective_and_a_deleted_qualification_leave_the_digest(client, org, db,
                                                                            as_):
    dev, manager, head = as_(org["dev"]), as_(org["senior"]), as_(org["head"])
    objective = client.post("/v1/objectives", headers=dev, json={
        "title": "Ship the new slots", "quarter": "2026-Q4"}).json()
    client.post(f"/v1/objectives/{objective['id']}/agree", headers=manager)
    client.post(f"/v1/objectives/{objective['id']}/complete", headers=dev, json={"note": "done"})
    qualification = client.post("/v1/evidence", headers=dev, json={
        "kind": "qualification", "occurred_on": "2026-11-20", "title": "AWS Architect"}).json()
    assert client.get("/v1/digests/recognition?from=2026-01-01&to=2026-12-31",
                      headers=head).json()["total"] == 2
    client.post(f"/v1/objectives/{objective['id']}/reopen", headers=manager,
                json={"reason": "completed by mistake"})
    assert client.delete(f"/v1/evidence/{qualification['id']}",
                         headers=dev).status_code == 204
    digest = client.get("/v1/digests/recognition?from=2026-01-01&to=2026-12-31", headers=head).json()
    assert digest["total"] == 0
    recognitions = client.get(f"/v1/interventions?person_id={org['dev'].id}&kind=recognition",
                              headers=dev).json()["items"]
    assert {r["status"] for r in recognitions} == {"withdrawn"}
    assert any("completed by mistake" in r["withdrawn_reason"] for r in recognitions)
    # Completing it again is the same fact: the recognition comes back, once.
    client.post(f"/v1/objectives/{objective['id']}/complete", headers=dev, json={"note": "now"})
    assert client.get("/v1/digests/recognition?from=2026-01-01&to=2026-12-31",
                      headers=head).json()["total"] == 1


def test_support_clicked_through_does_not_open_the_gate(client, org, db, as_):
    admin, dev, manager = as_(org["admin"]), as_(org["dev"]), as_(org["senior"])
    case_manager = new_person(db, band=None, roles=["case_manager"], name="Case manager")
    for key in ("2026-W46", "2026-W47", "2026-W48"):
        _run(client, admin, "week", key)
    for support in db.exec(select(Intervention).where(
            Intervention.person_id == org["dev"].id)).all():
        assert client.post(f"/v1/interventions/{support.id}/agree",
                           headers=dev).status_code == 200
        assert client.post(f"/v1/interventions/{support.id}/start",
                           headers=manager).status_code == 200
        assert client.post(f"/v1/interventions/{support.id}/complete", headers=manager,
                           json={"note": "done"}).status_code == 200
    opened = client.post("/v1/cases", headers=as_(case_manager), json={
        "subject_id": org["dev"].id, "kind": "capability", "summary": "Support was tried"})
    assert opened.status_code == 422, opened.text
    problem = opened.json()
    assert problem["rule"] == "CASE-FAIRNESS-GATE"
    assert any("lasted 0 day(s)" in line for line in problem["missing"])


def test_results_name_objectives_as_objectives_and_lists_agree_with_details(client, org, db,
                                                                           as_):
    admin, dev, manager = as_(org["admin"]), as_(org["dev"]), as_(org["senior"])
    objective = client.post("/v1/objectives", headers=dev, json={
        "title": "Raise test coverage", "quarter": "2026-Q3",
        "twenty_percent_time": True}).json()
    client.post(f"/v1/objectives/{objective['id']}/agree", headers=manager)
    client.post(f"/v1/objectives/{objective['id']}/complete", headers=dev, json={"note": "done"})
    evaluation = _run(client, admin, "quarter", "2026-Q3")
    [result] = _results(db, org["dev"], "objectives_completed")
    assert result.objective_ids == [objective["id"]] and result.evidence_ids == []
    listed = client.get("/v1/evaluations", headers=admin).json()["items"]
    detail = client.get(f"/v1/evaluations/{evaluation['id']}", headers=admin).json()
    assert [e["counts"] for e in listed] == [detail["counts"]] == [evaluation["counts"]]
    assert sum(detail["counts"].values()) > 0


def test_a_back_fill_marks_the_week_stale_and_gps_evaluate_stale_takes_it_in(
        client, org, db, as_, database_url):
    import os
    import subprocess
    import sys

    admin, dev = as_(org["admin"]), as_(org["dev"])
    for key in ("2026-W46", "2026-W47", "2026-W48"):
        _run(client, admin, "week", key)
    assert all(e["stale_since"] is None
               for e in client.get("/v1/evaluations", headers=admin).json()["items"])
    client.post("/v1/evidence", headers=dev, json={
        "kind": "accomplishment", "occurred_on": "2026-11-18", "title": "Paired on the API"})
    stale = {e["period_key"]: e["stale_since"]
             for e in client.get("/v1/evaluations", headers=admin).json()["items"]}
    assert stale["2026-W47"] is not None
    assert stale["2026-W46"] is None and stale["2026-W48"] is None
    # A ticket Jira retracted is found by its date, with no mark needed.
    ticket = _evidence(db, org["peer"], "ticket_done", date(2026, 11, 25))
    ticket.source = "jira"
    db.add(ticket)
    db.commit()

    done = subprocess.run([sys.executable, "-m", "app.cli", "evaluate", "--stale"],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "GPS_DATABASE_URL": database_url})
    assert done.returncode == 0, done.stderr
    assert "Evaluated week 2026-W47 (run 2)" in done.stdout
    assert "Evaluated week 2026-W48 (run 2)" in done.stdout
    assert "2026-W46" not in done.stdout
    [missed] = [t for t in _triggers(db, org["dev"])
                if t.details["metric"] == "accomplishments_logged"]
    assert missed.withdrawn_at is not None
    again = subprocess.run([sys.executable, "-m", "app.cli", "evaluate", "--stale"],
                           capture_output=True, text=True, timeout=120,
                           env={**os.environ, "GPS_DATABASE_URL": database_url})
    assert "nothing to do" in again.stdout


def test_self_reported_facts_fall_inside_the_employment_and_have_happened(client, org, db,
                                                                          as_):
    dev, manager = as_(org["dev"]), as_(org["senior"])
    org["dev"].started_on = date(2026, 1, 5)
    db.add(org["dev"])
    db.commit()
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    for day, words in ((tomorrow, "has not come yet"), ("2025-12-31", "before this person")):
        logged = client.post("/v1/evidence", headers=dev, json={
            "kind": "accomplishment", "occurred_on": day, "title": "Did things"})
        assert logged.status_code == 422 and logged.json()["rule"] == "EVIDENCE-DATE"
        assert words in logged.json()["detail"]
        met = client.post("/v1/one-to-ones", headers=manager, json={
            "person_id": org["dev"].id, "on": day, "status": "held"})
        assert met.status_code == 422 and met.json()["rule"] == "ONE-TO-ONE-DATE"
    # A year away from 0001 to 9999 excuses nothing: it is refused.
    forever = client.post("/v1/absences", headers=dev, json={
        "person_id": org["dev"].id, "kind": "leave", "start_date": "0001-01-01",
        "end_date": "9999-12-31"})
    assert forever.status_code == 422
    # Leave planned ahead is fine.
    planned = client.post("/v1/absences", headers=dev, json={
        "person_id": org["dev"].id, "kind": "leave", "start_date": tomorrow,
        "end_date": tomorrow})
    assert planned.status_code == 201, planned.text


def test_a_long_absence_excuses_nothing_until_the_line_manager_confirms_it(client, org, as_,
                                                                          db):
    admin, dev, manager = as_(org["admin"]), as_(org["dev"]), as_(org["senior"])
    # Three weeks of leave, recorded by the developer: longer than the policy's 14 days.
    recorded = client.post("/v1/absences", headers=dev, json={
        "person_id": org["dev"].id, "kind": "leave", "start_date": "2026-11-09",
        "end_date": "2026-11-29"})
    assert recorded.status_code == 201, recorded.text
    absence = recorded.json()
    assert absence["confirmed_at"] is None
    _run(client, admin, "week", "2026-W47")
    assert {r.outcome for r in _results(db, org["dev"])} == {"missed"}
    url = f"/v1/absences/{absence['id']}/confirm"
    own = client.post(url, headers=dev)
    assert own.status_code == 403 and "cannot confirm their own" in own.json()["detail"]
    assert client.post(url, headers=as_(org["peer"])).status_code == 403
    confirmed = client.post(url, headers=manager)
    assert confirmed.status_code == 200 and confirmed.json()["confirmed_by_id"] == \
        org["senior"].id
    assert client.post(url, headers=manager).status_code == 409
    [evaluation] = client.get("/v1/evaluations", headers=admin).json()["items"]
    assert evaluation["stale_since"] is not None
    _run(client, admin, "week", "2026-W47")
    assert {r.outcome for r in _results(db, org["dev"])} == {"excused"}
    # A short absence, or one the line manager records, is confirmed as it is recorded.
    short = client.post("/v1/absences", headers=dev, json={
        "person_id": org["dev"].id, "kind": "sickness", "start_date": "2026-10-05",
        "end_date": "2026-10-06"}).json()
    by_manager = client.post("/v1/absences", headers=manager, json={
        "person_id": org["dev"].id, "kind": "parental", "start_date": "2026-01-05",
        "end_date": "2026-06-30"}).json()
    assert short["confirmed_at"] is not None and by_manager["confirmed_at"] is not None

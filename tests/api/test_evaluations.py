"""Policy versions, periods, evaluations, target results and the triggers they fire."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import col, select

from app.db.growth import Evidence
from app.db.models import Absence, id_of
from app.db.support import FormalCase, Intervention, PolicyVersion, TargetResult, Trigger
from tests.factories import CONFIRMED


def _evidence(db, person, kind, day, **kw):
    item = Evidence(person_id=person.id, kind=kind, source="manual", occurred_on=day,
                    title=kw.pop("title", kind), **kw)
    db.add(item)
    db.commit()
    return item


def _run(client, admin, period_type, key):
    answer = client.post("/v1/evaluations", headers=admin,
                         json={"period_type": period_type, "period_key": key})
    assert answer.status_code == 200, answer.text
    return answer.json()


def _results(db, person, metric=None):
    stmt = select(TargetResult).where(TargetResult.person_id == person.id)
    if metric:
        stmt = stmt.where(TargetResult.metric == metric)
    return db.exec(stmt.order_by(col(TargetResult.period_start), col(TargetResult.metric))).all()


@pytest.fixture
def admin(org, as_):
    return as_(org["admin"])


def test_the_first_policy_is_seeded_by_the_migrations(client, org, as_):
    [policy] = client.get("/v1/policies", headers=as_(org["dev"])).json()["items"]
    assert policy["name"] == "Light start" and policy["effective_to"] is None
    targets = {(t["metric"], t["period"], t["threshold"], t["stretch"]) for t in policy["targets"]}
    assert targets == {("tickets_done", "sprint", 1, False),
                       ("production_changes", "sprint", 1, False),
                       ("training_hours", "week", 2, False),
                       ("accomplishments_logged", "week", 1, False),
                       ("objectives_completed", "quarter", 3, False),
                       ("user_feedback_items", "sprint", 1, True),
                       ("retro_actions_completed", "sprint", 1, True)}


def test_a_week_is_evaluated_with_figures_and_evidence(client, org, db, admin):
    week_start = date(2026, 11, 23)
    logged = _evidence(db, org["dev"], "accomplishment", week_start)
    trained = _evidence(db, org["dev"], "training", week_start, hours=1.5, topic="a11y")
    evaluation = _run(client, admin, "week", "2026-W48")
    assert evaluation["status"] == "open" and evaluation["runs"] == 1
    by_metric = {r.metric: r for r in _results(db, org["dev"])}
    assert by_metric["accomplishments_logged"].outcome == "met"
    assert by_metric["accomplishments_logged"].evidence_ids == [logged.id]
    assert (by_metric["training_hours"].outcome, float(by_metric["training_hours"].measured)) == (
        "missed", 1.5)
    assert by_metric["training_hours"].evidence_ids == [trained.id]
    # Admins (no band) and the targets' other exclusions get no rows at all.
    assert _results(db, org["admin"]) == []


def test_running_it_again_gives_identical_results(client, org, db, admin):
    _evidence(db, org["dev"], "accomplishment", date(2026, 11, 24))
    first = _run(client, admin, "week", "2026-W48")
    before = [(r.person_id, r.metric, r.outcome, r.measured, r.evidence_ids)
              for r in db.exec(select(TargetResult).order_by(col(TargetResult.person_id),
                                                             TargetResult.metric))]
    second = _run(client, admin, "week", "2026-W48")
    after = [(r.person_id, r.metric, r.outcome, r.measured, r.evidence_ids)
             for r in db.exec(select(TargetResult).order_by(col(TargetResult.person_id),
                                                            TargetResult.metric))]
    assert before == after and first["counts"] == second["counts"]
    assert second["runs"] == 2 and second["id"] == first["id"]


def test_absence_excuses_the_week(client, org, db, admin):
    db.add(Absence(person_id=org["dev"].id, kind="sickness", start_date=date(2026, 11, 23),
                   end_date=date(2026, 11, 26), confirmed_at=CONFIRMED))
    db.commit()
    _run(client, admin, "week", "2026-W48")
    assert {r.outcome for r in _results(db, org["dev"])} == {"excused"}


def test_a_closed_period_is_frozen_and_its_policy_cannot_change(client, org, db, admin):
    evaluation = _run(client, admin, "week", "2026-W48")
    closed = client.post(f"/v1/evaluations/{evaluation['id']}/close", headers=admin)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    decided = [(r.person_id, r.metric, r.outcome) for r in _results(db, org["dev"])]
    # Running it again leaves the results as decided; with no facts changed, nothing is
    # corrected beside them.
    again = client.post("/v1/evaluations", headers=admin,
                        json={"period_type": "week", "period_key": "2026-W48"})
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "closed" and again.json()["corrected"] == 0
    assert again.json()["counts"] == closed.json()["counts"]
    db.expire_all()
    assert [(r.person_id, r.metric, r.outcome) for r in _results(db, org["dev"])] == decided
    policy = client.get("/v1/policies", headers=admin).json()["items"][0]
    assert policy["locked"] is True
    url = f"/v1/policies/{policy['id']}"
    etag = client.get(url, headers=admin).headers["etag"]
    edit = client.patch(url, headers={**admin, "If-Match": etag}, json={"missed_streak_periods": 2})
    assert edit.status_code == 409 and "create a new version" in edit.json()["detail"]


def test_a_new_version_ends_the_current_one_and_overlaps_are_refused(client, org, db, admin):
    new = client.post("/v1/policies", headers=admin, json={
        "name": "Ratchet 2027", "effective_from": "2027-04-01", "targets": [
            {"metric": "training_hours", "period": "week", "threshold": 3}]})
    assert new.status_code == 201, new.text
    listed = {p["name"]: p for p in client.get("/v1/policies", headers=admin).json()["items"]}
    assert listed["Light start"]["effective_to"] == "2027-03-31"
    overlap = client.post("/v1/policies", headers=admin, json={
        "name": "Clash", "effective_from": "2027-01-01", "effective_to": "2027-06-30"})
    assert overlap.status_code == 422 and overlap.json()["rule"] == "POLICY-OVERLAP"
    assert "Ratchet 2027" in overlap.json()["detail"] or "Light start" in overlap.json()["detail"]
    assert client.post("/v1/policies", headers=as_dev(client, org),
                       json={"name": "Mine", "effective_from": "2030-01-01"}).status_code == 403


def as_dev(client, org):
    from tests.factories import bearer
    return bearer(client.app.state.settings, org["dev"])


def test_k_misses_in_a_row_propose_support_and_never_open_a_case(client, org, db, admin):
    for key in ("2026-W46", "2026-W47", "2026-W48"):
        _run(client, admin, "week", key)
    negative = db.exec(select(Trigger).where(Trigger.person_id == org["dev"].id,
                                             Trigger.direction == "negative")).all()
    assert sorted(t.details["metric"] for t in negative) == ["accomplishments_logged",
                                                             "training_hours"]
    assert all(t.policy_version_id for t in negative)
    proposed = db.exec(select(Intervention).where(Intervention.person_id == org["dev"].id)).all()
    assert len(proposed) == 2 and {i.status for i in proposed} == {"proposed"}
    assert {i.proposed_to_id for i in proposed} == {org["senior"].id}
    assert db.exec(select(FormalCase)).all() == []
    # The same facts never fire twice.
    _run(client, admin, "week", "2026-W48")
    assert len(db.exec(select(Trigger).where(Trigger.person_id == org["dev"].id)).all()) == 2


def test_an_excused_week_neither_breaks_nor_extends_a_run(client, org, db, admin):
    db.add(Absence(person_id=org["dev"].id, kind="leave", start_date=date(2026, 11, 9),
                   end_date=date(2026, 11, 13), confirmed_at=CONFIRMED))
    db.commit()
    for key in ("2026-W45", "2026-W46", "2026-W47"):
        _run(client, admin, "week", key)
    fired = db.exec(select(Trigger).where(Trigger.person_id == org["dev"].id)).all()
    assert fired == []  # only two counted misses
    _run(client, admin, "week", "2026-W48")
    fired = db.exec(select(Trigger).where(Trigger.person_id == org["dev"].id)).all()
    assert {t.details["periods"][0] for t in fired} == {"2026-W45"}
    assert all(t.details["periods"] == ["2026-W45", "2026-W47", "2026-W48"] for t in fired)


def test_three_sprints_shipping_to_production_is_recognised(client, org, db, admin, as_):
    team = client.post("/v1/teams", headers=admin, json={
        "name": "Slots", "member_ids": [org["dev"].id, org["peer"].id],
        "members_since": "2026-01-05", "sprint_anchor_date": "2026-09-07",
        "sprint_length_days": 14}).json()
    sprints = client.get(f"/v1/periods?type=sprint&from=2026-09-07&to=2026-10-18"
                         f"&team_id={team['id']}", headers=admin).json()
    assert [s["key"] for s in sprints] == [f"team{team['id']}-2026-09-07",
                                           f"team{team['id']}-2026-09-21",
                                           f"team{team['id']}-2026-10-05"]
    for sprint in sprints:
        day = date.fromisoformat(sprint["start"]) + timedelta(days=3)
        _evidence(db, org["dev"], "production_change", day)
        _run(client, admin, "sprint", sprint["key"])
    [streak] = db.exec(select(Trigger).where(Trigger.rule == "production_streak")).all()
    assert streak.person_id == org["dev"].id and len(streak.evidence_ids) == 3
    [recognition] = db.exec(select(Intervention).where(Intervention.kind == "recognition")).all()
    assert recognition.trigger_id == streak.id and recognition.status == "completed"


def test_completing_an_objective_and_a_qualification_fire_on_the_event(client, org, db, as_):
    dev, manager = as_(org["dev"]), as_(org["senior"])
    objective = client.post("/v1/objectives", headers=dev, json={
        "title": "Ship the new slots", "quarter": "2026-Q4"}).json()
    client.post(f"/v1/objectives/{objective['id']}/agree", headers=manager)
    client.post(f"/v1/objectives/{objective['id']}/complete", headers=dev, json={"note": "done"})
    client.post("/v1/evidence", headers=dev, json={
        "kind": "qualification", "occurred_on": "2026-11-20", "title": "AWS Solutions Architect"})
    rules = sorted(t.rule for t in db.exec(select(Trigger)))
    assert rules == ["objective_completed", "qualification_obtained"]
    # Reopening and completing again is the same fact: it does not fire twice.
    client.post(f"/v1/objectives/{objective['id']}/reopen", headers=manager,
                json={"reason": "one more step"})
    client.post(f"/v1/objectives/{objective['id']}/complete", headers=dev, json={"note": "now"})
    assert len(db.exec(select(Trigger)).all()) == 2
    mine = client.get("/v1/triggers?kind=positive", headers=dev).json()["items"]
    assert len(mine) == 2
    assert client.get(f"/v1/triggers?person_id={org['dev'].id}",
                      headers=as_(org["peer"])).status_code == 403


def test_target_results_are_read_by_the_person_and_their_chain(client, org, db, admin, as_):
    _run(client, admin, "week", "2026-W48")
    url = f"/v1/people/{org['dev'].id}/target-results?from=2026-11-01&to=2026-11-30"
    for who in ("dev", "senior", "principal"):
        assert len(client.get(url, headers=as_(org[who])).json()["items"]) == 2, who
    for who in ("peer", "admin"):
        assert client.get(url, headers=as_(org[who])).status_code == 403, who


def test_evaluations_are_for_admins_and_bad_keys_are_clear(client, org, as_, admin):
    refused = client.post("/v1/evaluations", headers=as_(org["senior"]),
                          json={"period_type": "week", "period_key": "2026-W48"})
    assert refused.status_code == 403
    bad = client.post("/v1/evaluations", headers=admin,
                      json={"period_type": "week", "period_key": "2026-W60"})
    assert bad.status_code == 422 and "no week 60" in bad.json()["detail"]
    sprint = client.post("/v1/evaluations", headers=admin,
                         json={"period_type": "sprint", "period_key": "jira-999"})
    assert sprint.status_code == 404


def test_evaluation_statement_count_does_not_grow_with_headcount(
        client, org, db, admin, person, statements):
    counts = []
    for extra, key in ((0, "2026-W47"), (30, "2026-W48")):
        for _ in range(extra):
            person(band="7", line_manager=org["senior"])
        with statements() as counted:
            _run(client, admin, "week", key)
        counts.append(counted.count)
    assert counts[0] == counts[1]


def test_the_policy_in_force_is_used(client, org, db, admin):
    client.post("/v1/policies", headers=admin, json={
        "name": "Ratchet", "effective_from": "2026-11-23", "targets": [
            {"metric": "accomplishments_logged", "period": "week", "threshold": 2}]})
    _evidence(db, org["dev"], "accomplishment", date(2026, 11, 24))
    _run(client, admin, "week", "2026-W48")
    [result] = _results(db, org["dev"])
    ratchet = db.exec(select(PolicyVersion).where(PolicyVersion.name == "Ratchet")).one()
    assert (result.policy_version_id, result.outcome) == (ratchet.id, "missed")


@pytest.mark.postgres_only
def test_two_evaluations_of_one_period_at_once_double_nothing(client, org, db, admin, app):
    import threading

    from sqlmodel import Session

    from app.services.support import evaluations
    from app.services.kit.working_calendar import DepartmentCalendar

    for key in ("2026-W46", "2026-W47"):
        _run(client, admin, "week", key)
    start = threading.Barrier(4)
    errors = []

    def evaluate():
        try:
            start.wait(5)
            with Session(app.state.engine) as session:
                evaluations.run(session, period_type=evaluations.PeriodType.week,
                                period_key="2026-W48", calendar=DepartmentCalendar())
                session.commit()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=evaluate) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    w48 = db.exec(select(TargetResult).where(TargetResult.period_key == "2026-W48")).all()
    assert len(w48) == len({(r.person_id, r.target_id) for r in w48}) > 0
    streaks = db.exec(select(Trigger).where(Trigger.rule == "target_missed_streak")).all()
    assert len(streaks) == len({t.facts_key for t in streaks}) > 0
    assert len(db.exec(select(Intervention)).all()) == len(streaks)


@pytest.mark.slow
def test_gps_evaluate_runs_from_the_command_line(database_url, org, db):
    import os
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "app.cli", "evaluate", "--period-type", "week",
                           "--period-key", "2026-W48"], capture_output=True, text=True,
                          env={**os.environ, "GPS_DATABASE_URL": database_url}, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Evaluated week 2026-W48 (run 1)" in done.stdout
    assert len(_results(db, org["dev"])) == 2
    bad = subprocess.run([sys.executable, "-m", "app.cli", "evaluate", "--period-type", "month",
                          "--period-key", "x"], capture_output=True, text=True,
                         env={**os.environ, "GPS_DATABASE_URL": database_url}, timeout=120)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr


@pytest.mark.slow
def test_gps_evaluate_last_week_picks_the_week_that_just_ended(database_url, org):
    import os
    import subprocess
    import sys

    from app.domain import periods

    done = subprocess.run([sys.executable, "-m", "app.cli", "evaluate", "--last", "week"],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "GPS_DATABASE_URL": database_url})
    assert done.returncode == 0, done.stderr
    expected = periods.week_containing(date.today() - timedelta(days=7)).key
    assert f"Evaluated week {expected}" in done.stdout


@pytest.mark.slow
def test_gps_evaluate_last_sprint_takes_each_teams_sprint_that_just_ended(
        database_url, client, org, db, admin):
    import os
    import subprocess
    import sys

    from app.db.models import Team, TeamMember, TeamMembership

    today = date.today()
    fortnightly = Team(name="Slots", sprint_anchor_date=today - timedelta(days=30))
    weekly = Team(name="Forms", sprint_anchor_date=today, sprint_length_days=7)
    db.add_all([fortnightly, weekly, Team(name="No cadence")])
    db.commit()
    db.add_all([TeamMember(team_id=id_of(fortnightly), person_id=org["dev"].id),
                TeamMember(team_id=id_of(weekly), person_id=org["peer"].id),
                TeamMembership(team_id=id_of(fortnightly), person_id=org["dev"].id,
                               started_on=today - timedelta(days=90)),
                TeamMembership(team_id=id_of(weekly), person_id=org["peer"].id,
                               started_on=today - timedelta(days=90))])
    db.commit()
    ended = f"team{fortnightly.id}-{(today - timedelta(days=16)).isoformat()}"
    closed = f"team{weekly.id}-{(today - timedelta(days=7)).isoformat()}"
    evaluation = _run(client, admin, "sprint", closed)
    assert client.post(f"/v1/evaluations/{evaluation['id']}/close",
                       headers=admin).status_code == 200

    done = subprocess.run([sys.executable, "-m", "app.cli", "evaluate", "--last", "sprint"],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "GPS_DATABASE_URL": database_url})
    assert done.returncode == 0, done.stderr
    assert f"Evaluated sprint {ended} (run 1)" in done.stdout
    # A closed sprint keeps its results; running it again only notes what changed beside them.
    assert f"Evaluated sprint {closed} (run 2)" in done.stdout
    assert "closed, 0 result(s) corrected beside it" in done.stdout
    evaluated = db.exec(select(TargetResult.period_key, TargetResult.person_id)).all()
    assert set(evaluated) == {(ended, org["dev"].id), (closed, org["peer"].id)}

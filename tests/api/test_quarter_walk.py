"""A quarter, walked through the API the way a developer and their line manager live it."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import col, select

from app.db.growth import HrEvent

Q = "2026-Q3"  # a quarter that has happened: evidence is recorded after the fact


def test_a_developer_and_their_line_manager_walk_a_quarter(client, org, as_, db):
    dev, manager = as_(org["dev"]), as_(org["senior"])

    # Quarter start: three 20%-time objectives, drafted by the developer, agreed by the manager.
    titles = ["Cut the booking page's load time", "Raise test coverage of slots",
              "Remove the legacy search endpoint"]
    drafted = []
    for title in titles:
        answer = client.post("/v1/objectives", headers=dev, json={
            "title": title, "quarter": Q, "twenty_percent_time": True,
            "quality_dashboard_outcome": "Performance"})
        assert answer.status_code == 201
        drafted.append(answer.json())
    assert drafted[-1]["warnings"] == []  # three is what the policy expects
    for objective in drafted:
        agreed = client.post(f"/v1/objectives/{objective['id']}/agree", headers=manager)
        assert agreed.json()["status"] == "agreed"

    # Every week: an accomplishment and two hours of training.
    monday = date(2026, 7, 6)
    for week in range(12):
        day = (monday + timedelta(weeks=week)).isoformat()
        logged = client.post("/v1/evidence", headers=dev, json={
            "kind": "accomplishment", "occurred_on": day, "title": f"Week {week + 1} work"})
        assert logged.status_code == 201, logged.text
        trained = client.post("/v1/evidence", headers=dev, json={
            "kind": "training", "occurred_on": day, "title": "Course", "hours": 2,
            "topic": "Accessibility"})
        assert trained.status_code == 201, trained.text

    # A check-in on each objective.
    for objective in drafted:
        check_in = client.post(f"/v1/objectives/{objective['id']}/check-ins", headers=dev,
                               json={"on": "2026-08-03", "note": "Half way", "progress": 50})
        assert check_in.status_code == 201

    # Two are completed, one with linked evidence; one is dropped.
    evidence_id = client.post("/v1/evidence", headers=dev, json={
        "kind": "accomplishment", "occurred_on": "2026-09-01", "title": "Page loads in 0.8 s",
        "objective_id": drafted[0]["id"]}).json()["id"]
    first = client.post(f"/v1/objectives/{drafted[0]['id']}/complete", headers=dev,
                        json={"evidence_ids": [evidence_id]})
    second = client.post(f"/v1/objectives/{drafted[1]['id']}/complete", headers=dev,
                         json={"note": "Coverage from 41% to 78%"})
    dropped = client.post(f"/v1/objectives/{drafted[2]['id']}/drop", headers=dev,
                          json={"reason": "The endpoint is still used by a partner"})
    assert [first.status_code, second.status_code, dropped.status_code] == [200, 200, 200]

    listed = client.get(f"/v1/objectives?person_id={org['dev'].id}&quarter={Q}",
                        headers=manager).json()["items"]
    assert [o["status"] for o in listed] == ["completed", "completed", "dropped"]
    for objective in drafted:
        check_ins = client.get(f"/v1/objectives/{objective['id']}/check-ins", headers=manager)
        assert len(check_ins.json()["items"]) == 1

    evidence = client.get(f"/v1/evidence?person_id={org['dev'].id}&limit=200",
                          headers=manager).json()["items"]
    assert sum(e["kind"] == "accomplishment" for e in evidence) == 13
    assert sum(float(e["hours"]) for e in evidence if e["kind"] == "training") == 24.0

    # The HR feed's events table holds exactly the two completions.
    events = db.exec(select(HrEvent).order_by(col(HrEvent.id))).all()
    assert [(e.event_type, e.objective_id) for e in events] == [
        ("objective.completed", drafted[0]["id"]), ("objective.completed", drafted[1]["id"])]
    assert all(e.employee_number == "000042" for e in events)

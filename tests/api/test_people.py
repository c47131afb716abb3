"""People: creating, reading, changing, line-management rules, visibility of personal fields."""

from __future__ import annotations

from sqlmodel import col, select

from app.db.models import AuditEntry, LineManagementPeriod, Person

PROBLEM = "application/problem+json"


def _new(client, headers, **body):
    payload = {"name": "New Person", "email": "new@example.org", "kind": "employee", **body}
    return client.post("/v1/people", headers=headers, json=payload)


def test_admin_creates_a_person_with_location_and_etag(client, org, as_):
    answer = _new(client, as_(org["admin"]), band="7", line_manager_id=org["senior"].id,
                  employee_number="000123", github_login="New-Dev")
    assert answer.status_code == 201
    body = answer.json()
    assert body["employee_number"] == "000123"  # a string: leading zeros kept
    assert body["github_login"] == "new-dev"
    assert body["has_login"] is False and "password" not in body
    assert answer.headers["location"].endswith(f"/v1/people/{body['id']}")
    assert answer.headers["etag"] == f'"person-{body["id"]}-v1"'
    fetched = client.get(answer.headers["location"], headers=as_(org["admin"]))
    assert fetched.json() == body


def test_a_person_who_is_not_an_admin_cannot_create_people(client, org, as_):
    answer = _new(client, as_(org["senior"]))
    assert answer.status_code == 403
    assert answer.headers["content-type"] == PROBLEM


def test_email_is_unique_whatever_its_case(client, org, as_):
    assert _new(client, as_(org["admin"]), email="Same@Example.org").status_code == 201
    clash = _new(client, as_(org["admin"]), email="same@EXAMPLE.org")
    assert clash.status_code == 409
    assert clash.json()["field"] == "email"


def test_personal_fields_are_hidden_from_peers_and_shown_to_the_chain(client, org, as_):
    url = f"/v1/people/{org['dev'].id}"
    for viewer in ("dev", "senior", "principal", "head", "admin"):
        body = client.get(url, headers=as_(org[viewer])).json()
        assert body["visibility"] == "full", viewer
        assert body["employee_number"] == "000042", viewer
    for viewer in ("peer", "other_senior", "other_dev"):
        body = client.get(url, headers=as_(org[viewer])).json()
        assert body["visibility"] == "directory", viewer
        assert body["name"] == "Dev" and body["band"] == "7"
        hidden = ("employee_number", "jira_account_id", "github_login", "roles", "buddy_id")
        assert all(body[f] is None for f in hidden), viewer


def test_list_hides_personal_fields_of_people_outside_the_callers_line(client, org, as_):
    items = client.get("/v1/people?limit=200", headers=as_(org["senior"])).json()["items"]
    visible = {p["id"] for p in items if p["visibility"] == "full"}
    assert visible == {org["senior"].id, org["dev"].id, org["peer"].id}


def test_unknown_and_server_owned_fields_are_refused(client, org, as_):
    for field, value in (("id", 99), ("version", 7), ("password_hash", "x"), ("colour", "red")):
        answer = _new(client, as_(org["admin"]), **{field: value})
        assert answer.status_code == 422, field
        assert answer.headers["content-type"] == PROBLEM
        assert [e["field"] for e in answer.json()["errors"]] == [field]


def test_validation_errors_say_which_field(client, org, as_):
    answer = _new(client, as_(org["admin"]), email="not-an-address", band="9")
    assert answer.status_code == 422
    assert {e["field"] for e in answer.json()["errors"]} == {"email", "band"}


def test_patch_needs_if_match_and_refuses_a_stale_one(client, org, as_):
    admin = as_(org["admin"])
    url = f"/v1/people/{org['dev'].id}"
    missing = client.patch(url, headers=admin, json={"name": "Renamed"})
    assert missing.status_code == 428
    assert missing.headers["content-type"] == PROBLEM
    etag = client.get(url, headers=admin).headers["etag"]
    first = client.patch(url, headers={**admin, "If-Match": etag}, json={"name": "Renamed"})
    assert first.status_code == 200
    assert first.headers["etag"] != etag
    stale = client.patch(url, headers={**admin, "If-Match": etag}, json={"name": "Again"})
    assert stale.status_code == 412
    assert client.get(url, headers=admin).json()["name"] == "Renamed"


def test_patch_null_clears_optional_fields_and_refuses_null_names(client, org, as_):
    admin = as_(org["admin"])
    url = f"/v1/people/{org['dev'].id}"
    etag = client.get(url, headers=admin).headers["etag"]
    cleared = client.patch(url, headers={**admin, "If-Match": etag},
                           json={"github_login": None})
    assert cleared.status_code == 200 and cleared.json()["github_login"] is None
    refused = client.patch(url, headers={**admin, "If-Match": cleared.headers["etag"]},
                           json={"name": None})
    assert refused.status_code == 422


def test_only_admins_patch_people(client, org, as_):
    url = f"/v1/people/{org['dev'].id}"
    etag = client.get(url, headers=as_(org["senior"])).headers["etag"]
    answer = client.patch(url, headers={**as_(org["senior"]), "If-Match": etag},
                          json={"name": "Mine now"})
    assert answer.status_code == 403


def test_request_body_over_the_limit_is_413_and_stores_nothing(client, org, as_, db, settings):
    huge = "x" * (settings.max_body_bytes + 1)
    answer = _new(client, as_(org["admin"]), name=huge)
    assert answer.status_code == 413
    assert answer.headers["content-type"] == PROBLEM
    assert db.exec(select(Person).where(Person.email == "new@example.org")).first() is None


def test_chunked_body_over_the_limit_is_413(client, org, as_, settings):
    def chunks():
        for _ in range(settings.max_body_bytes // 1024 + 2):
            yield b"x" * 1024
    answer = client.post("/v1/people", headers={**as_(org["admin"]),
                                                "Content-Type": "application/json"},
                         content=chunks())
    assert answer.status_code == 413


# Line-management rules, each named in the 422.

def _rule(answer):
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == PROBLEM
    return answer.json()["rule"]


def test_matrix_rules_are_enforced_with_their_names(client, org, as_):
    admin = as_(org["admin"])
    cases = [
        (dict(band="7", line_manager_id=org["principal"].id), "LM-MATRIX-BAND-6-7"),
        (dict(band="6", line_manager_id=org["dev"].id), "LM-MATRIX-BAND-6-7"),
        (dict(band="8a", line_manager_id=org["head"].id), "LM-MATRIX-BAND-8A"),
        (dict(band="8b", line_manager_id=org["principal"].id), "LM-MATRIX-BAND-8B"),
        (dict(kind="contractor", band=None, line_manager_id=org["senior"].id),
         "LM-MATRIX-CONTRACTOR"),
    ]
    for n, (body, rule) in enumerate(cases):
        answer = _new(client, admin, email=f"case{n}@example.org", **body)
        assert _rule(answer) == rule
        assert rule in answer.json()["detail"]
    accepted = [
        dict(band="7", line_manager_id=org["senior"].id),
        dict(band="8a", line_manager_id=org["principal"].id),
        dict(band="8b", line_manager_id=org["head"].id),
        dict(kind="contractor", line_manager_id=org["principal"].id),
        dict(kind="contractor", line_manager_id=org["head"].id),
    ]
    for n, body in enumerate(accepted):
        assert _new(client, admin, email=f"ok{n}@example.org", **body).status_code == 201


def test_an_inactive_line_manager_is_refused(client, org, as_, person):
    retired = person(band="8a", active=False)
    answer = _new(client, as_(org["admin"]), band="7", line_manager_id=retired.id)
    assert _rule(answer) == "LM-ACTIVE"


def test_cycles_are_refused_even_with_an_override(client, org, as_):
    admin = as_(org["admin"])
    url = f"/v1/people/{org['principal'].id}"
    etag = client.get(url, headers=admin).headers["etag"]
    answer = client.patch(url, headers={**admin, "If-Match": etag},
                          json={"line_manager_id": org["dev"].id,
                                "override_reason": "trying to make a loop"})
    assert "LM-CYCLE" in answer.json()["rules"]
    assert answer.status_code == 422
    self_managed = client.patch(url, headers={**admin, "If-Match": etag},
                                json={"line_manager_id": org["principal"].id})
    assert _rule(self_managed) == "LM-SELF"


def test_an_admin_overrides_a_matrix_rule_with_a_recorded_reason(client, org, as_, db):
    admin = as_(org["admin"])
    reason = "Interim cover while the senior post is vacant"
    answer = _new(client, admin, band="7", line_manager_id=org["principal"].id,
                  override_reason=reason)
    assert answer.status_code == 201
    new_id = answer.json()["id"]
    period = db.exec(select(LineManagementPeriod)
                     .where(LineManagementPeriod.person_id == new_id)).one()
    assert (period.manager_id, period.override_reason) == (org["principal"].id, reason)
    audit = db.exec(select(AuditEntry).where(
        AuditEntry.action == "person.line_manager.override")).one()
    assert audit.detail["reason"] == reason and audit.target_id == str(new_id)


def test_changing_line_manager_keeps_the_history(client, org, as_, db, person):
    admin = as_(org["admin"])
    created = _new(client, admin, band="7", line_manager_id=org["senior"].id).json()
    url = f"/v1/people/{created['id']}"
    etag = client.get(url, headers=admin).headers["etag"]
    moved = client.patch(url, headers={**admin, "If-Match": etag},
                         json={"line_manager_id": org["other_senior"].id})
    assert moved.status_code == 200
    periods = db.exec(select(LineManagementPeriod).where(
        col(LineManagementPeriod.person_id) == created["id"])
        .order_by(col(LineManagementPeriod.id))).all()
    assert [(p.manager_id, p.ended_at is not None) for p in periods] == [
        (org["senior"].id, True), (org["other_senior"].id, False)]


def test_a_band_change_rechecks_the_line_manager(client, org, as_):
    admin = as_(org["admin"])
    url = f"/v1/people/{org['dev'].id}"
    etag = client.get(url, headers=admin).headers["etag"]
    answer = client.patch(url, headers={**admin, "If-Match": etag}, json={"band": "8a"})
    assert _rule(answer) == "LM-MATRIX-BAND-8A"


def test_someone_with_active_reports_cannot_be_deactivated(client, org, as_):
    admin = as_(org["admin"])
    url = f"/v1/people/{org['senior'].id}"
    etag = client.get(url, headers=admin).headers["etag"]
    answer = client.patch(url, headers={**admin, "If-Match": etag}, json={"active": False})
    assert _rule(answer) == "LM-ACTIVE"
    assert "2 active people" in answer.json()["detail"]


def test_buddies_are_for_apprentices(client, org, as_):
    admin = as_(org["admin"])
    ok = _new(client, admin, kind="apprentice", band="6", line_manager_id=org["senior"].id,
              buddy_id=org["dev"].id)
    assert ok.status_code == 201 and ok.json()["buddy_id"] == org["dev"].id
    refused = _new(client, admin, email="notapp@example.org", band="6",
                   line_manager_id=org["senior"].id, buddy_id=org["dev"].id)
    assert _rule(refused) == "BUDDY-APPRENTICE-ONLY"


def test_an_unknown_line_manager_is_a_clear_422(client, org, as_):
    answer = _new(client, as_(org["admin"]), band="7", line_manager_id=999999)
    assert answer.status_code == 422
    assert "999999" in answer.json()["detail"]


# Lists, pages and filters.

def test_pages_follow_cursors_to_the_end(client, org, as_):
    headers = as_(org["dev"])
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/people", headers=headers, params=params).json()
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(p.id for p in org.values())


def test_a_forged_cursor_is_a_clear_422(client, org, as_):
    answer = client.get("/v1/people?cursor=garbage!!", headers=as_(org["dev"]))
    assert answer.status_code == 422
    assert "cursor" in answer.json()["detail"]


def test_page_size_is_capped(client, org, as_):
    assert client.get("/v1/people?limit=201", headers=as_(org["dev"])).status_code == 422


def test_filters(client, org, as_, person):
    headers = as_(org["dev"])
    by_manager = client.get(f"/v1/people?line_manager_id={org['senior'].id}", headers=headers)
    assert [p["id"] for p in by_manager.json()["items"]] == [org["dev"].id, org["peer"].id]
    by_band = client.get("/v1/people?band=8a", headers=headers).json()["items"]
    assert {p["id"] for p in by_band} == {org["senior"].id, org["other_senior"].id}
    person(active=False)
    inactive = client.get("/v1/people?active=false", headers=headers).json()["items"]
    assert len(inactive) == 1


def test_reports_of_a_manager(client, org, as_):
    answer = client.get(f"/v1/people/{org['principal'].id}/reports", headers=as_(org["dev"]))
    assert [p["id"] for p in answer.json()] == [org["senior"].id, org["other_senior"].id]


def test_list_statement_count_does_not_grow_with_page_size(client, org, as_, person, statements):
    for _ in range(30):
        person(line_manager=org["senior"])
    headers = as_(org["principal"])
    counts = []
    for limit in (2, 30):
        with statements() as counted:
            assert client.get(f"/v1/people?limit={limit}", headers=headers).status_code == 200
        counts.append(counted.count)
    assert counts[0] == counts[1]


def test_unknown_person_is_404_problem(client, org, as_):
    answer = client.get("/v1/people/424242", headers=as_(org["dev"]))
    assert answer.status_code == 404
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["status"] == 404


def test_answers_carry_request_id_and_no_store(client, org, as_):
    answer = client.get("/v1/people", headers={**as_(org["dev"]), "X-Request-ID": "trace-123"})
    assert answer.headers["x-request-id"] == "trace-123"
    assert answer.headers["cache-control"] == "no-store"
    assert client.get("/healthz").headers["x-request-id"]


def test_timestamps_are_rfc3339_utc(client, org, as_):
    body = client.get(f"/v1/people/{org['dev'].id}", headers=as_(org["admin"])).json()
    assert body["created_at"].endswith("Z")


def test_text_no_database_can_store_is_a_422_naming_the_field(client, org, as_, db):
    answer = _new(client, as_(org["admin"]), name="Ada\u0000Lovelace")
    assert answer.status_code == 422
    assert "name" in answer.text and "NUL" in answer.text
    lone = client.post("/v1/people", headers={**as_(org["admin"]),
                                              "Content-Type": "application/json"},
                       content=b'{"name": "\\ud892", "email": "x@example.org", "kind": "employee"}')
    assert lone.status_code == 422
    assert db.exec(select(Person).where(Person.email == "new@example.org")).first() is None


def test_a_nul_character_in_a_form_or_query_is_a_4xx_not_a_500(client, org, as_):
    login = client.post("/v1/auth/token", data={"grant_type": "password",
                                                "username": "a\x00@example.org",
                                                "password": "whatever-long"})
    assert login.status_code in (400, 422)
    listed = client.get("/v1/teams", headers=as_(org["dev"]), params={"cursor": "a\x00b"})
    assert listed.status_code == 422

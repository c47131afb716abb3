def test_readyz_reports_ready_when_migrated(client):
    answer = client.get("/readyz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ready", "database": True, "schema_current": True}


def test_me_for_a_person(client, org, as_):
    answer = client.get("/v1/me", headers=as_(org["senior"]))
    assert answer.status_code == 200
    body = answer.json()
    assert body["kind"] == "person"
    assert body["relationships"]["report_ids"] == [org["dev"].id, org["peer"].id]
    assert "people:write" not in body["scopes"]

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


def test_a_domain_error_extra_named_like_a_standard_member_cannot_break_the_answer(app):
    from fastapi.testclient import TestClient

    from app.domain.errors import Conflict

    @app.get("/__probe_conflict", include_in_schema=False)
    def probe():
        raise Conflict(detail="x", extra={"status": "draft", "state": "draft"})

    try:
        with TestClient(app) as client:
            answer = client.get("/__probe_conflict")
        assert answer.status_code == 409
        assert answer.json()["status"] == 409 and answer.json()["state"] == "draft"
    finally:
        app.router.routes[:] = [r for r in app.router.routes
                                if getattr(r, "path", None) != "/__probe_conflict"]
        app.openapi_schema = None

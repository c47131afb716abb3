"""The contract is the product: the committed document matches the code, and says enough."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import CONTRACT, cli, render_contract
from app.domain.quarters import Quarter
from app.main import create_app
from app.settings import Settings


@pytest.fixture(scope="module")
def document() -> dict:
    return create_app(Settings(database_url="sqlite://")).openapi()


def test_committed_contract_matches_the_code(document):
    committed = Path(CONTRACT).read_text()
    assert committed == render_contract(document), (
        "openapi/openapi.json is stale: run `gps openapi export` and commit the result")


def test_drift_is_detected(tmp_path, document):
    drifted = json.loads(render_contract(document))
    drifted["paths"]["/v1/people"]["get"]["summary"] = "Something else"
    path = tmp_path / "openapi.json"
    path.write_text(render_contract(drifted))
    result = CliRunner().invoke(cli, ["openapi", "export", "--check", "--output", str(path)])
    assert result.exit_code == 1
    assert "not the code's contract" in result.output
    path.write_text(render_contract(document))
    assert CliRunner().invoke(cli, ["openapi", "export", "--check", "--output",
                                    str(path)]).exit_code == 0


def _operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_operation_ids_are_unique_and_named(document):
    ids = [op["operationId"] for _, _, op in _operations(document)]
    assert len(ids) == len(set(ids))
    assert all(i.replace("_", "").isalpha() and i.islower() for i in ids)


# Signed with a shared secret instead of a bearer token.
SIGNATURE_SECURED = {"receive_jira_webhook", "receive_github_webhook"}
# Signed out by design: the credential is in the body (a password, or a set-password link's
# one-time token), never a bearer token.
CREDENTIAL_IN_BODY = {"issue_token", "set_password"}


def test_every_secured_route_documents_401_and_503(document):
    for path, method, operation in _operations(document):
        if not path.startswith("/v1/") or operation["operationId"] in CREDENTIAL_IN_BODY:
            continue
        assert "401" in operation["responses"], (method, path)
        assert "503" in operation["responses"], (method, path)
        if operation["operationId"] not in SIGNATURE_SECURED:
            assert operation.get("security"), (method, path)


def test_routes_with_input_document_422_and_bodies_document_413(document):
    for path, method, operation in _operations(document):
        if operation.get("parameters") or operation.get("requestBody"):
            assert "422" in operation["responses"], (method, path)
        if operation.get("requestBody"):
            assert "413" in operation["responses"], (method, path)


def test_changes_document_the_conditional_statuses(document):
    for path, method, operation in _operations(document):
        if method == "patch":
            assert {"412", "428"} <= set(operation["responses"]), path


def test_errors_are_documented_as_problem_json(document):
    for path, method, operation in _operations(document):
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                assert list(response["content"]) == ["application/problem+json"], (
                    method, path, status)


def test_docs_are_served_without_the_internet(client):
    page = client.get("/docs")
    assert page.status_code == 200
    assert "/static/swagger-ui/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower() and "https://" not in page.text
    bundle = client.get("/static/swagger-ui/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.content) > 1_000_000
    redoc = client.get("/redoc")
    assert "/static/redoc/redoc.standalone.js" in redoc.text and "https://" not in redoc.text
    assert client.get("/static/redoc/redoc.standalone.js").status_code == 200
    assert client.get("/v1/openapi.json").json()["openapi"].startswith("3.1")


def test_swagger_ui_bundle_is_version_5(client):
    # Swagger UI 4 cannot render OpenAPI 3.1.
    head = client.get("/static/swagger-ui/swagger-ui-bundle.js").text
    assert 'version:"5.' in head or "5.35" in head



@pytest.mark.parametrize("quarter", ["2026-Q4", "2000-Q1", "2100-Q4", "1999-Q4", "2101-Q1",
                                     "2026-Q5", "2026-Q0", "2026-q1", "26-Q1"])
def test_the_contract_describes_a_quarter_as_the_service_reads_it(document, quarter):
    # Generated "valid" input follows the published pattern, so it must accept exactly the
    # quarters the service accepts (before, any seven characters were "valid").
    schema = document["components"]["schemas"]["ObjectiveCreate"]["properties"]["quarter"]
    try:
        Quarter.parse(quarter)
        accepted = True
    except ValueError:
        accepted = False
    assert bool(re.search(schema["pattern"], quarter)) is accepted


def _operation_by_id(document):
    return {op["operationId"]: (path, method, op) for path, method, op in _operations(document)}


def test_every_create_links_to_the_read_update_and_delete_of_what_it_made(document):
    operations = _operation_by_id(document)
    linked: dict[tuple[str, str], set[str]] = {}
    for path, method, operation in _operations(document):
        for status, response in operation["responses"].items():
            for link in response.get("links", {}).values():
                target_path, target_method, target = operations[link["operationId"]]
                declared = {f"{p['in']}.{p['name']}" for p in target.get("parameters", [])}
                required = {f"path.{p['name']}" for p in target.get("parameters", [])
                            if p["in"] == "path"}
                # Every path parameter filled, nothing the target does not declare.
                assert required <= set(link["parameters"]) <= declared, link
                if target_method == "patch":
                    assert link["parameters"]["header.if-match"] == "$response.header.ETag"
                    assert "ETag" in response["headers"], (method, path, status)
                linked.setdefault((method, path), set()).add(link["operationId"])
    assert linked[("post", "/v1/objectives")] == {"get_objective", "update_objective"}
    assert linked[("get", "/v1/objectives/{objective_id}")] == {"update_objective"}
    assert linked[("post", "/v1/evidence")] == {"get_evidence", "update_evidence",
                                                  "delete_evidence"}
    assert linked[("post", "/v1/cases")] == {"get_case"}  # a oneOf body: both views have `id`
    for resource in ("one-to-ones", "coaching/programmes", "interventions", "policies", "teams",
                     "people"):
        assert any(op.startswith("get_") for op in linked[("post", f"/v1/{resource}")])

"""An error answer stays small whatever the input: a large bad body must not come back many
times larger (it did: an 827 kB body got a 5.8 MB validation error, listing every problem).
At most 20 errors are listed, each text cut short, and the answer says how many were left
out."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.factories import new_person

MAX_ERROR_BYTES = 8 * 1024


@pytest.fixture
def roomy(settings, migrated) -> Iterator[TestClient]:
    """A client of an app with the default 1 MiB body cap (the test app's is 64 kB)."""
    app = create_app(settings.model_copy(update={"max_body_bytes": 1_048_576}))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    app.state.engine.dispose()


def _small(answer, status: int) -> dict:
    assert answer.status_code == status, answer.text[:500]
    assert answer.headers["content-type"] == "application/problem+json"
    assert len(answer.content) <= MAX_ERROR_BYTES, len(answer.content)
    return answer.json()


def test_many_unknown_fields_give_a_small_error(roomy, db, as_):
    content = json.dumps({f"field_{i}_{'x' * 40}": i for i in range(14_000)}).encode()
    assert len(content) > 800_000
    problem = _small(roomy.post("/v1/objectives", content=content, headers={
        **as_(new_person(db)), "Content-Type": "application/json"}), 422)
    assert len(problem["errors"]) == 20
    assert problem["errors_omitted"] >= 14_000 - 20
    assert "left out" in problem["detail"]


def test_long_field_names_are_cut(roomy, db, as_):
    content = json.dumps({"y" * 500_000: 1, "title": "t", "quarter": "2026-Q4",
                          "twenty_percent_time": True}).encode()
    problem = _small(roomy.post("/v1/objectives", content=content, headers={
        **as_(new_person(db)), "Content-Type": "application/json"}), 422)
    [error] = problem["errors"]
    assert error["field"].startswith("yyy") and len(error["field"]) <= 120
    assert "errors_omitted" not in problem


def test_many_bad_rows_give_a_small_error(roomy, db, as_):
    admin = new_person(db, roles=["admin"])
    rows = "name,email,kind\n" + "".join(f"P{i},not-an-address-{i},employee\n"
                                         for i in range(5_000))
    problem = _small(roomy.post("/v1/people/import", content=rows.encode(), headers={
        **as_(admin), "Content-Type": "text/csv"}), 422)
    assert len(problem["errors"]) == 20
    assert problem["errors_omitted"] >= 5_000 - 20
    assert "left out" in problem["detail"]

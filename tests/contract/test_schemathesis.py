"""Property-based tests of the whole API against its committed contract (schemathesis).

Every operation in openapi/openapi.json is called with generated input, valid and invalid,
as an admin and as a developer; every answer must match the documented statuses, content
types, headers and schemas, and no input may cause a server error.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from app.cli import CONTRACT
from tests.factories import bearer, new_person

schema = schemathesis.openapi.from_path(CONTRACT)

SETTINGS = hypothesis_settings(
    max_examples=25, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                           HealthCheck.function_scoped_fixture])


@pytest.fixture
def people(db):
    admin = new_person(db, band=None, roles=["admin"])
    senior = new_person(db, band="8a")
    developer = new_person(db, band="7", line_manager=senior)
    return {"admin": admin, "developer": developer}


@pytest.mark.slow
@schema.parametrize()
@SETTINGS
def test_contract_as_an_admin(case, app, people, settings):
    case.call_and_validate(app=app, headers=bearer(settings, people["admin"]))


@pytest.mark.slow
@schema.parametrize()
@SETTINGS
def test_contract_as_a_developer(case, app, people, settings):
    case.call_and_validate(app=app, headers=bearer(settings, people["developer"]))

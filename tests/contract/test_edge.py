"""The edge, declared once. Scopes: one actor alias per scope, named after it, and one function
that checks them (`app.api.auth`). Routes declare no caller, If-Match or paging of their own,
and take what app.state holds from dependencies. Services return data; Markdown, SVG and
iCalendar are written in `app/api/render/`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, get_args, get_origin

import pytest

from app.api import auth
from app.domain.access import Actor
from app.domain.errors import Forbidden
from app.domain.scopes import DESCRIPTIONS, Scope

ROUTES = Path(auth.__file__).parent / "routes"
SERVICES = Path(auth.__file__).parents[1] / "services"
SCOPES = {name: value for name, value in vars(Scope).items() if not name.startswith("_")}


def _alias_name(member: str) -> str:
    return "".join(part.capitalize() for part in member.split("_")) + "Actor"


def test_every_scope_has_one_actor_alias_named_after_it():
    assert set(SCOPES.values()) == set(DESCRIPTIONS)
    for member, scope in SCOPES.items():
        actor, security = get_args(getattr(auth, _alias_name(member)))
        assert actor is Actor
        assert security.dependency is auth.current_actor
        assert list(security.scopes) == [scope]
    aliases = [name for name, value in vars(auth).items()
               if name.endswith("Actor") and get_origin(value) is Annotated]
    assert sorted(aliases) == sorted(_alias_name(member) for member in SCOPES)
    assert not get_args(auth.SignedIn)[1].scopes


def test_the_edge_refuses_a_missing_scope_except_those_the_case_services_check():
    growth = Actor(person_id=1, scopes=frozenset({Scope.growth}))
    auth.check_scopes(growth, [Scope.growth])
    with pytest.raises(Forbidden) as refused:
        auth.check_scopes(growth, [Scope.growth, Scope.people_write])
    assert refused.value.extra == {"required_scope": Scope.people_write}
    assert auth.SERVICE_CHECKED_SCOPES == {Scope.cases, Scope.concerns}
    auth.check_scopes(growth, [Scope.cases, Scope.concerns])


@pytest.mark.parametrize("path", sorted(ROUTES.glob("*.py")), ids=lambda p: p.name)
def test_routes_declare_no_caller_or_shared_parameter_of_their_own(path):
    source = path.read_text()
    assert "Annotated[Actor" not in source
    assert not re.search(r"Security\(current_actor|Depends\(current_actor", source)
    assert not re.search(r"^(IfMatch|Limit|Cursor|Paging)\s*=", source, re.M)
    assert "app.state" not in source


def test_services_write_no_markdown_svg_or_icalendar():
    for path in sorted(SERVICES.rglob("*.py")):
        source = path.read_text()
        for sign in ("matplotlib", "VCALENDAR", "render_markdown", "markdown import"):
            assert sign not in source, f"{path.name} writes a format: {sign}"

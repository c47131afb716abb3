"""Operations: health, readiness, metrics, logs, settings, bootstrap admin, the CLI."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlmodel import col, select

from app.db.growth import Objective
from app.db.models import Person
from app.domain.errors import RuleViolation
from app.main import create_app
from app.services import demo
from app.services.identity import bootstrap
from app.settings import DEVELOPMENT_JWT_SECRET, Environment, Settings
from tests.factories import PASSWORD


def test_readyz_is_503_when_the_schema_is_not_migrated(tmp_path):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/empty.db"))
    with TestClient(app) as client:
        answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["retry-after"]
    assert answer.json()["schema_current"] is False and "gps db upgrade" in answer.json()["detail"]


def test_readyz_is_503_when_the_database_is_unreachable():
    app = create_app(Settings(database_url="postgresql://nobody@127.0.0.1:1/none"))
    with TestClient(app) as client:
        answer = client.get("/readyz")
    assert answer.status_code == 503 and answer.json()["database"] is False


def test_requests_get_503_not_500_when_the_database_is_unreachable(settings):
    app = create_app(Settings(database_url="postgresql://nobody@127.0.0.1:1/none",
                              jwt_secret=settings.jwt_secret))
    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.post("/v1/auth/token", data={"grant_type": "password",
                                                     "username": "a@example.org",
                                                     "password": "x"})
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    assert "Traceback" not in answer.text


def test_healthz_and_metrics(client, org, as_):
    assert client.get("/healthz").json() == {"status": "ok"}
    client.get("/v1/people", headers=as_(org["dev"]))
    account = client.post("/v1/service-accounts", headers=as_(org["admin"]), json={
        "name": "Prometheus", "scopes": ["metrics:read"]}).json()
    token = client.post("/v1/auth/token", auth=(account["client_id"], account["client_secret"]),
                        data={"grant_type": "client_credentials"}).json()["access_token"]
    metrics = client.get("/metrics", headers={"Authorization": f"Bearer {token}"}).text
    assert 'gps_http_requests_total{method="GET",route="/v1/people",status="200"}' in metrics


def test_logs_carry_request_ids_and_never_secrets(client, person, caplog):
    person(login=True, email="log@example.org")
    with caplog.at_level(logging.DEBUG):
        token = client.post("/v1/auth/token", data={
            "grant_type": "password", "username": "log@example.org",
            "password": PASSWORD}).json()["access_token"]
        client.get("/v1/me?x=1", headers={"Authorization": f"Bearer {token}",
                                           "X-Request-ID": "req-77"})
        client.post("/v1/auth/token", data={"grant_type": "password",
                                            "username": "log@example.org",
                                            "password": "wrong-password-123"})
    text = caplog.text
    assert PASSWORD not in text and token not in text and "wrong-password-123" not in text
    assert any(getattr(r, "message", "").startswith("GET /v1/me 200") for r in caplog.records)


def test_production_refuses_the_development_secret_and_short_secrets():
    for secret in (DEVELOPMENT_JWT_SECRET, "short-secret"):
        with pytest.raises(ValidationError, match="GPS_JWT_SECRET"):
            Settings(env=Environment.production, jwt_secret=secret)
    assert Settings(env=Environment.production, jwt_secret="x" * 32).env is Environment.production


def test_settings_come_from_gps_variables(monkeypatch):
    monkeypatch.setenv("GPS_ACCESS_TOKEN_MINUTES", "7")
    monkeypatch.setenv("GPS_DATABASE_URL", "postgresql://u@h/db")
    settings = Settings()
    assert settings.access_token_minutes == 7
    assert settings.sqlalchemy_url == "postgresql+psycopg://u@h/db"


def test_a_short_bootstrap_password_is_refused():
    with pytest.raises(ValidationError, match="at least 12"):
        Settings(bootstrap_admin_email="a@example.org", bootstrap_admin_password="")


def test_bootstrap_admin_is_created_once_and_only_when_no_admin_exists(app, db, settings):
    configured = settings.model_copy(update={
        "bootstrap_admin_email": "Boot@Example.org",
        "bootstrap_admin_password": Settings(bootstrap_admin_password="x" * 12
                                             ).bootstrap_admin_password})
    with app.state.session_factory() as session:
        created = bootstrap.ensure_bootstrap_admin(session, configured)
        session.commit()
    assert created is not None and created.roles == ["admin"]
    with app.state.session_factory() as session:
        assert bootstrap.ensure_bootstrap_admin(session, configured) is None
    assert len(db.exec(select(Person).where(Person.email == "boot@example.org")).all()) == 1


def test_demo_data_is_never_created_in_production(app):
    with app.state.session_factory() as session, pytest.raises(RuleViolation):
        demo.seed(session, Settings(env=Environment.production, jwt_secret="y" * 40))


def test_demo_seed_builds_the_department(app, db, settings):
    with app.state.session_factory() as session:
        summary = demo.seed(session, settings)
        session.commit()
    people = db.exec(select(Person)).all()
    assert summary.created == len(people) == 49
    bands = [p.band for p in people]
    assert (bands.count("8c"), bands.count("8b"), bands.count("8a")) == (1, 3, 6)
    assert sum(1 for p in people if p.kind == "apprentice") == 2
    assert sum(1 for p in people if p.kind == "contractor") == 3
    # A developer's objectives, in their own words: one agreed, one sent back for changes.
    objectives = db.exec(select(Objective).order_by(col(Objective.id))).all()
    assert [o.status for o in objectives] == ["agreed", "changes_requested"]
    assert all(o.created_by_id == o.person_id for o in objectives)
    assert objectives[1].change_request
    assert objectives[1].updated_by_id not in (None, objectives[1].person_id)
    with app.state.session_factory() as session:
        assert demo.seed(session, settings).already_seeded


def _gps(*args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True,
                          text=True, env={**os.environ, **env}, input=stdin, timeout=120)


@pytest.mark.slow
def test_cli_errors_are_one_line_without_a_traceback(tmp_path):
    bad_config = _gps("db", "upgrade", env={"GPS_ENV": "production", "GPS_JWT_SECRET": "weak"})
    assert bad_config.returncode == 1
    assert "Traceback" not in bad_config.stderr
    assert bad_config.stderr.strip().startswith("gps: error: configuration")
    missing = _gps("people", "import", str(tmp_path / "nope.csv"),
                   env={"GPS_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert "cannot read" in missing.stderr
    unreachable = _gps("db", "upgrade",
                       env={"GPS_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})
    assert unreachable.returncode == 1 and "Traceback" not in unreachable.stderr
    assert unreachable.stderr.startswith("gps: error: database:")
    assert len(unreachable.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_cli_creates_the_sqlite_folder_on_a_fresh_checkout(tmp_path):
    url = f"sqlite:///{tmp_path}/fresh/var/gps.db"
    done = _gps("db", "upgrade", env={"GPS_DATABASE_URL": url})
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "fresh" / "var" / "gps.db").exists()


@pytest.mark.slow
def test_cli_imports_people_all_or_nothing(tmp_path, database_url, org, db):
    good = tmp_path / "people.csv"
    good.write_text("name,email,kind,band,line_manager_email\n"
                    f"Zed,zed@example.org,employee,7,{org['senior'].email}\n")
    done = _gps("people", "import", str(good), env={"GPS_DATABASE_URL": database_url})
    assert done.returncode == 0, done.stderr
    assert "Imported 1 people" in done.stdout
    assert db.exec(select(Person).where(Person.email == "zed@example.org")).one()
    bad = tmp_path / "bad.csv"
    bad.write_text("name,email,kind,band\nA,a@example.org,employee,9\nB,b@example.org,boss,7\n")
    refused = _gps("people", "import", str(bad), env={"GPS_DATABASE_URL": database_url})
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "row 2: band" in refused.stderr and "row 3: kind" in refused.stderr
    assert db.exec(select(Person).where(Person.email == "a@example.org")).first() is None


def test_the_development_secret_is_warned_about_at_start(caplog, settings):
    with caplog.at_level(logging.WARNING, logger="gps.startup"):
        app = create_app(Settings(database_url="sqlite://"))
        assert not caplog.records  # building the app (say, to export the contract) is quiet
        with TestClient(app):  # serving it is not
            pass
        app.state.engine.dispose()
    [warning] = [r for r in caplog.records if r.name == "gps.startup"]
    assert warning.levelno == logging.WARNING
    assert "forge" in warning.getMessage() and "source" in warning.getMessage()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="gps.startup"):
        app = create_app(Settings(database_url="sqlite://", jwt_secret=settings.jwt_secret))
        with TestClient(app):
            pass
        app.state.engine.dispose()
    assert not [r for r in caplog.records if r.name == "gps.startup"]


def test_gps_serve_listens_on_loopback_unless_told_otherwise():
    import inspect

    from app import cli
    assert inspect.signature(cli.serve).parameters["host"].default == "127.0.0.1"

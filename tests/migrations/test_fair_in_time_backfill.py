"""Migration 0010 gives everyone already in GPS an employment window and a history: they
started the day they were added, today's team members joined when both they and the team
existed, their band holds from their start, and record ids move to their own columns."""

from __future__ import annotations

import json
from datetime import date

from alembic import command
from sqlalchemy import create_engine, text

from app.db import migrate
from app.settings import sqlalchemy_url

PEOPLE = [  # id, created, active, updated, band, kind
    (901, "2024-03-04 09:00:00+00:00", True, "2024-03-04 09:00:00+00:00", "7", "employee"),
    (902, "2025-06-10 12:30:00+00:00", False, "2026-02-01 08:00:00+00:00", "6", "apprentice"),
    (903, "2023-01-02 00:00:00+00:00", True, "2023-01-02 00:00:00+00:00", None, "contractor"),
]


def _seed(connection) -> None:
    for pid, created, active, updated, band, kind in PEOPLE:
        connection.execute(text(
            "INSERT INTO person (id, name, email, kind, band, active, praise_opt_out, roles, "
            "version, created_at, updated_at) VALUES (:id, :name, :email, :kind, :band, "
            ":active, :no, '[]', 1, :created, :updated)"),
            {"id": pid, "name": f"P{pid}", "email": f"p{pid}@example.org", "kind": kind,
             "band": band, "active": active, "no": False, "created": created,
             "updated": updated})
    connection.execute(text(
        "INSERT INTO team (id, name, sprint_length_days, version, created_at, updated_at) "
        "VALUES (77, 'Slots', 14, 1, '2024-09-01 10:00:00+00:00', "
        "'2024-09-01 10:00:00+00:00')"))
    for pid in (901, 902):
        connection.execute(text("INSERT INTO team_member (team_id, person_id) VALUES (77, :p)"),
                           {"p": pid})
    policy = connection.execute(text("SELECT id FROM policy_version")).scalar_one()
    target = connection.execute(text(
        "SELECT id FROM policy_target WHERE metric = 'objectives_completed'")).scalar_one()
    connection.execute(text(
        "INSERT INTO evaluation (id, period_type, period_key, period_start, period_end, "
        "policy_version_id, status, runs) VALUES (55, 'quarter', '2025-Q3', '2025-07-01', "
        "'2025-09-30', :policy, 'open', 1)"), {"policy": policy})
    connection.execute(text(
        "INSERT INTO target_result (evaluation_id, person_id, target_id, policy_version_id, "
        "metric, stretch, period_type, period_key, period_start, period_end, outcome, "
        "measured, threshold, evidence_ids) VALUES (55, 901, :target, :policy, "
        "'objectives_completed', :no, 'quarter', '2025-Q3', '2025-07-01', '2025-09-30', "
        "'missed', 2, 3, :ids)"),
        {"target": target, "policy": policy, "no": False, "ids": json.dumps([31, 32])})


def test_existing_people_get_windows_history_and_typed_ids(database_url, app):
    app.state.engine.dispose()
    config = migrate.alembic_config(database_url)
    engine = create_engine(sqlalchemy_url(database_url))
    try:
        command.downgrade(config, "0009")
        with engine.begin() as connection:
            _seed(connection)
        command.upgrade(config, "head")
        with engine.connect() as connection:
            windows = connection.execute(text(
                "SELECT id, started_on, left_on FROM person WHERE id > 900 ORDER BY id")).all()
            bands = connection.execute(text(
                "SELECT person_id, band, kind, started_on, ended_on FROM band_period "
                "WHERE person_id > 900 ORDER BY person_id")).all()
            memberships = connection.execute(text(
                "SELECT team_id, person_id, started_on, ended_on FROM team_membership "
                "ORDER BY person_id")).all()
            result = connection.execute(text(
                "SELECT evidence_ids, objective_ids FROM target_result "
                "WHERE evaluation_id = 55")).one()
        command.downgrade(config, "0009")  # and back: the ids return where they were
        with engine.connect() as connection:
            restored = connection.execute(text(
                "SELECT evidence_ids FROM target_result WHERE evaluation_id = 55")).scalar_one()
    finally:
        command.upgrade(config, "head")
        engine.dispose()
    assert (json.loads(restored) if isinstance(restored, str) else restored) == [31, 32]

    def day(value):
        return value if isinstance(value, date) or value is None else date.fromisoformat(value)

    assert [(i, day(s), day(e)) for i, s, e in windows] == [
        (901, date(2024, 3, 4), None),
        (902, date(2025, 6, 10), date(2026, 2, 1)),  # inactive: left when last changed
        (903, date(2023, 1, 2), None)]
    assert [(p, b, k, day(s), e) for p, b, k, s, e in bands] == [
        (901, "7", "employee", date(2024, 3, 4), None),
        (902, "6", "apprentice", date(2025, 6, 10), None),
        (903, None, "contractor", date(2023, 1, 2), None)]
    # Joined when both existed: 901 was there before the team, 902 came after it.
    assert [(t, p, day(s), e) for t, p, s, e in memberships] == [
        (77, 901, date(2024, 9, 1), None), (77, 902, date(2025, 6, 10), None)]
    evidence_ids, objective_ids = (json.loads(v) if isinstance(v, str) else v for v in result)
    assert (evidence_ids, objective_ids) == ([], [31, 32])

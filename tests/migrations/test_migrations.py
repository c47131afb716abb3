"""Migrations are the only way the schema is made: they reach the models, and come back down."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from app.db import migrate
from app.db.models import metadata
from app.settings import sqlalchemy_url


def test_the_migrated_schema_matches_the_models(engine, migrated):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_there_is_one_head():
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


@pytest.mark.slow
def test_every_migration_goes_down_and_up_again(database_url, app):
    probe = create_engine(sqlalchemy_url(database_url))
    try:
        script = ScriptDirectory.from_config(migrate.alembic_config(database_url))
        revisions = [r.revision for r in script.walk_revisions()]  # head first
        config = migrate.alembic_config(database_url)
        for revision in revisions:
            command.downgrade(config, f"{revision}-1" if revision != revisions[-1] else "base")
        assert set(inspect(probe).get_table_names()) <= {"alembic_version"}
        command.upgrade(config, "head")
        assert {"person", "team", "audit_entry"} <= set(inspect(probe).get_table_names())
        with probe.connect() as connection:
            assert migrate.current_revision(connection) == migrate.head_revision()
    finally:
        probe.dispose()
        app.state.engine.dispose()

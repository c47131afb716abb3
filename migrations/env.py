"""Alembic environment: targets the tables' metadata; the URL comes from the caller or GPS_DATABASE_URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, engine_from_config, pool

import app.db.models  # noqa: F401  (registers every table on the metadata)
from app.db.models import metadata
from app.settings import Settings

config = context.config
url = config.get_main_option("sqlalchemy.url") or Settings().sqlalchemy_url


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=metadata, literal_binds=True,
                      render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    engine = engine_from_config({"sqlalchemy.url": url}, prefix="sqlalchemy.",
                                poolclass=pool.NullPool)
    with engine.connect() as connection:
        _run(connection)


def _run(connection: Connection) -> None:
    is_sqlite = connection.dialect.name == "sqlite"
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=is_sqlite, compare_type=True)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # One migrator at a time, even when several replicas start together.
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7470013)")
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

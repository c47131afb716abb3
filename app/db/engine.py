"""Engines and sessions for SQLite (the embedded default) and PostgreSQL (production)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, create_engine

from app.settings import Settings


def ensure_sqlite_directory(settings: Settings) -> None:
    """Create the folder of a SQLite database file (./var on a fresh checkout)."""
    path = settings.sqlite_path()
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def make_engine(settings: Settings) -> Engine:
    url = settings.sqlalchemy_url
    if settings.is_sqlite:
        ensure_sqlite_directory(settings)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _configure_sqlite(engine)
        return engine
    # GPS's concurrency control is written for READ COMMITTED: a transaction that waited for
    # a row lock (SELECT ... FOR UPDATE, INSERT ... ON CONFLICT) carries on with the row as
    # just committed. Under REPEATABLE READ or SERIALIZABLE it would fail instead, so every
    # transaction asks for READ COMMITTED (in its BEGIN, whatever the server's default).
    return create_engine(url, pool_size=settings.database_pool_size, max_overflow=10,
                         pool_pre_ping=True, pool_recycle=1800,
                         isolation_level="READ COMMITTED")


def _configure_sqlite(engine: Engine) -> None:
    """Turn on WAL and foreign keys, and make transactions begin as writers.

    pysqlite's own transaction handling is switched off so that SQLAlchemy's BEGIN is the one
    that counts; BEGIN IMMEDIATE takes the write lock up front, so two writers queue on
    busy_timeout instead of failing half-way with "database is locked".
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):  # type: ignore[no-untyped-def]
        options = connection.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT":
            return
        connection.exec_driver_sql(f"BEGIN {options.get(_SQLITE_BEGIN, 'IMMEDIATE')}")


_SQLITE_BEGIN = "gps_sqlite_begin"


def make_session_factory(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    """Sessions for a unit of work; read-only ones never take SQLite's write lock."""
    bind = engine.execution_options(**{_SQLITE_BEGIN: "DEFERRED"}) if read_only else engine
    # Objects stay readable after commit so responses can be built from them.
    return sessionmaker(bind=bind, class_=Session, expire_on_commit=False)

"""Engines and sessions for SQLite (the embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Dialect, Engine, make_url
from sqlalchemy.exc import DatabaseError, DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session, create_engine

from app.db.watchdog import WatchedConnection
from app.settings import DATABASE_POOL_OVERFLOW, Settings

# How long after PostgreSQL's own statement timeout GPS stops waiting for its answer: by then
# the server's error would have arrived, so the server (or the path to it) is gone.
ANSWER_GRACE_SECONDS = 1.0


def ensure_sqlite_directory(settings: Settings) -> None:
    """Create the folder of a SQLite database file (./var on a fresh checkout)."""
    path = settings.sqlite_path()
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def make_engine(settings: Settings) -> Engine:
    url = settings.sqlalchemy_url
    if settings.is_sqlite:
        ensure_sqlite_directory(settings)
        busy = settings.database_statement_timeout_seconds
        pool = {} if settings.sqlite_path() is None else {
            # As many kept connections as PostgreSQL gets, so requests served at once do not
            # open and close connections of their own.
            "pool_size": settings.database_pool_size, "max_overflow": DATABASE_POOL_OVERFLOW,
            "pool_timeout": settings.database_pool_timeout_seconds}
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": busy},
                               **pool)
        _configure_sqlite(engine, busy_seconds=busy)
        return engine
    statement_ms = settings.database_statement_timeout_seconds * 1000
    idle_ms = settings.database_idle_transaction_timeout_seconds * 1000
    # Server options already in the URL (`?options=-c search_path=...`) are kept: GPS's own
    # come first, so a URL that sets the same parameter has the last word.
    own_options = f"-c statement_timeout={statement_ms} " \
                  f"-c idle_in_transaction_session_timeout={idle_ms}"
    url_options = make_url(url).query.get("options")
    if isinstance(url_options, tuple):
        url_options = " ".join(url_options)
    engine = create_engine(
        url, pool_size=settings.database_pool_size, max_overflow=DATABASE_POOL_OVERFLOW,
        # Each connection is checked before use, so those broken while the database was away
        # are replaced, and the first request after it returns succeeds.
        pool_pre_ping=True, pool_recycle=1800,
        pool_timeout=settings.database_pool_timeout_seconds,
        # GPS's concurrency control is written for READ COMMITTED: a transaction that waited
        # for a row lock (SELECT ... FOR UPDATE, INSERT ... ON CONFLICT) carries on with the
        # row as just committed. Under REPEATABLE READ or SERIALIZABLE it would fail instead,
        # so every transaction asks for READ COMMITTED (in its BEGIN, whatever the default).
        isolation_level="READ COMMITTED",
        connect_args={
            "connect_timeout": settings.database_connect_timeout_seconds,
            # The server ends a statement running (or waiting for a lock) too long, and the
            # session of a client that went silent mid-transaction, freeing its locks.
            "options": f"{own_options} {url_options}" if url_options else own_options,
        })
    answer_within = settings.database_statement_timeout_seconds + ANSWER_GRACE_SECONDS

    @event.listens_for(engine, "do_connect")
    def _connect(_dialect: Dialect, _record: ConnectionPoolEntry, cargs: list[Any],
                 cparams: dict[str, Any]) -> WatchedConnection:
        connection = WatchedConnection.connect(*cargs, **cparams)
        connection.answer_within = answer_within
        return connection

    return engine


def is_unavailable(exc: BaseException) -> bool:
    """Whether an error means the database cannot be used just now, rather than a fault in
    the request or in GPS: it is down, unreachable, too slow, locked, or no pooled connection
    came free in time."""
    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    # The bare DatabaseError class is what SQLite raises for a file that is not a database.
    return exc.connection_invalidated or isinstance(exc, OperationalError) or \
        type(exc) is DatabaseError


def _configure_sqlite(engine: Engine, *, busy_seconds: int) -> None:
    """Turn on WAL and foreign keys, and make transactions begin as writers.

    pysqlite's own transaction handling is switched off so that SQLAlchemy's BEGIN is the one
    that counts; BEGIN IMMEDIATE takes the write lock up front, so two writers queue on
    busy_timeout instead of failing half-way with "database is locked" (a writer that waits
    longer than that gets it, and the request a 503).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_seconds * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
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

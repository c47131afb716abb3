"""Give up on a PostgreSQL server that stopped answering, instead of waiting forever.

PostgreSQL's own statement_timeout ends a statement that runs too long, but only a server that
can still be reached can send that error. When the network path breaks without closing the
connection (a partition, or a proxy or load balancer that keeps accepting bytes but forwards
none), the driver would wait for an answer that never comes, holding the request, its thread
and its pooled connection for good.

Every round trip of a watched connection (a statement, a fetch, the pool's ping, commit and
rollback all pass through psycopg's `Connection.wait`) is registered with one watchdog thread
per process. When the server has not answered within the limit, the watchdog shuts the
connection's socket down: the driver then fails at once with "server closed the connection",
SQLAlchemy throws the connection away, and the request is answered 503 like any other outage.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

log = logging.getLogger("gps.db")

CHECK_INTERVAL_SECONDS = 0.25


class _Watchdog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[int, tuple[float, WatchedConnection]] = {}
        self._thread: threading.Thread | None = None

    @contextmanager
    def watching(self, connection: WatchedConnection) -> Iterator[None]:
        key = id(connection)
        with self._lock:
            outermost = key not in self._waiting
            if outermost:
                self._waiting[key] = (time.monotonic() + connection.answer_within, connection)
                self._start()
        try:
            yield
        finally:
            if outermost:
                # Under the lock: while an entry is registered its connection is still open,
                # so the watchdog never shuts down a socket that has since been reused.
                with self._lock:
                    self._waiting.pop(key, None)

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._watch, name="gps-db-watchdog",
                                            daemon=True)
            self._thread.start()

    def _watch(self) -> None:
        while True:
            time.sleep(CHECK_INTERVAL_SECONDS)
            now = time.monotonic()
            with self._lock:
                for key, (deadline, connection) in list(self._waiting.items()):
                    if deadline <= now:
                        del self._waiting[key]
                        _shut_down(connection)


def _shut_down(connection: WatchedConnection) -> None:
    log.warning("the database has not answered for %.0f s: dropping the connection",
                connection.answer_within)
    try:
        # A duplicate descriptor: shutting it down ends the connection for the driver too,
        # and closing it leaves the driver's own descriptor for the driver to close.
        with socket.socket(fileno=os.dup(connection.pgconn.socket)) as sock:
            sock.shutdown(socket.SHUT_RDWR)
    except (OSError, psycopg.Error):
        pass  # already closed


_watchdog = _Watchdog()


class WatchedConnection(psycopg.Connection[Any]):
    """A psycopg connection whose every round trip must be answered within `answer_within`."""

    answer_within: float = 60.0

    def wait(self, *args: Any, **kwargs: Any) -> Any:
        with _watchdog.watching(self):
            return super().wait(*args, **kwargs)

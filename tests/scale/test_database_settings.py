"""What GPS asks of PostgreSQL itself, whatever the server's or role's defaults say."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.db.engine import make_engine
from app.settings import Settings

pytestmark = pytest.mark.postgres_only


@pytest.mark.parametrize("default", ["repeatable read", "serializable"])
def test_every_transaction_runs_read_committed_whatever_the_default(database_url, default):
    """Row locks and ON CONFLICT are written for READ COMMITTED; a role or database set to a
    stricter default must not turn waits into serialization failures."""
    options = "?options=-c%20default_transaction_isolation%3D" + default.replace(" ", "%5C%20")
    engine = make_engine(Settings(database_url=database_url + options, database_pool_size=1))
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql(
                "SHOW default_transaction_isolation").scalar() == default
        with engine.begin() as connection:
            assert connection.execute(text("SHOW transaction_isolation")).scalar() == \
                "read committed"
    finally:
        engine.dispose()


def test_server_options_in_the_url_are_kept_beside_gps_timeouts(database_url):
    """A deployment's own `?options=` (here a search path) and GPS's statement timeout both
    reach the server."""
    options = "?options=-c%20search_path%3Dgps_elsewhere%2Cpublic"
    engine = make_engine(Settings(database_url=database_url + options, database_pool_size=1,
                                  database_statement_timeout_seconds=7))
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SHOW search_path").scalar() == \
                "gps_elsewhere,public"
            assert connection.exec_driver_sql("SHOW statement_timeout").scalar() == "7s"
    finally:
        engine.dispose()

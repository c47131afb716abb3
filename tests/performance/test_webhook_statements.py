"""What one Jira delivery costs, in SQL statements: deliveries per second is what a busy
Jira site asks of GPS, so a new statement on this path is a decision, not an accident.

A delivery is two transactions (stored, then applied); SQLite adds a BEGIN to each. Counts are
for a ticket in one sprint the database already knows, on a warm process.
"""

from __future__ import annotations

import pytest

from tests import figures
from tests.api.test_jira import SPRINTS, done, moved_out, post

# PostgreSQL, per delivery:
#   store:   INSERT webhook_delivery ... ON CONFLICT DO NOTHING
#   apply:   SELECT the delivery FOR UPDATE, SAVEPOINT, [the work], RELEASE, UPDATE its outcome
# The work:
#   done        the row (one conditional upsert), sprint, board, person,
#               evidence lookup, evidence insert
#   moved out   the row, sprint, board, evidence lookup, its retraction
#   superseded  the row, which refuses the event: nothing else is read or written
EXPECTED = {"done": 11, "moved out": 10, "superseded": 6}
SQLITE_BEGINS = 2


def test_statements_per_jira_delivery(client, org, db, statements, db_kind):
    one_sprint = [SPRINTS[1]]
    post(client, done(1, key="WARM-1", sprints=one_sprint), delivery="warm")
    sends = {"done": (done(1, sprints=one_sprint), "applied"),
             "moved out": (moved_out(3, sprints=one_sprint), "applied"),
             "superseded": (done(2, sprints=one_sprint), "superseded")}
    counted = {}
    for name, (body, status) in sends.items():
        with statements() as seen:
            answer = post(client, body, delivery=name)
        assert answer.json()["status"] == status, answer.text
        counted[name] = seen
    extra = SQLITE_BEGINS if db_kind == "sqlite" else 0
    for name, seen in counted.items():
        figures.record(f"SQL statements per Jira delivery, {name} ({db_kind})", seen.count)
    for name, seen in counted.items():
        assert seen.count == EXPECTED[name] + extra, (
            f"{name}: {seen.count} statements:\n" + "\n".join(s[:160] for s in seen.sql))


@pytest.mark.parametrize("sprints", [2, 5])
def test_a_tickets_sprints_on_one_board_read_the_board_once(client, org, db, statements,
                                                            sprints):
    listed = [dict(SPRINTS[1], id=500 + n, state="closed") for n in range(sprints)]
    post(client, done(1, key="WARM-1", sprints=listed), delivery="warm")
    with statements() as seen:
        post(client, done(1, sprints=listed), delivery="d")
    assert sum("FROM team_board" in s for s in seen.sql) == 1

"""The Jira Cloud webhook: signatures, deduplication, Done and back, sprints, unknown people."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import col, select

from app.db.growth import Evidence
from app.db.integrations import Sprint, WebhookDelivery
from app.domain.signatures import sign
from tests.conftest import JIRA_SECRET

URL = "/v1/integrations/jira/webhook"
ACCOUNT = "5b10ac8d82e05b22cc7d4ef5"  # the `org` fixture's dev
SPRINTS = [
    {"id": 36, "name": "Appointments Sprint 11", "state": "closed", "boardId": 42,
     "startDate": "2025-09-22T08:00:00.000Z", "endDate": "2025-10-06T08:00:00.000Z",
     "completeDate": "2025-10-06T09:12:00.000Z"},
    {"id": 37, "name": "Appointments Sprint 12", "state": "active", "boardId": 42,
     "startDate": "2025-10-06T08:00:00.000Z", "endDate": "2025-10-20T08:00:00.000Z"},
]


def issue_updated(*, key="APPT-101", category="done", status_name="Done", assignee=ACCOUNT,
                  items=None, sprints=SPRINTS, event="jira:issue_updated",
                  timestamp=1760006400117, changelog="10200"):
    """A trimmed but faithful Jira Cloud issue_updated delivery (no e-mail addresses)."""
    return {
        "timestamp": timestamp,
        "webhookEvent": event,
        "issue_event_type_name": "issue_generic",
        "user": {"accountId": "557058:f58131cb", "displayName": "Automation for Jira",
                 "active": True},
        "issue": {
            "id": "10042", "key": key,
            "self": f"https://example.atlassian.net/rest/api/2/issue/{key}",
            "fields": {
                "summary": "Show the next free appointment first",
                "project": {"id": "10001", "key": key.split("-")[0], "name": "Appointments"},
                "assignee": None if assignee is None else {
                    "accountId": assignee, "displayName": "Dev", "active": True,
                    "timeZone": "Europe/London"},
                "status": {"name": status_name, "id": "10002",
                           "statusCategory": {"id": 3 if category == "done" else 4,
                                              "key": category, "name": category.title()}},
                "customfield_10020": sprints,
                "updated": "2025-10-09T11:40:00.117+0100",
            },
        },
        "changelog": {"id": changelog, "items": items if items is not None else [
            {"field": "status", "fieldtype": "jira", "fieldId": "status", "from": "3",
             "fromString": "In Review", "to": "10002", "toString": status_name}]},
    }


def post(client, payload, *, delivery="d-1", secret=JIRA_SECRET, retry=None, raw=None):
    body = raw if raw is not None else json.dumps(payload).encode()
    headers = {"Content-Type": "application/json", "X-Atlassian-Webhook-Identifier": delivery}
    if secret is not None:
        headers["X-Hub-Signature"] = sign(secret, body)
    if retry is not None:
        headers["X-Atlassian-Webhook-Retry"] = str(retry)
    return client.post(URL, content=body, headers=headers)


def tickets(db, *, current=True):
    stmt = select(Evidence).where(Evidence.kind == "ticket_done")
    if current:
        stmt = stmt.where(col(Evidence.retracted_at).is_(None))
    return db.exec(stmt.order_by(col(Evidence.id))).all()


def test_a_ticket_moved_to_done_is_evidence_in_its_active_sprint(client, org, db):
    answer = post(client, issue_updated())
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "applied" and answer.json()["duplicate"] is False
    [evidence] = tickets(db)
    assert (evidence.person_id, evidence.source, evidence.external_id) == (
        org["dev"].id, "jira", "APPT-101")
    assert evidence.title == "APPT-101 Show the next free appointment first"
    assert evidence.details["sprint"] == {"id": 37, "name": "Appointments Sprint 12",
                                          "state": "active", "board_id": 42}
    assert str(evidence.occurred_on) == "2025-10-09"
    assert {s.id for s in db.exec(select(Sprint)).all()} == {36, 37}


def test_sprints_seen_belong_to_the_team_that_owns_the_board(client, org, db, as_):
    team = client.post("/v1/teams", headers=as_(org["admin"]),
                       json={"name": "Appointments", "jira_board_ids": [42]}).json()
    post(client, issue_updated())
    assert {s.team_id for s in db.exec(select(Sprint)).all()} == {team["id"]}


def _sprint_rows(db):
    db.expire_all()
    return {s.id: (s.name, s.state, s.team_id, str(s.end_date), str(s.complete_date),
                   s.updated_at) for s in db.exec(select(Sprint)).all()}


def test_a_delivery_that_repeats_what_is_recorded_of_a_sprint_leaves_it_alone(
        client, org, db, as_, statements):
    post(client, issue_updated(key="APPT-1"), delivery="d-1")
    first = _sprint_rows(db)
    with statements() as seen:
        post(client, issue_updated(key="APPT-2"), delivery="d-2")
    assert _sprint_rows(db) == first  # not even updated_at moved
    assert not [s for s in seen.sql if s.upper().startswith(("UPDATE SPRINT",
                                                                   "INSERT INTO SPRINT"))]
    # The sprint closes: the next delivery records it.
    closed = [SPRINTS[0], dict(SPRINTS[1], state="closed",
                               completeDate="2025-10-20T09:00:00.000Z")]
    post(client, issue_updated(key="APPT-3", sprints=closed), delivery="d-3")
    after = _sprint_rows(db)
    assert after[37][1] == "closed" and after[37][4] == "2025-10-20"
    assert after[37][5] > first[37][5]
    assert after[36] == first[36]
    # The board is given to a team later: the next delivery files the sprints under it,
    # though what it says of them has not changed.
    team = client.post("/v1/teams", headers=as_(org["admin"]),
                       json={"name": "Appointments", "jira_board_ids": [42]}).json()
    post(client, issue_updated(key="APPT-4", sprints=closed), delivery="d-4")
    assert {row[2] for row in _sprint_rows(db).values()} == {team["id"]}


def test_a_delivery_row_is_written_once_when_applied(client, org, db, statements):
    with statements() as seen:
        post(client, issue_updated(), delivery="d-1")
    writes = [s for s in seen.sql if s.upper().startswith("UPDATE WEBHOOK_DELIVERY")]
    assert len(writes) == 1
    [delivery] = db.exec(select(WebhookDelivery)).all()
    assert (delivery.status, delivery.attempts) == ("applied", 1)


def test_without_an_active_sprint_the_latest_counts(client, org, db):
    closed = [dict(s, state="closed") for s in SPRINTS]
    post(client, issue_updated(sprints=closed))
    assert tickets(db)[0].details["sprint"]["id"] == 37


def test_bad_or_missing_signatures_are_401_and_store_nothing(client, org, db):
    payload = issue_updated()
    assert post(client, payload, secret="wrong").status_code == 401
    missing = post(client, payload, secret=None)
    assert missing.status_code == 401
    assert missing.headers["content-type"] == "application/problem+json"
    body = json.dumps(payload).encode()
    tampered = client.post(URL, content=body + b" ", headers={
        "X-Hub-Signature": sign(JIRA_SECRET, body), "X-Atlassian-Webhook-Identifier": "t"})
    assert tampered.status_code == 401
    assert db.exec(select(WebhookDelivery)).all() == [] and tickets(db) == []


def test_a_retried_delivery_answers_2xx_and_changes_nothing(client, org, db):
    first = post(client, issue_updated(), delivery="abc")
    again = post(client, issue_updated(), delivery="abc", retry=1)
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert len(tickets(db)) == 1 and len(db.exec(select(WebhookDelivery)).all()) == 1
    assert first.json()["delivery_id"] == "abc"


def test_a_second_delivery_about_the_same_done_ticket_counts_once(client, org, db):
    post(client, issue_updated(), delivery="one")
    post(client, issue_updated(), delivery="two")
    assert len(tickets(db)) == 1


def test_a_move_out_of_done_retracts_and_back_in_restores(client, org, db):
    post(client, done(1), delivery="1")
    reopened = post(client, moved_out(2), delivery="2")
    assert reopened.json()["status"] == "applied"
    assert tickets(db) == [] and len(tickets(db, current=False)) == 1
    post(client, done(3), delivery="3")
    assert len(tickets(db)) == 1 and len(tickets(db, current=False)) == 1


def test_a_deleted_issue_retracts_its_evidence(client, org, db):
    post(client, done(1), delivery="1")
    deleted = issue_updated(event="jira:issue_deleted", items=[], timestamp=at(2))
    assert post(client, deleted, delivery="2").json()["status"] == "applied"
    assert tickets(db) == []


# --- event order ------------------------------------------------------------------------------
#
# The n-th event in a ticket's history: Jira's changelog id 10200 + n, at 2025-10-09 10:40 UTC
# plus n minutes.


def at(n):
    return 1760006400117 + n * 60_000


def done(n, **kw):
    return issue_updated(timestamp=at(n), changelog=str(10200 + n), **kw)


def moved_out(n, **kw):
    return issue_updated(category="indeterminate", status_name="In Progress", timestamp=at(n),
                         changelog=str(10200 + n), **kw)


def statuses(db):
    db.expire_all()
    return {d.delivery_id: d.status for d in db.exec(select(WebhookDelivery))}


def test_a_done_body_re_sent_under_a_new_delivery_id_after_a_move_out_of_done_credits_nothing(
        client, org, db):
    body = done(1)
    post(client, body, delivery="original")
    post(client, moved_out(2), delivery="moved-out")
    assert tickets(db) == []
    again = post(client, body, delivery="replayed-by-someone")  # signed, but a new id
    assert again.status_code == 200
    assert (again.json()["status"], again.json()["duplicate"]) == ("superseded", False)
    assert "newer event was applied already" in again.json()["detail"]
    assert tickets(db) == [] and len(tickets(db, current=False)) == 1
    assert statuses(db) == {"original": "applied", "moved-out": "applied",
                            "replayed-by-someone": "superseded"}


def test_a_late_done_arriving_after_the_move_out_is_superseded(client, org, db):
    """Jira retries for up to 30 minutes: the ticket was done, then moved out; the move out
    arrives first, the done (a retry of a delivery that timed out) after it."""
    post(client, moved_out(2), delivery="moved-out")
    late = post(client, done(1), delivery="done", retry=3)
    assert late.status_code == 200 and late.json()["status"] == "superseded"
    assert tickets(db, current=False) == []
    # Its own retries are still duplicates of it, and change nothing either.
    assert post(client, done(1), delivery="done", retry=4).json()["duplicate"] is True
    assert tickets(db, current=False) == []


def test_a_late_move_out_does_not_retract_a_later_done(client, org, db):
    post(client, done(1), delivery="done-1")
    post(client, done(3), delivery="done-3")
    late = post(client, moved_out(2), delivery="moved-out-2")
    assert late.json()["status"] == "superseded"
    assert len(tickets(db)) == 1


def test_events_in_order_still_apply(client, org, db):
    answers = [post(client, body, delivery=f"d{n}").json()["status"] for n, body in enumerate(
        [done(1), moved_out(2), done(3), moved_out(4), done(5)])]
    assert answers == ["applied"] * 5
    [evidence] = tickets(db)
    assert evidence.version == 5  # created, retracted, restored, retracted, restored


def test_the_changelog_orders_events_when_jiras_clock_does_not(client, org, db):
    """Two changes in one millisecond, or stamped by two Jira nodes whose clocks disagree:
    the changelog id, which Jira gives an issue's changes in order, decides."""
    change = issue_updated(category="indeterminate", status_name="In Progress",
                              timestamp=at(1), changelog="10202")
    post(client, change, delivery="moved-out")
    late = post(client, issue_updated(timestamp=at(5), changelog="10201"), delivery="done")
    assert late.json()["status"] == "superseded" and tickets(db) == []


def test_a_late_done_after_the_issue_was_deleted_is_superseded(client, org, db):
    post(client, done(1), delivery="done")
    deleted = issue_updated(event="jira:issue_deleted", items=[], timestamp=at(4),
                            changelog=None)
    post(client, deleted, delivery="deleted")
    assert post(client, done(3), delivery="late").json()["status"] == "superseded"
    assert tickets(db) == []


def test_the_same_event_from_a_second_webhook_is_applied_and_counts_once(client, org, db):
    """Two webhooks registered for one project: Jira sends each event to both, under two
    delivery ids. The same event is not older than itself."""
    first = post(client, done(1), delivery="hook-a")
    second = post(client, done(1), delivery="hook-b")
    assert [first.json()["status"], second.json()["status"]] == ["applied", "applied"]
    assert len(tickets(db)) == 1


def test_a_superseded_delivery_writes_nothing_but_its_own_row(client, org, db, statements):
    post(client, moved_out(2), delivery="moved-out")
    with statements() as seen:
        answer = post(client, done(1, sprints=[dict(SPRINTS[1], id=88)]), delivery="late")
    assert answer.json()["status"] == "superseded"
    writes = [s.split(" (")[0].split(" SET")[0] for s in seen.sql
              if s.upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    # The delivery's row is stored, the issue's row is offered the event (and refuses it),
    # and the delivery's outcome is written.
    assert writes == ["INSERT INTO webhook_delivery", "INSERT INTO jira_issue_state",
                      "UPDATE webhook_delivery"]
    assert db.get(Sprint, 88) is None  # what an old event said of its sprint is not recorded


def test_superseded_deliveries_are_listed_as_such(client, org, db, as_):
    post(client, moved_out(2), delivery="moved-out")
    post(client, done(1), delivery="late")
    listed = client.get("/v1/integrations/deliveries?source=jira&status=superseded",
                        headers=as_(org["admin"]))
    assert listed.status_code == 200
    assert [d["delivery_id"] for d in listed.json()["items"]] == ["late"]


def test_an_unknown_persons_done_older_than_a_move_out_never_counts(client, org, as_, db):
    """The done waits for its person; meanwhile the ticket moves out of Done. When the
    person's Jira id is added, replaying the done finds it older, and credits nothing."""
    stranger = "712020:late-mapped"
    assert post(client, done(1, assignee=stranger), delivery="done").json()["status"] == (
        "unmatched")
    post(client, moved_out(2, assignee=stranger), delivery="moved-out")
    admin = as_(org["admin"])
    url = f"/v1/people/{org['peer'].id}"
    etag = client.get(url, headers=admin).headers["etag"]
    assert client.patch(url, headers={**admin, "If-Match": etag},
                        json={"jira_account_id": stranger}).status_code == 200
    assert tickets(db, current=False) == []
    assert statuses(db) == {"done": "superseded", "moved-out": "applied"}
    assert client.post("/v1/integrations/deliveries/replay", headers=admin).json() == {
        "replayed": 0, "applied": 0}
    assert tickets(db, current=False) == []


def test_a_late_done_for_someone_known_does_not_count_over_a_newer_one_waiting(client, org,
                                                                               as_, db):
    """The ticket was done by the dev, reassigned and done again by a newcomer GPS does not
    know yet. The dev's done arrives late: the newcomer's, newer, is the ticket's state."""
    newcomer = "acct-newcomer"
    assert post(client, done(5, assignee=newcomer), delivery="newer").json()["status"] == (
        "unmatched")
    assert post(client, done(3), delivery="older").json()["status"] == "superseded"
    assert tickets(db) == []
    admin = as_(org["admin"])
    url = f"/v1/people/{org['peer'].id}"
    etag = client.get(url, headers=admin).headers["etag"]
    client.patch(url, headers={**admin, "If-Match": etag}, json={"jira_account_id": newcomer})
    assert [e.person_id for e in tickets(db)] == [org["peer"].id]
    assert statuses(db) == {"newer": "applied", "older": "superseded"}


def test_a_done_older_than_what_was_applied_is_not_left_waiting(client, org, db):
    post(client, moved_out(2, assignee="acct-nobody-yet"), delivery="moved-out")
    answer = post(client, done(1, assignee="acct-nobody-yet"), delivery="late")
    assert answer.json()["status"] == "superseded"


def _stranded(db, delivery_id, body, *, minutes_ago=5):
    """A delivery stored, then cut off before it was applied (the database went away)."""
    from datetime import timedelta

    from app.db.types import utcnow

    db.add(WebhookDelivery(source="jira", delivery_id=delivery_id,
                           event_type=body["webhookEvent"],
                           received_at=utcnow() - timedelta(minutes=minutes_ago),
                           body=json.dumps(body), status="received", subjects=[], attempts=0))
    db.commit()


def test_replay_applies_stored_deliveries_in_event_order(client, org, db, as_):
    """Stranded in the opposite order to their events: replay applies the move out, then the
    later done, and both count as applied; the ticket ends done, as its last event says."""
    _stranded(db, "arrived-first", done(3))
    _stranded(db, "arrived-second", moved_out(2))
    replayed = client.post("/v1/integrations/deliveries/replay", headers=as_(org["admin"]))
    assert replayed.json() == {"replayed": 2, "applied": 2}
    assert statuses(db) == {"arrived-first": "applied", "arrived-second": "applied"}
    assert len(tickets(db)) == 1


def test_replay_never_lets_an_older_delivery_win(client, org, db, as_):
    post(client, moved_out(5), delivery="moved-out")
    _stranded(db, "old-done", done(3))
    _stranded(db, "older-done", done(1))
    replayed = client.post("/v1/integrations/deliveries/replay", headers=as_(org["admin"]))
    assert replayed.json() == {"replayed": 2, "applied": 0}
    assert statuses(db) == {"moved-out": "applied", "old-done": "superseded",
                            "older-done": "superseded"}
    assert tickets(db, current=False) == []


@pytest.mark.parametrize("payload", [
    issue_updated(items=[{"field": "summary", "fieldtype": "jira", "fieldId": "summary",
                          "fromString": "a", "toString": "b"}]),
    {"timestamp": 1760006400117, "webhookEvent": "sprint_started", "sprint": {"id": 38}},
    {"webhookEvent": "comment_created", "comment": {"body": "hello"}},
    {},
    {"webhookEvent": "jira:issue_updated", "issue": "not an object", "changelog": None},
    {"webhookEvent": "jira:issue_updated", "issue": {"key": 5, "fields": []}},
])
def test_other_events_and_odd_shapes_are_stored_and_count_nothing(client, org, db, payload):
    answer = post(client, payload)
    assert answer.status_code == 200
    assert answer.json()["status"] == "ignored"
    assert tickets(db) == []
    assert len(db.exec(select(WebhookDelivery)).all()) == 1


def test_a_body_that_is_not_json_is_400(client, db):
    answer = post(client, None, raw=b"<xml>not json</xml>")
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/problem+json"
    assert db.exec(select(WebhookDelivery)).all() == []


def test_an_unknown_person_is_kept_unmatched_and_applied_when_mapped(client, org, as_, db):
    stranger = "712020:0e7c3a4b-new-starter"
    answer = post(client, issue_updated(assignee=stranger, key="APPT-7"))
    assert answer.json()["status"] == "unmatched"
    assert tickets(db) == []
    admin = as_(org["admin"])
    listed = client.get("/v1/integrations/deliveries?source=jira&status=unmatched",
                        headers=admin).json()["items"]
    assert [d["subjects"] for d in listed] == [[f"jira:{stranger}"]]
    url = f"/v1/people/{org['peer'].id}"
    etag = client.get(url, headers=admin).headers["etag"]
    mapped = client.patch(url, headers={**admin, "If-Match": etag},
                          json={"jira_account_id": stranger})
    assert mapped.status_code == 200
    [evidence] = tickets(db)
    assert (evidence.person_id, evidence.external_id) == (org["peer"].id, "APPT-7")
    assert client.get("/v1/integrations/deliveries?status=unmatched",
                      headers=admin).json()["items"] == []
    # Replaying again applies nothing twice.
    replayed = client.post("/v1/integrations/deliveries/replay", headers=admin)
    assert replayed.json() == {"replayed": 0, "applied": 0}
    assert len(tickets(db)) == 1


def test_a_new_person_picks_up_deliveries_waiting_for_them(client, org, as_, db):
    post(client, issue_updated(assignee="acct-newcomer", key="APPT-9"))
    created = client.post("/v1/people", headers=as_(org["admin"]), json={
        "name": "Newcomer", "email": "new@example.org", "kind": "employee", "band": "6",
        "line_manager_id": org["senior"].id, "jira_account_id": "acct-newcomer"})
    assert created.status_code == 201
    assert [e.person_id for e in tickets(db)] == [created.json()["id"]]


def test_deliveries_are_for_admins_only(client, org, as_):
    assert client.get("/v1/integrations/deliveries", headers=as_(org["senior"])).status_code == 403
    assert client.post("/v1/integrations/deliveries/replay",
                       headers=as_(org["dev"])).status_code == 403


@pytest.mark.postgres_only
def test_concurrent_duplicate_deliveries_are_applied_once(client, org, db):
    """Eight copies of one delivery arrive at once (Jira retrying while the first is still
    being handled); each is answered 2xx and the ticket counts once."""
    import threading

    body = json.dumps(issue_updated()).encode()
    headers = {"Content-Type": "application/json", "X-Atlassian-Webhook-Identifier": "same",
               "X-Hub-Signature": sign(JIRA_SECRET, body)}
    start = threading.Barrier(8)
    answers = []

    def send():
        start.wait(5)
        answers.append(client.post(URL, content=body, headers=headers))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(a.status_code for a in answers) == [200] * 8
    assert sum(not a.json()["duplicate"] for a in answers) == 1
    assert len(tickets(db)) == 1
    assert len(db.exec(select(WebhookDelivery)).all()) == 1


@pytest.mark.postgres_only
def test_concurrent_different_deliveries_about_one_ticket_count_it_once(client, org, db):
    import threading

    start = threading.Barrier(6)
    answers = []

    def send(n):
        body = json.dumps(issue_updated()).encode()
        start.wait(5)
        answers.append(client.post(URL, content=body, headers={
            "Content-Type": "application/json", "X-Atlassian-Webhook-Identifier": f"d{n}",
            "X-Hub-Signature": sign(JIRA_SECRET, body)}))

    threads = [threading.Thread(target=send, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(a.status_code for a in answers) == [200] * 6
    assert len(tickets(db)) == 1


@pytest.mark.postgres_only
def test_a_sprint_first_seen_by_two_deliveries_at_once_is_recorded_once(app, org, db):
    """Delivery A records a new sprint and has not committed; delivery B, about another
    ticket in that sprint, waits for A instead of failing on the sprint's key."""
    import threading
    from datetime import UTC, datetime

    from sqlalchemy import text
    from sqlmodel import Session

    from app.services.integrations import jira

    sprints = [dict(SPRINTS[1], id=99)]
    apply: dict[str, Any] = dict(sprint_field="customfield_10020",
                                 received_at=datetime.now(UTC))
    outcomes, errors = [], []

    def deliver_b():
        try:
            with Session(app.state.engine) as session:
                outcomes.append(jira.apply_delivery(
                    session, issue_updated(key="APPT-2", sprints=sprints), **apply))
                session.commit()
        except Exception as exc:  # reported below
            errors.append(exc)

    with Session(app.state.engine) as first:
        outcomes.append(jira.apply_delivery(first, issue_updated(key="APPT-1", sprints=sprints),
                                            **apply))
        second = threading.Thread(target=deliver_b)
        second.start()
        for _ in range(300):  # until B waits for A's sprint row (or has given up)
            if not second.is_alive() or db.exec(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'")).one()[0]:
                break
            second.join(0.1)
        first.commit()
    second.join(30)
    assert errors == []
    assert [o.status for o in outcomes] == ["applied", "applied"]
    assert [s.id for s in db.exec(select(Sprint)).all()] == [99]
    assert sorted(e.external_id for e in tickets(db)) == ["APPT-1", "APPT-2"]


def test_text_with_nul_characters_is_cleaned_not_refused(client, org, db):
    payload = issue_updated()
    payload["issue"]["fields"]["summary"] = "Fix\u0000 the slots"
    answer = post(client, payload)
    assert answer.json()["status"] == "applied"
    assert tickets(db)[0].title == "APPT-101 Fix the slots"


def test_a_delivery_that_fails_to_apply_is_kept_as_failed_and_applied_on_retry(
        client, org, db, monkeypatch):
    """Applying fails half-way (after its sprints were recorded): the sender is told to
    retry, nothing of the attempt stays but the stored delivery, marked failed, and the
    retry applies it."""
    from app.services.integrations import integration_evidence

    real = integration_evidence.upsert

    def broken(*args, **kwargs):
        raise RuntimeError("simulated fault while applying")

    monkeypatch.setattr(integration_evidence, "upsert", broken)
    answer = post(client, issue_updated(sprints=[dict(SPRINTS[1], id=77)]), delivery="d-9")
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    [delivery] = db.exec(select(WebhookDelivery)).all()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert tickets(db) == []
    assert db.get(Sprint, 77) is None  # rolled back with the rest of the attempt

    monkeypatch.setattr(integration_evidence, "upsert", real)
    again = post(client, issue_updated(sprints=[dict(SPRINTS[1], id=77)]), delivery="d-9")
    assert again.status_code == 200 and again.json()["status"] == "applied"
    db.expire_all()
    [delivery] = db.exec(select(WebhookDelivery)).all()
    assert (delivery.status, delivery.attempts) == ("applied", 2)
    assert len(tickets(db)) == 1 and db.get(Sprint, 77) is not None


def test_dones_waiting_for_their_person_never_count_over_a_later_move_out(client, org, db,
                                                                         as_):
    """Two dones wait for an unknown person while the ticket moves out of Done (replayed
    together, in event order). When the person's Jira id is added, both are older than the
    move out: nothing is credited."""
    stranger = "acct-unknown"
    _stranded(db, "done-3", done(3, assignee=stranger))
    _stranded(db, "moved-out-4", moved_out(4))
    _stranded(db, "done-2", done(2, assignee=stranger))
    admin = as_(org["admin"])
    assert client.post("/v1/integrations/deliveries/replay", headers=admin).json() == {
        "replayed": 3, "applied": 1}
    assert statuses(db) == {"done-2": "unmatched", "done-3": "unmatched",
                            "moved-out-4": "applied"}
    url = f"/v1/people/{org['peer'].id}"
    etag = client.get(url, headers=admin).headers["etag"]
    assert client.patch(url, headers={**admin, "If-Match": etag},
                        json={"jira_account_id": stranger}).status_code == 200
    assert statuses(db) == {"done-2": "superseded", "done-3": "superseded",
                            "moved-out-4": "applied"}
    assert tickets(db, current=False) == []


def test_a_superseded_delivery_with_an_odd_timestamp_is_still_answered(client, org, db):
    post(client, moved_out(2), delivery="moved-out")
    odd = done(1)
    odd["timestamp"] = "0001-01-01T00:00:00.000+1400"
    odd["changelog"]["id"] = "1"
    answer = post(client, odd, delivery="odd")
    assert answer.status_code == 200 and answer.json()["status"] == "superseded"


def test_a_done_stamped_past_the_calendar_is_applied_not_failed(client, org, db):
    odd = done(1)
    odd["timestamp"] = "0001-01-01T00:00:00.000+1400"
    odd["issue"]["fields"]["updated"] = "2025-10-09T11:40:00+9999"
    answer = post(client, odd, delivery="odd")
    assert answer.status_code == 200 and answer.json()["status"] == "applied"
    assert len(tickets(db)) == 1


@pytest.mark.postgres_only
def test_deliveries_about_one_ticket_applied_at_once_end_in_its_latest_state(client, org, db):
    """Each round, a ticket's four events (done, moved out, done, moved out, or the other way
    round) are sent at once, in a shuffled order, by four threads of one app, each request
    with its own session and connection. Whatever order they are applied in, the ticket ends
    as its latest event says, counted at most once."""
    import random
    import threading

    from app.db.integrations import JiraIssueState

    shuffle = random.Random(20261206).shuffle
    rounds, events = 40, 4
    for r in range(rounds):
        key = f"APPT-{1000 + r}"
        ends_done = r % 2 == 1
        history = [(done if (n % 2 == 0) == ends_done else moved_out)(n, key=key)
                   for n in range(1, events + 1)]
        sends = [(f"{key}-{n}", body) for n, body in enumerate(history, start=1)]
        shuffle(sends)
        start = threading.Barrier(len(sends))
        answers = {}

        def send(delivery, body):
            start.wait(10)
            answers[delivery] = post(client, body, delivery=delivery)

        threads = [threading.Thread(target=send, args=item) for item in sends]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(a.status_code for a in answers.values()) == [200] * events, r
        status = {d: a.json()["status"] for d, a in answers.items()}
        assert set(status.values()) <= {"applied", "superseded"}, status
        assert status[f"{key}-{events}"] == "applied", (r, status)
        found = db.exec(select(Evidence).where(Evidence.external_id == key)).all()
        current = [e for e in found if e.retracted_at is None]
        assert len(found) <= 1 and len(current) == (1 if ends_done else 0), (r, status)
        db.expire_all()
        state = db.get(JiraIssueState, key)
        assert (state.changelog_id, state.delivery_id) == (10200 + events, f"{key}-{events}")


@pytest.mark.postgres_only
@pytest.mark.parametrize("first, second, outcome, credited", [
    (("done", 1), ("moved_out", 2), "applied", 0),  # in order: B waits, then moves it out
    (("moved_out", 2), ("done", 1), "superseded", 0),  # B, older, waits, then is refused
    (("moved_out", 1), ("done", 2), "applied", 1),
])
def test_a_delivery_about_a_ticket_waits_for_one_being_applied(app, client, org, db, first,
                                                                second, outcome, credited):
    """Delivery A about a ticket is being applied and has not committed; delivery B about the
    same ticket waits for A's row on the ticket, then is compared with what A committed."""
    import threading
    from datetime import UTC, datetime

    from sqlalchemy import text
    from sqlmodel import Session

    from app.services.integrations import jira

    events = {"done": done, "moved_out": moved_out}
    answers = []
    later = threading.Thread(target=lambda: answers.append(
        post(client, events[second[0]](second[1]), delivery="b")))
    with Session(app.state.engine) as holding:
        applied = jira.apply_delivery(holding, events[first[0]](first[1]),
                                      sprint_field="customfield_10020",
                                      received_at=datetime.now(UTC), delivery_id="a")
        assert applied.status == "applied"
        later.start()
        for _ in range(300):  # until B waits for a lock (or has finished without waiting)
            if not later.is_alive() or db.exec(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'")).one()[0]:
                break
            later.join(0.1)
        assert later.is_alive(), "B did not wait for A"
        holding.commit()
    later.join(30)
    [answer] = answers
    assert answer.status_code == 200 and answer.json()["status"] == outcome
    assert len(tickets(db)) == credited

"""Pure rules of the integrations: signatures, Jira timestamps, sprints and event order, GitHub
pushes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.domain import github, jira
from app.domain.signatures import sha256_signature_matches, sign


def test_signatures_match_only_the_exact_body_and_secret():
    body = b'{"a": 1}'
    good = sign("s3cret", body)
    assert sha256_signature_matches("s3cret", body, good)
    assert sha256_signature_matches("s3cret", body, good.upper().replace("SHA256", "sha256"))
    assert not sha256_signature_matches("s3cret", body + b" ", good)
    assert not sha256_signature_matches("other", body, good)
    assert not sha256_signature_matches("s3cret", body, good.replace("sha256=", "sha1="))
    assert not sha256_signature_matches("s3cret", body, None)
    assert not sha256_signature_matches(None, body, good)
    assert not sha256_signature_matches("", body, good)


@pytest.mark.parametrize("text, expected", [
    ("2025-10-09T11:40:00.117+0100",
     datetime(2025, 10, 9, 11, 40, 0, 117000, tzinfo=timezone(timedelta(hours=1)))),
    ("2025-10-09T11:40:00.117-0530",
     datetime(2025, 10, 9, 11, 40, 0, 117000, tzinfo=timezone(-timedelta(hours=5, minutes=30)))),
    ("2025-10-09T11:40:00+01:00",
     datetime(2025, 10, 9, 11, 40, tzinfo=timezone(timedelta(hours=1)))),
    ("2025-10-09T11:40:00.000Z", datetime(2025, 10, 9, 11, 40, tzinfo=UTC)),
    ("2025-10-09T11:40:00", datetime(2025, 10, 9, 11, 40, tzinfo=UTC)),
    (1760006400117, datetime(2025, 10, 9, 10, 40, 0, 117000, tzinfo=UTC)),
])
def test_jira_timestamps(text, expected):
    parsed = jira.parse_time(text)
    assert parsed == expected and parsed.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize("junk", ["yesterday", "", None, True, [], {}, "2025-13-45T99:99:99",
                                  10**30, "2025-10-09T11:40:00+9999",
                                  # the calendar's ends, pushed past them by their offset
                                  "0001-01-01T00:00:00.000+1400",
                                  "9999-12-31T23:59:59.999-1400"])
def test_unreadable_timestamps_are_none_not_errors(junk):
    assert jira.parse_time(junk) is None


def _sprint(n, state, start):
    return {"id": n, "name": f"S{n}", "state": state, "boardId": 4, "startDate": start}


def test_the_active_sprint_counts_else_the_latest():
    fields = {"customfield_10020": [_sprint(1, "closed", "2025-01-01T00:00:00.000Z"),
                                    _sprint(2, "active", "2025-01-15T00:00:00.000Z"),
                                    _sprint(3, "future", "2025-01-29T00:00:00.000Z")]}
    active = jira.counting_sprint(jira.sprints(fields, "customfield_10020"))
    assert active is not None and active.id == 2
    closed = {"customfield_10020": [_sprint(5, "closed", "2025-02-01T00:00:00.000Z"),
                                    _sprint(4, "closed", "2025-01-01T00:00:00.000Z")]}
    latest = jira.counting_sprint(jira.sprints(closed, "customfield_10020"))
    assert latest is not None and latest.id == 5
    assert jira.counting_sprint([]) is None
    assert jira.sprints({"customfield_10020": None}, "customfield_10020") == []
    assert jira.sprints({"other": [_sprint(1, "active", None)]}, "customfield_10020") == []
    weird = {"customfield_10020": ["not a sprint", {"id": "7"}, {"id": True}]}
    assert jira.sprints(weird, "customfield_10020") == []


def _updated(category, items):
    return {"webhookEvent": "jira:issue_updated", "timestamp": 1760006400117,
            "issue": {"key": "X-1", "fields": {
                "summary": "s", "assignee": {"accountId": "acc"},
                "status": {"statusCategory": {"key": category}}}},
            "changelog": {"items": items}}


STATUS_ITEM = [{"fieldId": "status", "field": "status"}]


def test_what_a_delivery_means():
    assert jira.interpret(_updated("done", STATUS_ITEM), sprint_field="f").change == "done"
    assert jira.interpret(_updated("indeterminate", STATUS_ITEM),
                          sprint_field="f").change == "undone"
    assert jira.interpret(_updated("done", [{"fieldId": "assignee"}]),
                          sprint_field="f").change == "none"
    deleted = {"webhookEvent": "jira:issue_deleted", "issue": {"key": "X-1"}}
    assert jira.interpret(deleted, sprint_field="f").change == "deleted"
    assert jira.interpret({"webhookEvent": "sprint_closed"}, sprint_field="f").change == "none"
    assert jira.interpret("not even a dict", sprint_field="f").change == "none"
    event = jira.interpret(_updated("done", STATUS_ITEM), sprint_field="f")
    assert (event.issue_key, event.assignee_account_id) == ("X-1", "acc")


RECEIVED = datetime(2025, 10, 9, 12, 0, tzinfo=UTC)
RECEIVED_MS = 1760011200000


def test_an_update_is_ordered_by_its_changelog_id_and_timestamp():
    update = dict(_updated("done", STATUS_ITEM), changelog={"id": "10200", "items": []})
    assert jira.event_order(update, received_at=RECEIVED) == jira.EventOrder(1760006400117, 10200)
    assert jira.event_order(dict(update, changelog={"id": 10201}),
                            received_at=RECEIVED).changelog_id == 10201
    # A deletion makes no changelog entry: only its timestamp orders it.
    deleted = {"webhookEvent": "jira:issue_deleted", "timestamp": 1760006500000,
               "changelog": {"id": "10200"}, "issue": {"key": "X-1"}}
    assert jira.event_order(deleted, received_at=RECEIVED) == jira.EventOrder(1760006500000, None)


@pytest.mark.parametrize("changelog", ["", "-3", "12a", "١٢", 2**63, True, None, [1], 1.5])
def test_an_unusable_changelog_id_is_left_out(changelog):
    update = dict(_updated("done", STATUS_ITEM), changelog={"id": changelog, "items": []})
    assert jira.event_order(update, received_at=RECEIVED).changelog_id is None


def test_without_jiras_timestamp_the_issues_update_time_then_receipt_orders_it():
    update = _updated("done", STATUS_ITEM)
    del update["timestamp"]
    assert jira.event_order(update, received_at=RECEIVED).at_ms == RECEIVED_MS
    update["issue"]["fields"]["updated"] = "2025-10-09T11:40:00.117+0100"
    assert jira.event_order(update, received_at=RECEIVED).at_ms == 1760006400117
    for junk in ("soon", 10**30, True):
        assert jira.event_order({"timestamp": junk}, received_at=RECEIVED).at_ms == RECEIVED_MS


@pytest.mark.parametrize("event, than, older", [
    ((100, 5), (100, 6), True),  # the same millisecond: the changelog tells
    ((200, 5), (100, 6), True),  # Jira's clocks disagree: the changelog still tells
    ((100, 7), (200, 6), False),
    ((100, 6), (100, 6), False),  # the same event again is not older
    ((100, None), (200, 6), True),  # a deletion and an update: timestamps tell
    ((300, 9), (200, None), False),
    ((200, 9), (200, None), False),
    ((199, 9), (200, None), True),
])
def test_which_event_is_older(event, than, older):
    assert jira.is_older(jira.EventOrder(*event), jira.EventOrder(*than)) is older


def test_replay_sorts_by_time_then_changelog():
    orders = [jira.EventOrder(200, 3), jira.EventOrder(100, None), jira.EventOrder(100, 2)]
    assert sorted(orders, key=jira.replay_key) == [orders[1], orders[2], orders[0]]


def test_a_push_is_read_safely():
    info = github.push({"ref": "refs/heads/main", "after": "ABC", "commits": [
        {"id": "AbC1", "timestamp": "2025-10-09T23:30:00-05:00", "message": "Fix\n\nbody",
         "author": {"username": "Dev-One", "email": "Dev@Example.org", "name": "Dev"}},
        {"id": None}, "junk"]})
    assert info.branch == "main" and info.head_sha == "abc"
    [commit] = info.commits
    assert (commit.sha, commit.username, commit.email, commit.message) == (
        "abc1", "dev-one", "dev@example.org", "Fix")
    assert commit.at is not None and commit.at.date().isoformat() == "2025-10-09"
    assert github.push({"ref": "refs/tags/v1"}).branch is None
    assert github.push(None).commits == []
    assert github.subject_keys(commit) == ["github:dev-one", "email:dev@example.org"]

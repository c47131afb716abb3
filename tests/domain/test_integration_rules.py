"""Pure rules of the integrations: signatures, Jira timestamps and sprints, GitHub pushes."""

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
                                  10**30])
def test_unreadable_timestamps_are_none_not_errors(junk):
    assert jira.parse_time(junk) is None


def _sprint(n, state, start):
    return {"id": n, "name": f"S{n}", "state": state, "boardId": 4, "startDate": start}


def test_the_active_sprint_counts_else_the_latest():
    fields = {"customfield_10020": [_sprint(1, "closed", "2025-01-01T00:00:00.000Z"),
                                    _sprint(2, "active", "2025-01-15T00:00:00.000Z"),
                                    _sprint(3, "future", "2025-01-29T00:00:00.000Z")]}
    assert jira.counting_sprint(jira.sprints(fields, "customfield_10020")).id == 2
    closed = {"customfield_10020": [_sprint(5, "closed", "2025-02-01T00:00:00.000Z"),
                                    _sprint(4, "closed", "2025-01-01T00:00:00.000Z")]}
    assert jira.counting_sprint(jira.sprints(closed, "customfield_10020")).id == 5
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


def test_a_push_is_read_safely():
    info = github.push({"ref": "refs/heads/main", "after": "ABC", "commits": [
        {"id": "AbC1", "timestamp": "2025-10-09T23:30:00-05:00", "message": "Fix\n\nbody",
         "author": {"username": "Dev-One", "email": "Dev@Example.org", "name": "Dev"}},
        {"id": None}, "junk"]})
    assert info.branch == "main" and info.head_sha == "abc"
    [commit] = info.commits
    assert (commit.sha, commit.username, commit.email, commit.message) == (
        "abc1", "dev-one", "dev@example.org", "Fix")
    assert commit.at.date().isoformat() == "2025-10-09"
    assert github.push({"ref": "refs/tags/v1"}).branch is None
    assert github.push(None).commits == []
    assert github.subject_keys(commit) == ["github:dev-one", "email:dev@example.org"]

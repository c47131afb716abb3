"""The GitHub webhook: signatures, ping, pushes to production, deduplication, deployments."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from sqlmodel import col, select

from app.db.growth import Evidence
from app.domain.signatures import sign
from tests.conftest import GITHUB_SECRET

URL = "/v1/integrations/github/webhook"
HEAD = "9f1c2e7d5b3a8c4e6f0a1b2c3d4e5f6a7b8c9d0e"


def commit(sha, username, email, message, timestamp="2025-10-09T11:40:00+01:00"):
    return {"id": sha, "tree_id": "t" + sha[1:], "distinct": True, "message": message,
            "timestamp": timestamp, "url": f"https://github.com/nhs/appointments/commit/{sha}",
            "author": {"name": username or "Someone", "email": email,
                       **({"username": username} if username else {})},
            "committer": {"name": "GitHub", "email": "noreply@github.com",
                          "username": "web-flow"},
            "added": [], "removed": [], "modified": ["app/booking.py"]}


def push(*, ref="refs/heads/main", commits=None, deleted=False, after=HEAD,
         repository="nhs/appointments"):
    commits = commits if commits is not None else [
        commit("a" * 40, "dev-one", "dev@example.org", "Show the next free slot first"),
        commit("b" * 40, "Peer-Dev", "peer@example.org", "Fix the slot query\n\nLonger text"),
        # A merge made in GitHub's web interface: the author is the person who merged.
        commit(HEAD, "dev-one", "dev@example.org", "Merge pull request #42 from nhs/slots"),
    ]
    return {"ref": ref, "before": "0" * 40, "after": after, "created": False,
            "deleted": deleted, "forced": False, "base_ref": None,
            "compare": "https://github.com/nhs/appointments/compare/x...y",
            "commits": [] if deleted else commits,
            "head_commit": None if deleted else commits[-1] if commits else None,
            "repository": {"id": 1, "full_name": repository, "default_branch": "main"},
            "pusher": {"name": "dev-one", "email": "dev@example.org"},
            "sender": {"login": "dev-one", "id": 7}}


def deployment_status(sha=HEAD, state="success", environment="production"):
    return {"action": "created",
            "deployment_status": {"id": 1, "state": state, "environment": environment},
            "deployment": {"id": 9, "sha": sha, "ref": "main", "environment": environment},
            "repository": {"full_name": "nhs/appointments"}}


def post(client, event, payload, *, delivery="g-1", secret=GITHUB_SECRET, sha1_only=False):
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json", "X-GitHub-Event": event,
               "X-GitHub-Delivery": delivery}
    if sha1_only:
        headers["X-Hub-Signature"] = "sha1=" + hmac.new(secret.encode(), body,
                                                        hashlib.sha1).hexdigest()
    elif secret is not None:
        headers["X-Hub-Signature-256"] = sign(secret, body)
    return client.post(URL, content=body, headers=headers)


def changes(db):
    return db.exec(select(Evidence).where(Evidence.kind == "production_change",
                                          col(Evidence.retracted_at).is_(None))
                   .order_by(col(Evidence.id))).all()


@pytest.fixture
def authors(org, db):
    """The `org` dev has GitHub login dev-one; the peer is known only by e-mail."""
    org["peer"].email = "peer@example.org"
    db.add(org["peer"])
    db.commit()
    return org


def test_ping_answers_2xx(client):
    answer = post(client, "ping", {"zen": "Keep it logically awesome.", "hook_id": 1})
    assert answer.status_code == 200 and answer.json()["detail"] == "pong"


def test_a_push_to_main_counts_each_commit_once_per_author(client, authors, db):
    answer = post(client, "push", push())
    assert answer.status_code == 200 and answer.json()["status"] == "applied"
    found = changes(db)
    assert sorted((e.person_id, e.external_id) for e in found) == sorted([
        (authors["dev"].id, "a" * 40), (authors["peer"].id, "b" * 40),
        (authors["dev"].id, HEAD)])
    fix = next(e for e in found if e.external_id == "b" * 40)
    assert fix.title == "Fix the slot query"
    assert fix.details["committed_at"] == "2025-10-09T11:40:00+01:00"
    assert str(fix.occurred_on) == "2025-10-09"


def test_the_commits_own_offset_decides_its_day(client, authors, db):
    late = commit("c" * 40, "dev-one", "dev@example.org", "Late fix",
                  timestamp="2025-10-09T23:30:00-05:00")
    post(client, "push", push(commits=[late]))
    assert str(changes(db)[0].occurred_on) == "2025-10-09"


def test_the_same_commit_counts_once_across_pushes_and_repositories(client, authors, db):
    post(client, "push", push(), delivery="1")
    post(client, "push", push(repository="nhs/appointments-fork"), delivery="2")
    post(client, "push", push(), delivery="1")  # a redelivery
    assert len(changes(db)) == 3


@pytest.mark.parametrize("payload, why", [
    (push(ref="refs/tags/v1.4.0"), "tag"),
    (push(deleted=True), "deleted"),
    (push(ref="refs/heads/feature/slots"), "not a production branch"),
])
def test_tags_deletions_and_other_branches_count_nothing(client, authors, db, payload, why):
    answer = post(client, "push", payload)
    assert answer.status_code == 200 and answer.json()["status"] == "ignored"
    assert why in answer.json()["detail"]
    assert changes(db) == []


def test_the_sha1_signature_alone_is_refused(client, authors, db):
    answer = post(client, "push", push(), sha1_only=True)
    assert answer.status_code == 401 and "SHA-1" in answer.json()["detail"]
    assert changes(db) == []


def test_a_wrong_signature_is_refused(client, authors, db):
    assert post(client, "push", push(), secret="not-the-secret").status_code == 401
    assert post(client, "push", push(), secret=None).status_code == 401
    assert changes(db) == []


def test_unknown_authors_wait_and_count_when_known(client, authors, as_, db):
    stranger = commit("d" * 40, "new-starter", "new@example.org", "First commit")
    answer = post(client, "push", push(commits=[stranger]))
    assert answer.json()["status"] == "unmatched"
    assert changes(db) == []
    admin = as_(authors["admin"])
    url = f"/v1/people/{authors['other_dev'].id}"
    etag = client.get(url, headers=admin).headers["etag"]
    client.patch(url, headers={**admin, "If-Match": etag}, json={"github_login": "New-Starter"})
    assert [(e.person_id, e.external_id) for e in changes(db)] == [
        (authors["other_dev"].id, "d" * 40)]


@pytest.fixture
def deploy_signal(app):
    original = app.state.settings
    app.state.settings = original.model_copy(update={"github_deploy_signal": "deployment_status"})
    yield
    app.state.settings = original


def test_with_the_deploy_signal_pushes_count_after_a_production_deployment(
        client, authors, db, deploy_signal):
    waiting = post(client, "push", push(), delivery="p")
    assert waiting.json()["status"] == "awaiting_deploy" and changes(db) == []
    staging = post(client, "deployment_status", deployment_status(environment="staging"),
                   delivery="s")
    assert staging.json()["status"] == "ignored" and changes(db) == []
    failed = post(client, "deployment_status", deployment_status(state="failure"), delivery="f")
    assert failed.json()["status"] == "ignored" and changes(db) == []
    live = post(client, "deployment_status", deployment_status(), delivery="ok")
    assert live.json()["status"] == "applied"
    assert len(changes(db)) == 3


def test_with_the_deploy_signal_a_deployment_before_its_push_still_counts(
        client, authors, db, deploy_signal):
    post(client, "deployment_status", deployment_status(), delivery="ok")
    answer = post(client, "push", push(), delivery="p")
    assert answer.json()["status"] == "applied"
    assert len(changes(db)) == 3


def test_a_push_stranded_between_store_and_apply_is_applied_once_by_replay(client, authors,
                                                                           db, as_):
    """The database went away after a push was stored and before it was applied: GitHub got
    a 503 and does not retry by itself. An admin's replay applies it, once; a delivery stored
    a moment ago (its apply may still be running) is left to its own request."""
    from datetime import timedelta

    from app.db.integrations import WebhookDelivery
    from app.db.types import utcnow

    def stored(delivery_id, *, ago, payload):
        db.add(WebhookDelivery(source="github", delivery_id=delivery_id, event_type="push",
                               received_at=utcnow() - ago, body=json.dumps(payload),
                               status="received", subjects=[], attempts=0))
        db.commit()

    stored("stranded", ago=timedelta(minutes=5), payload=push())
    stored("just-now", ago=timedelta(seconds=1), payload=push(commits=[
        commit("c" * 40, "dev-one", "dev@example.org", "Still being applied")], after="c" * 40))
    admin = as_(authors["admin"])
    replayed = client.post("/v1/integrations/deliveries/replay", headers=admin)
    assert replayed.json() == {"replayed": 1, "applied": 1}
    assert sorted(e.external_id for e in changes(db)) == sorted(["a" * 40, "b" * 40, HEAD])
    assert client.post("/v1/integrations/deliveries/replay",
                       headers=admin).json() == {"replayed": 0, "applied": 0}
    assert len(changes(db)) == 3


# --- re-sent and late deliveries ---------------------------------------------------------------
#
# GitHub's events only ever add: a commit on a production branch stays there, and a deployment
# status never takes one back. So there is no order to keep, only two things to make sure of:
# nothing counts twice, and nothing retracted comes back.


def test_a_push_re_sent_under_a_new_delivery_id_counts_nothing_again(client, authors, db):
    body = push()
    post(client, "push", body, delivery="original")
    again = post(client, "push", body, delivery="re-sent")
    assert again.status_code == 200 and again.json()["detail"] == "0 commit(s) counted."
    assert len(changes(db)) == 3
    assert len(db.exec(select(Evidence)).all()) == 3


def test_a_re_sent_push_does_not_bring_back_retracted_evidence(client, authors, db):
    """No GitHub event retracts a commit, but evidence may be retracted otherwise (by hand in
    the database, today): a late or re-sent push must not undo that."""
    from app.db.types import utcnow

    post(client, "push", push(), delivery="original")
    withdrawn = db.exec(select(Evidence).where(Evidence.external_id == "b" * 40)).one()
    withdrawn.retracted_at = utcnow()
    db.add(withdrawn)
    db.commit()
    again = post(client, "push", push(), delivery="late-copy")
    assert again.json()["detail"] == "0 commit(s) counted."
    assert sorted(e.external_id for e in changes(db)) == sorted(["a" * 40, HEAD])
    db.refresh(withdrawn)
    assert withdrawn.retracted_at is not None and withdrawn.version == 1


def test_with_the_deploy_signal_copies_of_pushes_and_deployments_count_once(
        client, authors, db, deploy_signal):
    assert post(client, "push", push(), delivery="p1").json()["status"] == "awaiting_deploy"
    assert post(client, "push", push(), delivery="p2").json()["status"] == "awaiting_deploy"
    post(client, "deployment_status", deployment_status(), delivery="ok")
    assert len(changes(db)) == 3
    # The same success again, a late push, and a later failure: nothing more, nothing less.
    assert post(client, "deployment_status", deployment_status(),
                delivery="ok-again").json()["status"] == "applied"
    assert post(client, "push", push(), delivery="p3").json()["detail"] == (
        "0 commit(s) counted.")
    failed = post(client, "deployment_status", deployment_status(state="failure"),
                  delivery="failed-later")
    assert failed.json()["status"] == "ignored"
    assert len(changes(db)) == 3 and len(db.exec(select(Evidence)).all()) == 3

"""Consultation on policy changes: a draft version is open for comment for a window (a month
by default), anonymously if the commenter wishes, and cannot take effect before it closes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import col, select

from app.db.oversight import PolicyComment, PolicyConsultation
from app.db.support import PolicyVersion

PROBLEM = "application/problem+json"


@pytest.fixture
def admin(org, as_):
    return as_(org["admin"])


def _draft(client, admin, *, starts_in_days=60, name="Iteration 2"):
    answer = client.post("/v1/policies", headers=admin, json={
        "name": name, "effective_from": (date.today() + timedelta(days=starts_in_days))
        .isoformat(), "targets": [{"metric": "training_hours", "period": "week",
                                   "threshold": 3}]})
    assert answer.status_code == 201, answer.text
    return answer.json()


def _open(client, admin, policy_id, **body):
    return client.post(f"/v1/policies/{policy_id}/consultation", headers=admin, json=body)


def _opened(client, admin, policy_id, **body):
    answer = _open(client, admin, policy_id, **body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def _comment(client, headers, policy_id, body, **extra):
    return client.post(f"/v1/policies/{policy_id}/consultation/comments", headers=headers,
                       json={"body": body, **extra})


def _move_window(db, policy_id, *, opens_at, closes_at):
    consultation = db.exec(select(PolicyConsultation).where(
        PolicyConsultation.policy_version_id == policy_id)).one()
    consultation.opens_at, consultation.closes_at = opens_at, closes_at
    db.add(consultation)
    db.commit()
    return consultation


def test_an_admin_opens_a_draft_for_a_month_by_default(client, db, org, admin):
    draft = _draft(client, admin)
    before = datetime.now(UTC)
    body = _opened(client, admin, draft["id"])
    opens, closes = (datetime.fromisoformat(body["opens_at"]),
                     datetime.fromisoformat(body["closes_at"]))
    assert before - timedelta(seconds=5) <= opens <= datetime.now(UTC)
    assert closes - opens == timedelta(days=30)
    assert (body["policy_id"], body["policy_name"], body["state"], body["comments"]) == \
        (draft["id"], "Iteration 2", "open", [])
    assert body["effective_from"] == draft["effective_from"]
    [stored] = db.exec(select(PolicyConsultation)).all()
    assert (stored.policy_version_id, stored.opened_by_id) == (draft["id"], org["admin"].id)


def test_a_window_can_be_chosen(client, admin):
    draft = _draft(client, admin, starts_in_days=40)
    opens = datetime.combine(date.today() + timedelta(days=2), datetime.min.time(), UTC)
    body = _opened(client, admin, draft["id"], days=14, opens_at=opens.isoformat())
    assert datetime.fromisoformat(body["opens_at"]) == opens
    assert datetime.fromisoformat(body["closes_at"]) == opens + timedelta(days=14)
    assert body["state"] == "upcoming"


def test_a_draft_cannot_take_effect_before_its_consultation_closes(client, db, admin):
    draft = _draft(client, admin, starts_in_days=20)
    answer = _open(client, admin, draft["id"])  # 30 days: it would close after day 20
    assert answer.status_code == 409 and answer.headers["content-type"] == PROBLEM
    problem = answer.json()
    closes = datetime.fromisoformat(problem["closes_at"])
    assert timedelta(days=29) < closes - datetime.now(UTC) <= timedelta(days=30)
    assert problem["closes_at"] in problem["detail"]  # names the window's end
    assert problem["earliest_effective_from"] == (closes.date() + timedelta(days=1)).isoformat()
    assert problem["earliest_effective_from"] in problem["detail"]
    assert db.exec(select(PolicyConsultation)).all() == []
    # A shorter window fits.
    assert _open(client, admin, draft["id"], days=14).status_code == 201


def test_a_window_ending_at_midnight_allows_that_day(client, admin):
    draft = _draft(client, admin, starts_in_days=33)
    midnight = datetime.combine(date.today() + timedelta(days=3), datetime.min.time(), UTC)
    body = _opened(client, admin, draft["id"], opens_at=midnight.isoformat(), days=30)
    assert datetime.fromisoformat(body["closes_at"]).date().isoformat() == \
        draft["effective_from"]


def test_the_version_in_force_cannot_be_consulted_on(client, org, admin, as_):
    [current] = client.get("/v1/policies", headers=admin).json()["items"]
    answer = _open(client, admin, current["id"])
    assert answer.status_code == 409
    assert "closes at" in answer.json()["detail"]


def test_one_consultation_per_version_and_not_a_locked_one(client, db, admin):
    draft = _draft(client, admin)
    _opened(client, admin, draft["id"])
    again = _open(client, admin, draft["id"], days=10)
    assert again.status_code == 409 and "already has a consultation" in again.json()["detail"]
    locked = _draft(client, admin, starts_in_days=400, name="Iteration 3")
    version = db.get(PolicyVersion, locked["id"])
    version.locked_at = datetime.now(UTC)
    db.add(version)
    db.commit()
    answer = _open(client, admin, locked["id"])
    assert answer.status_code == 409 and answer.json()["type"] == "/problems/policy-locked"


def test_only_policy_admins_open_consultations(client, org, as_, admin):
    draft = _draft(client, admin)
    assert _open(client, as_(org["head"]), draft["id"]).status_code == 403
    assert _open(client, admin, 999999).status_code == 404
    assert client.post(f"/v1/policies/{draft['id']}/consultation", json={}).status_code == 401


@pytest.mark.parametrize("body, field", [
    ({"days": 0}, "days"),
    ({"days": 91}, "days"),
    ({"days": "30"}, "days"),
    ({"opens_at": "2026-01-01"}, "opens_at"),
    ({"effective_from": "2030-01-01"}, "effective_from"),
])
def test_opening_validates_its_input(client, admin, body, field):
    draft = _draft(client, admin)
    answer = _open(client, admin, draft["id"], **body)
    assert answer.status_code == 422, answer.text
    assert field in {e["field"] for e in answer.json()["errors"]}


def test_a_consultation_cannot_be_back_dated(client, admin):
    draft = _draft(client, admin)
    answer = _open(client, admin, draft["id"],
                   opens_at=(datetime.now(UTC) - timedelta(days=40)).isoformat(), days=1)
    assert answer.status_code == 422 and answer.json()["field"] == "opens_at"
    far = _open(client, admin, draft["id"], opens_at="9999-12-31T23:00:00Z", days=90)
    assert far.status_code == 422 and far.json()["field"] == "opens_at"


def test_comments_are_collected_anonymously_if_wished(client, db, org, as_, admin):
    draft = _draft(client, admin)
    url = f"/v1/policies/{draft['id']}/consultation"
    _opened(client, admin, draft["id"])
    named = _comment(client, as_(org["peer"]), draft["id"], "Three hours is a lot in a "
                                                            "release week.")
    assert named.status_code == 201, named.text
    hidden = _comment(client, as_(org["dev"]), draft["id"], "Please count conference talks.",
                      anonymous=True)
    assert hidden.status_code == 201, hidden.text
    assert (hidden.json()["author_id"], hidden.json()["anonymous"], hidden.json()["mine"]) == \
        (None, True, True)

    # Everyone signed in reads the comments; the anonymous one names nobody...
    for reader in ("peer", "other_dev", "senior", "head", "dev"):
        body = client.get(url, headers=as_(org[reader])).json()
        assert [c["body"] for c in body["comments"]] == [
            "Three hours is a lot in a release week.", "Please count conference talks."]
        first, second = body["comments"]
        assert (first["author_id"], first["author_name"], first["anonymous"]) == \
            (org["peer"].id, "Peer", False)
        assert (second["author_id"], second["author_name"], second["anonymous"]) == \
            (None, None, True)
        assert second["mine"] is (reader == "dev")
    # ...except to admins.
    second = client.get(url, headers=admin).json()["comments"][1]
    assert (second["author_id"], second["author_name"], second["anonymous"]) == \
        (org["dev"].id, "Dev", True)
    stored = db.exec(select(PolicyComment).order_by(col(PolicyComment.id))).all()
    assert [(c.author_id, c.anonymous) for c in stored] == [(org["peer"].id, False),
                                                            (org["dev"].id, True)]


def test_admins_reply_to_comments(client, org, as_, admin):
    draft = _draft(client, admin)
    _opened(client, admin, draft["id"])
    comment = _comment(client, as_(org["dev"]), draft["id"], "Why three?", anonymous=True).json()
    url = f"/v1/policies/{draft['id']}/consultation/comments/{comment['id']}/reply"
    assert client.post(url, headers=as_(org["senior"]), json={"reply": "No"}).status_code == 403
    answer = client.post(url, headers=admin, json={"reply": "To match the team average."})
    assert answer.status_code == 200, answer.text
    assert answer.json()["reply"] == "To match the team average."
    assert answer.json()["replied_by_id"] == org["admin"].id
    seen = client.get(f"/v1/policies/{draft['id']}/consultation",
                      headers=as_(org["peer"])).json()["comments"][0]
    assert seen["reply"] == "To match the team average." and seen["author_id"] is None
    missing = client.post(f"/v1/policies/{draft['id']}/consultation/comments/999999/reply",
                          headers=admin, json={"reply": "x"})
    assert missing.status_code == 404
    assert client.post(url, headers=admin, json={"reply": ""}).status_code == 422


def test_comments_outside_the_window_are_409_naming_it(client, db, org, as_, admin):
    draft = _draft(client, admin)
    _opened(client, admin, draft["id"])
    now = datetime.now(UTC).replace(microsecond=0)
    _move_window(db, draft["id"], opens_at=now - timedelta(days=31),
                 closes_at=now - timedelta(days=1))
    late = _comment(client, as_(org["dev"]), draft["id"], "Too late?")
    assert late.status_code == 409 and late.headers["content-type"] == PROBLEM
    problem = late.json()
    assert "closed" in problem["detail"]
    assert (now - timedelta(days=1)).isoformat() in problem["detail"]
    assert problem["closes_at"] == (now - timedelta(days=1)).isoformat()
    _move_window(db, draft["id"], opens_at=now + timedelta(days=1),
                 closes_at=now + timedelta(days=31))
    early = _comment(client, as_(org["dev"]), draft["id"], "Too early?")
    assert early.status_code == 409 and "not open yet" in early.json()["detail"]
    assert db.exec(select(PolicyComment)).all() == []
    state = client.get(f"/v1/policies/{draft['id']}/consultation", headers=as_(org["dev"]))
    assert state.json()["state"] == "upcoming"


def test_comments_need_a_consultation_and_valid_input(client, org, as_, admin):
    draft = _draft(client, admin)
    dev = as_(org["dev"])
    assert _comment(client, dev, draft["id"], "Hello").status_code == 404
    assert client.get(f"/v1/policies/{draft['id']}/consultation",
                      headers=dev).status_code == 404
    assert _comment(client, dev, 999999, "Hello").status_code == 404
    _opened(client, admin, draft["id"])
    for body in ({"body": ""}, {"body": "x" * 4001}, {"body": "ok", "anonymous": "yes"},
                 {"body": "ok", "author_id": org["peer"].id}, {}):
        answer = client.post(f"/v1/policies/{draft['id']}/consultation/comments", headers=dev,
                             json=body)
        assert answer.status_code == 422, (body, answer.text)
    assert client.get(f"/v1/policies/{draft['id']}/consultation").status_code == 401


def _patch_policy(client, admin, policy_id, body):
    url = f"/v1/policies/{policy_id}"
    etag = client.get(url, headers=admin).headers["etag"]
    return client.patch(url, headers={**admin, "If-Match": etag}, json=body)


def test_a_version_under_consultation_cannot_be_moved_to_take_effect_early(client, db, admin):
    draft = _draft(client, admin, starts_in_days=60)
    body = _opened(client, admin, draft["id"])
    closes = datetime.fromisoformat(body["closes_at"])
    earliest = closes.date() + timedelta(days=1)
    answer = _patch_policy(client, admin, draft["id"],
                           {"effective_from": (earliest - timedelta(days=1)).isoformat()})
    assert answer.status_code == 409 and answer.headers["content-type"] == PROBLEM
    problem = answer.json()
    assert problem["closes_at"] == closes.isoformat() and problem["closes_at"] in problem["detail"]
    assert problem["earliest_effective_from"] == earliest.isoformat()
    assert db.get(PolicyVersion, draft["id"]).effective_from.isoformat() == \
        draft["effective_from"]
    # Later, or other changes: fine.
    later = (date.fromisoformat(draft["effective_from"]) + timedelta(days=7)).isoformat()
    moved = _patch_policy(client, admin, draft["id"], {"effective_from": later})
    assert moved.status_code == 200, moved.text
    assert moved.json()["effective_from"] == later
    renamed = _patch_policy(client, admin, draft["id"], {"name": "Iteration 2 (final)"})
    assert renamed.status_code == 200, renamed.text

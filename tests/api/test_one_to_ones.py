"""One-to-ones: recorded by the person or their line manager, one per date; the chain sees
that they happened, only the two participants see (and change) the notes."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.db.models import OneToOne, Person

PROBLEM = "application/problem+json"
URL = "/v1/one-to-ones"


def _record(client, headers, person, **body):
    payload = {"person_id": person.id, "on": "2026-03-02", "status": "held",
               "notes": "Talked about the move to Kotlin", **body}
    return client.post(URL, headers=headers, json=payload)


def _fields(answer):
    return {e["field"] for e in answer.json()["errors"]}


def _stored(db, person):
    return db.exec(select(OneToOne).where(OneToOne.person_id == person.id)).all()


def _patch(client, headers, url, body, reader_headers=None):
    etag = client.get(url, headers=reader_headers or headers).headers["etag"]
    return client.patch(url, headers={**headers, "If-Match": etag}, json=body)


def test_the_line_manager_records_a_one_to_one(client, org, as_):
    answer = _record(client, as_(org["senior"]), org["dev"])
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["person_id"], body["manager_id"]) == (org["dev"].id, org["senior"].id)
    assert (body["on"], body["status"]) == ("2026-03-02", "held")
    assert body["notes"] == "Talked about the move to Kotlin" and body["notes_visible"] is True
    assert answer.headers["location"].endswith(f"{URL}/{body['id']}")
    assert answer.headers["etag"] == f'"one-to-one-{body["id"]}-v1"'
    fetched = client.get(answer.headers["location"], headers=as_(org["dev"]))
    assert fetched.status_code == 200 and fetched.json() == body
    assert fetched.headers["etag"] == answer.headers["etag"]


def test_the_person_records_their_own_with_their_line_manager_as_participant(client, org, as_):
    answer = _record(client, as_(org["dev"]), org["dev"], status="cancelled", notes=None)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["manager_id"], body["status"], body["notes"]) == (
        org["senior"].id, "cancelled", "")


def test_only_the_person_and_their_line_manager_record_one(client, org, as_, db):
    for writer, expected in (("principal", 403), ("head", 403), ("peer", 404),
                             ("other_senior", 404), ("other_dev", 404), ("admin", 404)):
        answer = _record(client, as_(org[writer]), org["dev"])
        assert answer.status_code == expected, writer
        assert answer.headers["content-type"] == PROBLEM
    assert _stored(db, org["dev"]) == []
    assert client.post(URL, headers=as_(org["dev"]), json={
        "person_id": 424242, "on": "2026-03-02", "status": "held"}).status_code == 404


def test_a_person_without_a_line_manager_cannot_have_one(client, org, as_, db):
    answer = _record(client, as_(org["head"]), org["head"])
    assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM
    assert answer.json()["rule"] == "ONE-TO-ONE-LINE-MANAGER"
    assert _fields(answer) == {"person_id"}
    assert "no line manager" in answer.json()["detail"]
    assert _stored(db, org["head"]) == []


def test_one_record_per_person_per_date(client, org, as_, db):
    assert _record(client, as_(org["senior"]), org["dev"]).status_code == 201
    again = _record(client, as_(org["dev"]), org["dev"], status="cancelled")
    assert again.status_code == 409 and again.headers["content-type"] == PROBLEM
    assert "2026-03-02" in again.json()["detail"]
    assert _record(client, as_(org["senior"]), org["dev"], on="2026-03-09").status_code == 201
    assert _record(client, as_(org["senior"]), org["peer"]).status_code == 201
    assert len(_stored(db, org["dev"])) == 2


@pytest.mark.parametrize(("field", "value"), [
    ("status", "postponed"), ("status", None), ("on", 20260302), ("on", "2026-02-30"),
    ("on", "0"), ("on", "2026-03-02T00:00:00"),
    ("person_id", str(1)), ("notes", "x" * 4001), ("manager_id", 1), ("notes_visible", True)])
def test_invalid_and_server_owned_fields_are_refused(client, org, as_, db, field, value):
    answer = _record(client, as_(org["senior"]), org["dev"], **{field: value})
    assert answer.status_code == 422, (field, value)
    assert answer.headers["content-type"] == PROBLEM
    assert _fields(answer) == {field}
    assert _stored(db, org["dev"]) == []


def test_notes_are_only_for_the_two_participants(client, org, as_):
    made = _record(client, as_(org["senior"]), org["dev"], notes="Worried about workload")
    url = made.headers["location"]
    listing = f"{URL}?person_id={org['dev'].id}"
    for participant in ("dev", "senior"):
        one = client.get(url, headers=as_(org[participant])).json()
        assert (one["notes"], one["notes_visible"]) == ("Worried about workload", True)
        [item] = client.get(listing, headers=as_(org[participant])).json()["items"]
        assert item["notes"] == "Worried about workload", participant
    # The chain sees that it happened, never what was said.
    for chain in ("principal", "head"):
        one = client.get(url, headers=as_(org[chain]))
        assert one.status_code == 200, chain
        assert (one.json()["notes"], one.json()["notes_visible"]) == (None, False)
        assert one.json()["status"] == "held" and one.json()["on"] == "2026-03-02"
        [item] = client.get(listing, headers=as_(org[chain])).json()["items"]
        assert (item["notes"], item["notes_visible"]) == (None, False), chain
        assert "Worried" not in client.get(listing, headers=as_(org[chain])).text
    # Admins and everyone else do not see it at all.
    for outsider in ("admin", "peer", "other_senior", "other_dev"):
        assert client.get(url, headers=as_(org[outsider])).status_code == 404, outsider
        assert client.get(listing, headers=as_(org[outsider])).status_code == 404, outsider


def test_a_new_line_manager_does_not_see_the_old_notes(client, org, as_, db):
    made = _record(client, as_(org["senior"]), org["dev"], notes="Before the move")
    url = made.headers["location"]
    dev = db.get(Person, org["dev"].id)
    dev.line_manager_id = org["other_senior"].id
    db.add(dev)
    db.commit()
    seen = client.get(url, headers=as_(org["other_senior"]))
    assert seen.status_code == 200
    assert (seen.json()["notes"], seen.json()["notes_visible"]) == (None, False)
    assert seen.json()["manager_id"] == org["senior"].id
    changed = _patch(client, as_(org["other_senior"]), url, {"notes": "Mine now"})
    assert changed.status_code == 403 and changed.headers["content-type"] == PROBLEM
    assert client.get(url, headers=as_(org["senior"])).status_code == 404  # no longer above dev
    assert client.get(url, headers=as_(org["dev"])).json()["notes"] == "Before the move"
    newer = _record(client, as_(org["other_senior"]), org["dev"], on="2026-03-09")
    assert newer.status_code == 201 and newer.json()["manager_id"] == org["other_senior"].id


def test_a_former_line_manager_still_above_the_person_keeps_their_notes(client, org, as_, db,
                                                                        person):
    made = _record(client, as_(org["senior"]), org["dev"], notes="Our first chat")
    url = made.headers["location"]
    # The dev now reports to someone who reports to the senior: the senior is in the chain.
    new_manager = person(band="8a", line_manager=org["senior"])
    dev = db.get(Person, org["dev"].id)
    dev.line_manager_id = new_manager.id
    db.add(dev)
    db.commit()
    seen = client.get(url, headers=as_(org["senior"])).json()
    assert (seen["notes"], seen["notes_visible"]) == ("Our first chat", True)
    changed = _patch(client, as_(org["senior"]), url, {"notes": "Our first chat, updated"})
    assert changed.status_code == 200, changed.text
    assert _patch(client, as_(new_manager), url, {"notes": "Not there"}).status_code == 403
    assert client.get(url, headers=as_(new_manager)).json()["notes"] is None


def test_patch_needs_a_current_if_match(client, org, as_):
    made = _record(client, as_(org["senior"]), org["dev"])
    url, etag = made.headers["location"], made.headers["etag"]
    headers = as_(org["senior"])
    missing = client.patch(url, headers=headers, json={"notes": "More"})
    assert missing.status_code == 428 and missing.headers["content-type"] == PROBLEM
    changed = client.patch(url, headers={**headers, "If-Match": etag},
                           json={"notes": "More", "status": "cancelled"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["notes"], changed.json()["status"]) == ("More", "cancelled")
    assert changed.headers["etag"] == f'"one-to-one-{made.json()["id"]}-v2"'
    stale = client.patch(url, headers={**headers, "If-Match": etag}, json={"notes": "Lost"})
    assert stale.status_code == 412 and stale.headers["content-type"] == PROBLEM
    wrong_record = client.patch(url, headers={**headers, "If-Match": '"evidence-1-v2"'},
                                json={"notes": "Lost"})
    assert wrong_record.status_code == 412
    assert client.get(url, headers=headers).json()["notes"] == "More"


def test_only_the_two_participants_change_it(client, org, as_):
    made = _record(client, as_(org["senior"]), org["dev"])
    url = made.headers["location"]
    by_person = _patch(client, as_(org["dev"]), url, {"notes": "My view", "on": "2026-03-03"})
    assert by_person.status_code == 200, by_person.text
    assert (by_person.json()["notes"], by_person.json()["on"]) == ("My view", "2026-03-03")
    for who, expected in (("principal", 403), ("head", 403), ("peer", 404), ("admin", 404)):
        answer = client.patch(url, headers={**as_(org[who]), "If-Match": "*"},
                              json={"notes": "Not mine"})
        assert answer.status_code == expected, who
        assert answer.headers["content-type"] == PROBLEM
    assert client.get(url, headers=as_(org["dev"])).json()["notes"] == "My view"
    cleared = _patch(client, as_(org["senior"]), url, {"notes": None})
    assert cleared.status_code == 200 and cleared.json()["notes"] == ""


def test_patch_keeps_one_record_per_date_and_refuses_bad_fields(client, org, as_):
    headers = as_(org["senior"])
    first = _record(client, headers, org["dev"]).headers["location"]
    _record(client, headers, org["dev"], on="2026-03-09")
    clash = _patch(client, headers, first, {"on": "2026-03-09"})
    assert clash.status_code == 409 and clash.headers["content-type"] == PROBLEM
    assert _patch(client, headers, first, {"on": "2026-03-02"}).status_code == 200  # same date
    for body in ({"on": None}, {"status": None}, {"status": "postponed"},
                 {"manager_id": org["principal"].id}, {"person_id": org["peer"].id}):
        answer = _patch(client, headers, first, body)
        assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM, body
        assert _fields(answer) == set(body), body
    assert client.get(first, headers=headers).json()["on"] == "2026-03-02"


def test_the_list_defaults_to_the_caller_and_filters_by_date(client, org, as_):
    manager = as_(org["senior"])
    ids = {on: _record(client, manager, org["dev"], on=on).json()["id"]
           for on in ("2026-02-23", "2026-03-02", "2026-03-09", "2026-03-16")}
    _record(client, manager, org["peer"], on="2026-03-02")
    mine = client.get(URL, headers=as_(org["dev"])).json()["items"]
    assert [i["id"] for i in mine] == list(ids.values())
    assert client.get(URL, headers=manager).json()["items"] == []  # senior's own: none

    def listed(query):
        answer = client.get(f"{URL}?person_id={org['dev'].id}&{query}", headers=manager)
        assert answer.status_code == 200, answer.text
        return [i["on"] for i in answer.json()["items"]]

    assert listed("from=2026-03-02&to=2026-03-09") == ["2026-03-02", "2026-03-09"]
    assert listed("from=2026-03-10") == ["2026-03-16"]
    assert listed("to=2026-02-23") == ["2026-02-23"]
    backwards = client.get(f"{URL}?from=2026-03-09&to=2026-03-02", headers=manager)
    assert backwards.status_code == 422 and _fields(backwards) == {"to"}
    assert _fields(client.get(f"{URL}?from=someday", headers=manager)) == {"from"}
    assert _fields(client.get(f"{URL}?to=0", headers=manager)) == {"to"}  # not 1970-01-01


def test_the_list_pages_with_a_cursor(client, org, as_):
    manager = as_(org["senior"])
    made = [_record(client, manager, org["dev"], on=f"2026-03-{day:02d}").json()["id"]
            for day in range(1, 6)]
    seen, cursor, pages = [], None, 0
    while True:
        params = {"person_id": org["dev"].id, "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get(URL, headers=manager, params=params).json()
        seen += [i["id"] for i in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == made and pages == 3
    bad = client.get(URL, headers=manager, params={"cursor": "not-ours"})
    assert bad.status_code == 422 and bad.headers["content-type"] == PROBLEM


def test_list_statement_count_does_not_grow_with_page_size(client, org, as_, statements):
    manager = as_(org["senior"])
    for day in range(1, 31):
        assert _record(client, manager, org["dev"], on=f"2026-03-{day:02d}").status_code == 201
    counts = []
    for reader in ("senior", "principal"):  # with notes, and without
        for limit in (2, 30):
            with statements() as counted:
                answer = client.get(f"{URL}?person_id={org['dev'].id}&limit={limit}",
                                    headers=as_(org[reader]))
                assert answer.status_code == 200 and len(answer.json()["items"]) == limit
            counts.append(counted.count)
        assert counts[-2] == counts[-1], reader


def test_unknown_one_to_one_answers_like_a_hidden_one(client, org, as_):
    made = _record(client, as_(org["senior"]), org["dev"]).json()["id"]
    hidden = client.get(f"{URL}/{made}", headers=as_(org["peer"]))
    missing = client.get(f"{URL}/424242", headers=as_(org["peer"]))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"].replace(str(made), "N") == \
        missing.json()["detail"].replace("424242", "N")

"""The CPD record: who may read it, the range, the figures (JSON and Markdown), and that it
costs the same number of statements however much has been recorded."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from app.db.growth import (CheckIn, CoachingEnrolment, CoachingProgramme, CoachingSession,
                           Evidence, Objective)
from app.db.support import Intervention
from app.db.types import utcnow

PROBLEM = "application/problem+json"
RANGE = "from=2026-01-01&to=2026-06-30"
MARKDOWN = {"Accept": "text/markdown"}


def _evidence(db, who, kind, on, title, *, hours=None, topic=None, source="manual",
              retracted=False, external_id=None):
    row = Evidence(person_id=who.id, kind=kind, source=source, occurred_on=on, title=title,
                   hours=None if hours is None else Decimal(str(hours)), topic=topic,
                   external_id=external_id,
                   retracted_at=datetime(2026, 6, 1, tzinfo=UTC) if retracted else None)
    db.add(row)
    db.commit()
    return row


def _objective(db, who, quarter, title, status, *, twenty=True, outcome=None, note=None,
               completed_at=None):
    row = Objective(person_id=who.id, title=title, quarter=quarter, twenty_percent_time=twenty,
                    status=status, quality_dashboard_outcome=outcome, completion_note=note,
                    completed_at=completed_at)
    db.add(row)
    db.commit()
    return row


def _programme(db, name, bands, minutes=60, planned=6):
    row = CoachingProgramme(name=name, cohort_bands=bands, starts_on=date(2025, 10, 1),
                            ends_on=date(2026, 4, 30), planned_sessions=planned,
                            session_minutes=minutes, planned_content=[])
    db.add(row)
    db.commit()
    return row


def _enrolment(db, programme, coachee, coach, active=True):
    row = CoachingEnrolment(programme_id=programme.id, coachee_id=coachee.id,
                            coach_id=coach.id, active=active)
    db.add(row)
    db.commit()
    return row


def _session(db, enrolment, when, status, topics=(), notes=""):
    row = CoachingSession(enrolment_id=enrolment.id, scheduled_for=when, status=status,
                          topics=list(topics), notes=notes)
    db.add(row)
    db.commit()
    return row


def _at(y, m, d):
    return datetime(y, m, d, 10, tzinfo=UTC)


@pytest.fixture
def recorded(db, org):
    """Half a year of the developer's growth, with some things just outside the range."""
    dev = org["dev"]
    # Training: 2.5 + 1.5 in range; one before it and one retracted do not count.
    _evidence(db, dev, "training", date(2026, 1, 5), "Kubernetes course", hours=2.5,
              topic="Kubernetes")
    _evidence(db, dev, "training", date(2026, 2, 10), "Screen reader basics", hours=1.5,
              topic="Accessibility")
    _evidence(db, dev, "training", date(2025, 12, 31), "Too early", hours=3)
    _evidence(db, dev, "training", date(2026, 3, 1), "Withdrawn", hours=4, retracted=True)
    # Accomplishments: three in two ISO weeks (2026-W02 twice, 2026-W07).
    _evidence(db, dev, "accomplishment", date(2026, 1, 5), "Shipped the booking form")
    _evidence(db, dev, "accomplishment", date(2026, 1, 7), "Paired on the_search_index | fix")
    _evidence(db, dev, "accomplishment", date(2026, 2, 10), "Ran the retro")
    _evidence(db, dev, "qualification", date(2026, 3, 15), "AWS Certified Developer",
              topic="Cloud")
    _evidence(db, dev, "ticket_done", date(2026, 4, 1), "GPS-12 Fix login", source="jira",
              external_id="GPS-12")
    _evidence(db, dev, "user_feedback", date(2026, 5, 1), "Users asked for reminders")
    # Someone else's evidence never appears.
    _evidence(db, org["peer"], "training", date(2026, 1, 5), "Peer's course", hours=8)

    speed = _objective(db, dev, "2026-Q1", "Speed up CI", "completed", outcome="Build time",
                       note="Builds take 6 minutes, down from 15.",
                       completed_at=datetime(2026, 3, 20, 12, tzinfo=UTC))
    db.add(CheckIn(objective_id=speed.id, author_id=dev.id, on=date(2026, 2, 1),
                   note="Caching added", progress=50))
    db.add(CheckIn(objective_id=speed.id, author_id=org["senior"].id, on=date(2026, 3, 1),
                   note="Saw the build times drop", progress=80))
    db.commit()
    # Recognitions: one in range; one withdrawn and one before the range are left out.
    for summary, status, on in (("Shipped to production 3 sprints in a row", "completed",
                                 datetime(2026, 4, 2, 9, tzinfo=UTC)),
                                ("Withdrawn praise", "withdrawn",
                                 datetime(2026, 4, 3, 9, tzinfo=UTC)),
                                ("Last year's praise", "completed",
                                 datetime(2025, 12, 1, 9, tzinfo=UTC))):
        db.add(Intervention(person_id=dev.id, kind="recognition", status=status,
                            summary=summary, completed_at=on))
    db.add(Intervention(person_id=org["peer"].id, kind="recognition", status="completed",
                        summary="Peer's praise", completed_at=datetime(2026, 4, 2, tzinfo=UTC)))
    db.commit()
    _objective(db, dev, "2026-Q2", "Write ADRs", "completed",
               completed_at=datetime(2026, 5, 2, tzinfo=UTC))
    _objective(db, dev, "2026-Q2", "Mentor the apprentice", "completed", twenty=False,
               completed_at=datetime(2026, 6, 2, tzinfo=UTC))
    _objective(db, dev, "2026-Q2", "Try property tests", "agreed")
    _objective(db, dev, "2025-Q4", "Last year", "completed")
    _objective(db, dev, "2026-Q3", "Next quarter", "draft")

    coached = _programme(db, "Developer coaching", ["7"])
    enrolment = _enrolment(db, coached, dev, org["other_senior"])
    _session(db, enrolment, _at(2025, 11, 4), "held")  # before the range: counts as progress
    _session(db, enrolment, _at(2026, 2, 3), "held", ["Self-confidence", "Code review"],
             notes="Private to the two of them")
    _session(db, enrolment, _at(2026, 3, 3), "held", ["Critical thinking"])
    _session(db, enrolment, _at(2026, 4, 1), "cancelled")
    _session(db, enrolment, _at(2026, 4, 20), "scheduled")
    coaching = _programme(db, "Apprentice coaching", ["6"], minutes=45)
    given = _enrolment(db, coaching, org["peer"], dev)
    _session(db, given, _at(2026, 5, 5), "held", ["Peer's private topic"])
    _session(db, given, _at(2026, 5, 12), "cancelled")
    return dev


def _cpd(client, headers, who, query=RANGE, **extra):
    return client.get(f"/v1/people/{who.id}/cpd?{query}", headers={**headers, **extra})


def test_json_record_has_the_figures(client, org, as_, recorded):
    answer = _cpd(client, as_(org["dev"]), recorded)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["vary"] == "Accept"
    body = answer.json()
    assert body["person"] == {"id": recorded.id, "name": "Dev", "band": "7",
                              "band_title": "Developer"}
    assert body["range"] == {"from": "2026-01-01", "to": "2026-06-30"}
    assert body["totals"] == {
        "training_hours": 4.0, "accomplishments_logged": 3, "weeks_with_accomplishments": 2,
        "qualifications": 1, "objectives_completed": 3,
        "twenty_percent_objectives_completed": 2, "coaching_sessions_held": 2,
        "coaching_sessions_given": 1, "coaching_hours_given": 0.75, "evidence_items": 8,
        "recognitions": 1}
    assert [(o["quarter"], o["title"], o["status"]) for o in body["objectives"]] == [
        ("2026-Q1", "Speed up CI", "completed"), ("2026-Q2", "Write ADRs", "completed"),
        ("2026-Q2", "Mentor the apprentice", "completed"),
        ("2026-Q2", "Try property tests", "agreed")]
    speed = body["objectives"][0]
    assert speed["twenty_percent_time"] is True
    assert speed["quality_dashboard_outcome"] == "Build time"
    assert speed["completion_note"] == "Builds take 6 minutes, down from 15."
    assert speed["completed_at"] == "2026-03-20T12:00:00Z"
    assert [(c["on"], c["note"], c["progress"], c["author_id"], c["author_name"])
            for c in speed["check_ins"]] == [
        ("2026-02-01", "Caching added", 50, recorded.id, "Dev"),
        ("2026-03-01", "Saw the build times drop", 80, org["senior"].id, "Senior")]
    assert [(r["recognised_on"], r["summary"]) for r in body["recognitions"]] == [
        ("2026-04-02", "Shipped to production 3 sprints in a row")]
    assert "Peer's praise" not in answer.text
    assert [(e["occurred_on"], e["kind"], e["hours"]) for e in body["evidence"]][:2] == [
        ("2026-01-05", "training", 2.5), ("2026-01-05", "accomplishment", None)]
    assert "Withdrawn" not in {e["title"] for e in body["evidence"]}
    assert "Peer's course" not in {e["title"] for e in body["evidence"]}
    assert [(q["title"], q["topic"]) for q in body["qualifications"]] == [
        ("AWS Certified Developer", "Cloud")]
    coaching = body["coaching"]
    assert [(e["programme_name"], e["coach_id"], e["sessions_held"], e["sessions_planned"],
             e["active"]) for e in coaching["enrolments"]] == [
        ("Developer coaching", org["other_senior"].id, 3, 6, True)]
    assert coaching["enrolments"][0]["coach_name"] == "Other senior"
    assert [(s["held_on"], s["topics"]) for s in coaching["sessions_held"]] == [
        ("2026-02-03T10:00:00Z", ["Self-confidence", "Code review"]),
        ("2026-03-03T10:00:00Z", ["Critical thinking"])]
    assert coaching["sessions_given"] == [{
        "id": coaching["sessions_given"][0]["id"], "held_on": "2026-05-05T10:00:00Z",
        "programme_name": "Apprentice coaching", "minutes": 45}]
    assert "Private to the two of them" not in answer.text  # session notes never leave
    assert "Peer's private topic" not in answer.text  # the coachee's topics stay theirs


def test_markdown_record_reads_as_a_document(client, org, as_, recorded):
    answer = _cpd(client, as_(org["dev"]), recorded, **MARKDOWN)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/markdown; charset=utf-8"
    assert answer.headers["vary"] == "Accept"
    text = answer.text
    lines = text.splitlines()
    assert lines[0] == "# CPD record: Dev"
    assert "1 January 2026 to 30 June 2026 · Developer (band 7)" in lines
    summary = next(line for line in lines if line.startswith("In this period"))
    for figure in ("completed 3 objectives (2 of them in 20% time)",
                   "logged 3 accomplishments across 2 weeks",
                   "documented 4 hours of training", "recorded 1 qualification",
                   "attended 2 coaching sessions and gave 1 coaching session as a coach "
                   "(0.75 hours)."):
        assert figure in summary, figure
    headings = [line for line in lines if line.startswith("## ")]
    assert headings == ["## Objectives", "## Training", "## Qualifications",
                        "## Accomplishments", "## Coaching", "## Recognitions",
                        "## Other evidence"]
    assert text.index("### 2026-Q1") < text.index("**Speed up CI**") < text.index("### 2026-Q2")
    assert ("- **Speed up CI** — completed on 20 March 2026; 20% time; quality dashboard "
            "outcome: Build time") in lines
    assert "  - Completion note: Builds take 6 minutes, down from 15." in lines
    assert "  - Check-in 2026-02-01 (50%) by you: Caching added" in lines
    assert "  - Check-in 2026-03-01 (80%) by Senior: Saw the build times drop" in lines
    assert "- 2026-04-02 — Shipped to production 3 sprints in a row" in lines
    assert "Withdrawn praise" not in text and "Last year's praise" not in text
    assert "- **Try property tests** — agreed; 20% time" in lines
    assert "Last year" not in text and "Next quarter" not in text
    assert "| 2026-01-05 | Kubernetes — Kubernetes course | 2.5 |" in lines
    assert "| 2026-02-10 | Accessibility — Screen reader basics | 1.5 |" in lines
    assert "| **Total** | | **4** |" in lines
    assert "- 2026-03-15 — AWS Certified Developer (Cloud)" in lines
    assert "### 2026-W02 (week of 5 January 2026)" in lines
    assert "### 2026-W07 (week of 9 February 2026)" in lines
    # Recorded text cannot break the document's structure.
    assert r"- 2026-01-07 — Paired on the\_search\_index \| fix" in lines
    assert ("- Developer coaching, coached by Other senior: 3 of 6 sessions held") in lines
    assert ("- 2026-02-03 — Developer coaching (60 minutes): Self-confidence, Code review"
            in lines)
    assert "1 session given (0.75 hours)." in lines
    assert "### Tickets done (1)" in lines and "- 2026-04-01 — GPS-12 Fix login" in lines
    assert "### User feedback acted on (1)" in lines
    assert "Withdrawn" not in text and "Too early" not in text
    assert "Private to the two of them" not in text and "Peer's private topic" not in text


def test_empty_sections_say_so(client, org, as_):
    answer = _cpd(client, as_(org["peer"]), org["peer"], **MARKDOWN)
    assert answer.status_code == 200
    text = answer.text
    for sentence in ("No objectives in this period.", "No training recorded in this period.",
                     "No qualifications recorded in this period.",
                     "No accomplishments logged in this period.", "No coaching in this period.",
                     "No other evidence in this period."):
        assert sentence in text, sentence
    assert ("completed 0 objectives, logged 0 accomplishments across 0 weeks, documented 0 "
            "hours of training, recorded 0 qualifications and attended 0 coaching sessions."
            ) in text
    body = _cpd(client, as_(org["peer"]), org["peer"]).json()
    assert body["objectives"] == [] and body["evidence"] == []
    assert body["totals"]["training_hours"] == 0


@pytest.mark.parametrize("accept, markdown", [
    ("text/markdown", True), ("text/markdown; charset=utf-8", True),
    ("application/json;q=0.5, text/markdown", True), ("text/*", True),
    ("text/markdown;q=0.2, application/json", False), ("text/markdown;q=0", False),
    ("application/json", False), ("*/*", False), ("text/html", False),
    ("application/xml", False), ("text/markdown;q=nonsense", False),
])
def test_markdown_is_chosen_by_accept_and_json_is_the_fallback(client, org, as_, accept,
                                                               markdown):
    answer = _cpd(client, as_(org["dev"]), org["dev"], Accept=accept)
    assert answer.status_code == 200
    expected = "text/markdown; charset=utf-8" if markdown else "application/json"
    assert answer.headers["content-type"] == expected


def test_read_by_the_person_and_their_management_chain_only(client, org, as_, person,
                                                            recorded):
    coach = person(band="8b", line_manager=org["head"])
    for reader in ("dev", "senior", "principal", "head"):
        assert _cpd(client, as_(org[reader]), recorded).status_code == 200, reader
        assert _cpd(client, as_(org[reader]), recorded, **MARKDOWN).status_code == 200, reader
    for outsider in ("peer", "admin", "other_senior", "other_dev"):
        for extra in ({}, MARKDOWN):
            answer = _cpd(client, as_(org[outsider]), recorded, **extra)
            assert answer.status_code == 403, outsider
            assert answer.headers["content-type"] == PROBLEM
            assert "Speed up CI" not in answer.text
    assert _cpd(client, as_(coach), recorded).status_code == 403
    assert client.get("/v1/people/999999/cpd", headers=as_(org["dev"])).status_code == 404


def test_a_coach_does_not_read_the_cpd_record(client, org, as_, recorded):
    # The other senior coaches the developer (an active enrolment) but is not in their line.
    answer = _cpd(client, as_(org["other_senior"]), recorded)
    assert answer.status_code == 403 and answer.json()["rule"] == "cpd-readers"


def test_the_range_is_checked(client, org, as_):
    headers = as_(org["dev"])
    backwards = _cpd(client, headers, org["dev"], "from=2026-06-30&to=2026-01-01")
    assert backwards.status_code == 422 and backwards.headers["content-type"] == PROBLEM
    assert backwards.json()["rule"] == "CPD-RANGE"
    for query in ("from=2026-02-30", "to=yesterday", "from=20260101", "to=0", "from=2026-1-1"):
        answer = _cpd(client, headers, org["dev"], query)
        assert answer.status_code == 422, query
        assert answer.json()["errors"][0]["in"] == "query"
    one_day = _cpd(client, headers, org["dev"], "from=2026-03-01&to=2026-03-01").json()
    assert one_day["range"] == {"from": "2026-03-01", "to": "2026-03-01"}
    future = _cpd(client, headers, org["dev"], f"from={utcnow().date() + timedelta(days=1)}")
    assert future.status_code == 422  # `to` defaults to today, before `from`


def test_the_range_defaults_to_the_last_twelve_months(client, org, as_, db):
    today = utcnow().date()
    dev = org["dev"]
    _evidence(db, dev, "training", today, "Today", hours=1)
    _evidence(db, dev, "training", today - timedelta(days=300), "Ten months ago", hours=2)
    _evidence(db, dev, "training", today - timedelta(days=400), "Over a year ago", hours=4)
    _evidence(db, dev, "training", today + timedelta(days=1), "Tomorrow", hours=8)
    body = client.get(f"/v1/people/{dev.id}/cpd", headers=as_(dev)).json()
    assert body["range"]["to"] == today.isoformat()
    start = date.fromisoformat(body["range"]["from"])
    assert 365 <= (today - start).days <= 366
    assert body["totals"]["training_hours"] == 3.0
    earlier = client.get(f"/v1/people/{dev.id}/cpd?to={(today - timedelta(days=1))}",
                         headers=as_(dev)).json()
    assert earlier["totals"]["training_hours"] == 2.0


def test_statement_count_does_not_grow_with_the_evidence(client, org, as_, db, statements,
                                                         recorded):
    dev = org["dev"]
    kinds = ("training", "accomplishment", "qualification", "ticket_done", "other")

    def add(first, last):
        for n in range(first, last):
            kind = kinds[n % len(kinds)]
            _evidence(db, dev, kind, date(2026, 1, 1) + timedelta(days=n * 3),
                      f"Item {n}", hours=1 if kind == "training" else None,
                      source="jira" if kind == "ticket_done" else "manual",
                      external_id=f"K-{n}" if kind == "ticket_done" else None)

    counts: dict[str, list[int]] = {"json": [], "markdown": []}
    for first, last in ((0, 5), (5, 50)):
        add(first, last)
        for media, extra in (("json", {}), ("markdown", MARKDOWN)):
            with statements() as counted:
                answer = _cpd(client, as_(dev), dev, **extra)
            assert answer.status_code == 200
            counts[media].append(counted.count)
    body = _cpd(client, as_(dev), dev).json()
    assert body["totals"]["evidence_items"] == 8 + 50
    assert body["totals"]["training_hours"] == 4.0 + 10
    assert counts["json"][0] == counts["json"][1], counts
    assert counts["markdown"][0] == counts["markdown"][1], counts


def test_statement_count_is_the_same_for_the_chain(client, org, as_, db, statements, recorded):
    counts = []
    for extra_objectives in (0, 20):
        for n in range(extra_objectives):
            _objective(db, org["dev"], "2026-Q2", f"Extra {n}", "completed")
        with statements() as counted:
            assert _cpd(client, as_(org["head"]), org["dev"]).status_code == 200
        counts.append(counted.count)
    assert counts[0] == counts[1]


def test_the_route_documents_both_media_types(client):
    operation = client.get("/v1/openapi.json").json()["paths"]["/v1/people/{person_id}/cpd"]
    content = operation["get"]["responses"]["200"]["content"]
    assert set(content) == {"application/json", "text/markdown"}
    assert content["application/json"]["schema"]["$ref"].endswith("/CpdRecord")
    assert {"401", "403", "404", "422"} <= set(operation["get"]["responses"])

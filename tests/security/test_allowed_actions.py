"""`allowed_actions` and the refusals agree, for every lifecycle resource and every caller.

For each resource in `RESOURCES`, each state it can be in and each kind of caller of the
authorization matrix: a fresh record in that state is read as the caller (a record the caller
may not read lists nothing), then every lifecycle action is taken, each on a fresh record in
the same state. An action the caller's `allowed_actions` lists must succeed; an action it does
not list must be refused (403, 404 or 409), never succeed and never fail some other way.

A resource is one row: how to make one in a given state, how to read it as a caller, and how
to take each of its actions. Objectives and interventions list their lifecycle's actions
whoever reads them, so they have no row yet; one each, once they answer per caller.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.db.oversight import PolicyConsultation
from app.settings import Settings
from tests import figures
from tests.factories import bearer, new_person, new_team

CALLERS = ("subject", "peer", "line_manager", "chain", "coach", "team_lead", "admin",
           "case_manager", "head_of_department", "hr_service")
OK = frozenset({200, 201, 204})
REFUSED = frozenset({403, 404, 409})


@dataclass
class World:
    db: Session
    client: TestClient
    people: dict[str, Any]
    headers: dict[str, dict[str, str]]
    ids: dict[str, int]
    counter: itertools.count[int]

    def send(self, caller: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = dict(self.headers[caller])
        if method == "PATCH":
            headers["If-Match"] = "*"
        return self.client.request(method, url, headers=headers, **kwargs)

    def ok(self, caller: str, method: str, url: str, **kwargs: Any) -> Any:
        response = self.send(caller, method, url, **kwargs)
        assert response.status_code in OK, (method, url, response.status_code, response.text)
        return response.json() if response.content else None

    def next(self) -> int:
        return next(self.counter)


def build_world(db: Session, client: TestClient, settings: Settings) -> World:
    """The callers of the authorization matrix, standing as they do there to one subject."""
    admin = new_person(db, band=None, roles=["admin"], name="Admin")
    hod = new_person(db, band="8c", roles=["head_of_department"], name="Head")
    chain = new_person(db, band="8b", line_manager=hod, name="Chain")
    lm = new_person(db, band="8a", line_manager=chain, name="Line manager")
    other_lm = new_person(db, band="8a", line_manager=chain, name="Other line manager")
    subject = new_person(db, band="7", line_manager=lm, name="Subject")
    peer = new_person(db, band="7", line_manager=other_lm, name="Peer")
    coach = new_person(db, band="8b", line_manager=hod, name="Coach")
    team_lead = new_person(db, band=None, roles=["team_lead"], name="Delivery manager")
    case_manager = new_person(db, band=None, roles=["case_manager"], name="Case manager")
    new_team(db, members=[subject, peer], lead=team_lead)
    people = dict(subject=subject, peer=peer, line_manager=lm, chain=chain, coach=coach,
                  team_lead=team_lead, admin=admin, case_manager=case_manager,
                  head_of_department=hod)
    headers = {k: bearer(settings, p) for k, p in people.items()}
    w = World(db, client, people, headers, {}, itertools.count(1))
    account = w.ok("admin", "POST", "/v1/service-accounts",
                   json={"name": "HR system", "scopes": ["hr.feed:read"]})
    token = w.client.post("/v1/auth/token", data={
        "grant_type": "client_credentials", "client_id": account["client_id"],
        "client_secret": account["client_secret"]}).json()
    w.headers["hr_service"] = {"Authorization": f"Bearer {token['access_token']}"}
    programme = w.ok("admin", "POST", "/v1/coaching/programmes", json={
        "name": "Coaching 2025", "cohort_bands": ["6", "7", "8a"], "starts_on": "2025-10-01",
        "ends_on": "2026-04-30", "planned_sessions": 6, "session_minutes": 60})
    w.ids["enrolment_id"] = w.ok("admin", "POST", "/v1/coaching/enrolments", json={
        "programme_id": programme["id"], "coachee_id": subject.id, "coach_id": coach.id})["id"]
    return w


Make = Callable[[World, str], str]  # (world, state) -> the record's URL
Read = Callable[[World, str, str], httpx.Response]  # (world, caller, url)
Take = Callable[[World, str, str], httpx.Response]  # (world, caller, url)


@dataclass(frozen=True)
class Resource:
    name: str
    states: tuple[str, ...]
    make: Make
    actions: dict[str, Take]
    read: Read = lambda w, caller, url: w.send(caller, "GET", url)
    # A PATCH that restates the state a record is in changes nothing and is answered 200:
    # (action, state) pairs where taking an unlisted action may be such a no-op.
    restating: frozenset[tuple[str, str]] = frozenset()
    # Statuses that also count as a refusal of an unlisted action (beyond 403/404/409).
    refused_also: frozenset[int] = frozenset()


# --- coaching sessions ------------------------------------------------------------------------


def _session(w: World, state: str) -> str:
    when = datetime(2025, 11, 3, 10, tzinfo=UTC) + timedelta(hours=w.next())
    made = w.ok("coach", "POST", "/v1/coaching/sessions", json={
        "enrolment_id": w.ids["enrolment_id"], "scheduled_for": when.isoformat()})
    url = f"/v1/coaching/sessions/{made['id']}"
    if state != "scheduled":
        w.ok("coach", "PATCH", url, json={"status": state})
    return url


def _patch(body: dict[str, Any]) -> Take:
    return lambda w, caller, url: w.send(caller, "PATCH", url, json=body)


COACHING_SESSION = Resource("coaching session", ("scheduled", "held", "cancelled"), _session, {
    "hold": _patch({"status": "held"}),
    "cancel": _patch({"status": "cancelled"}),
    "reschedule": _patch({"scheduled_for": "2026-01-05T10:00:00Z"}),
    "edit": _patch({"notes": "What we talked about", "topics": ["Confidence"]}),
}, restating=frozenset({("hold", "held"), ("cancel", "cancelled")}))


# --- one-to-ones ------------------------------------------------------------------------------


def _one_to_one(w: World, state: str) -> str:
    on = date(2025, 6, 2) + timedelta(days=w.next())
    made = w.ok("line_manager", "POST", "/v1/one-to-ones", json={
        "person_id": w.people["subject"].id, "on": on.isoformat(), "status": state,
        "notes": "private notes"})
    return f"/v1/one-to-ones/{made['id']}"


ONE_TO_ONE = Resource("one-to-one", ("held", "cancelled"), _one_to_one, {
    "edit": _patch({"notes": "changed"}),
})


# --- formal cases -----------------------------------------------------------------------------


def _case(w: World, state: str) -> str:
    made = w.ok("case_manager", "POST", "/v1/cases", json={
        "subject_id": w.people["subject"].id, "kind": "disciplinary",
        "summary": "A formal matter"})
    url = f"/v1/cases/{made['id']}"
    steps = {"under_review": 1, "outcome_recorded": 2, "closed": 3}.get(state, 0)
    if steps >= 1:
        w.ok("case_manager", "POST", f"{url}/transition", json={"to": "under_review"})
    if steps >= 2:
        w.ok("case_manager", "POST", f"{url}/outcome", json={"outcome": "No further action"})
    if steps >= 3:
        w.ok("case_manager", "POST", f"{url}/transition", json={"to": "closed"})
    return url


def _post(suffix: str, body: dict[str, Any] | None = None) -> Take:
    return lambda w, caller, url: w.send(caller, "POST", url + suffix, json=body)


CASE = Resource("formal case", ("open", "under_review", "outcome_recorded", "closed"), _case, {
    "review": _post("/transition", {"to": "under_review"}),
    "record_outcome": _post("/outcome", {"outcome": "No further action"}),
    "close": _post("/transition", {"to": "closed"}),
    "consent": _post("/consent"),
    "add_note": _post("/notes", {"visibility": "shared", "body": "A note"}),
})


# --- concerns ---------------------------------------------------------------------------------


def _concern(w: World, state: str) -> str:
    made = w.ok("line_manager", "POST", "/v1/concerns", json={
        "subject_id": w.people["subject"].id, "summary": "Worried about workload"})
    url = f"/v1/concerns/{made['id']}"
    if state == "dismissed":
        w.ok("case_manager", "POST", f"{url}/dismiss", json={"reason": "No case needed"})
    return url


def _read_concern(w: World, caller: str, url: str) -> httpx.Response:
    """Concerns are read in the list of open ones; one not in it lists nothing."""
    listed = w.send(caller, "GET", "/v1/concerns?limit=200")
    if listed.status_code != 200:
        return listed
    concern_id = int(url.rsplit("/", 1)[1])
    found = [c for c in listed.json()["items"] if c["id"] == concern_id]
    return httpx.Response(200, json=found[0]) if found else httpx.Response(404)


def _case_from_concern(w: World, caller: str, url: str) -> httpx.Response:
    return w.send(caller, "POST", "/v1/cases", json={
        "subject_id": w.people["subject"].id, "kind": "disciplinary", "summary": "From it",
        "concern_id": int(url.rsplit("/", 1)[1])})


CONCERN = Resource("concern", ("open", "dismissed"), _concern, {
    "dismiss": _post("/dismiss", {"reason": "No case needed"}),
    "open_case": _case_from_concern,
}, read=_read_concern)


# --- policy consultations ---------------------------------------------------------------------


def _consultation(w: World, state: str) -> str:
    n = w.next()  # each draft supersedes the last, so their dates never overlap
    draft = w.ok("admin", "POST", "/v1/policies", json={
        "name": f"Draft {n}", "effective_from": (date(2030, 4, 1) + timedelta(days=n)).isoformat()})
    url = f"/v1/policies/{draft['id']}/consultation"
    w.ok("admin", "POST", url, json={})
    w.ids[url] = w.ok("subject", "POST", f"{url}/comments", json={"body": "A comment"})["id"]
    if state == "closed":
        consultation = w.db.exec(select(PolicyConsultation).where(
            PolicyConsultation.policy_version_id == draft["id"])).one()
        now = datetime.now(UTC)
        consultation.opens_at = now - timedelta(days=31)
        consultation.closes_at = now - timedelta(days=1)
        w.db.add(consultation)
        w.db.commit()
    return url


def _reply(w: World, caller: str, url: str) -> httpx.Response:
    return w.send(caller, "POST", f"{url}/comments/{w.ids[url]}/reply", json={"reply": "Thanks"})


CONSULTATION = Resource("policy consultation", ("open", "closed"), _consultation, {
    "comment": _post("/comments", {"body": "Another comment"}),
    "reply": _reply,
})


# --- objectives --------------------------------------------------------------------------------


def _objective(w: World, state: str) -> str:
    made = w.ok("subject", "POST", "/v1/objectives", json={
        "title": f"Objective {w.next()}", "quarter": "2025-Q4", "twenty_percent_time": True})
    url = f"/v1/objectives/{made['id']}"
    if state == "changes_requested":
        w.ok("line_manager", "POST", f"{url}/request_changes", json={"note": "Say the outcome"})
    if state in ("agreed", "completed"):
        w.ok("line_manager", "POST", f"{url}/agree")
    if state == "completed":
        w.ok("subject", "POST", f"{url}/complete", json={"note": "done"})
    if state == "dropped":
        w.ok("subject", "POST", f"{url}/drop", json={"reason": "No longer needed"})
    return url


OBJECTIVE = Resource(
    "objective", ("draft", "changes_requested", "agreed", "completed", "dropped"), _objective, {
        "agree": _post("/agree"),
        "request_changes": _post("/request_changes", {"note": "Name the measure"}),
        "complete": _post("/complete", {"note": "Achieved"}),
        "drop": _post("/drop", {"reason": "Not this quarter"}),
        "reopen": _post("/reopen", {"reason": "Not finished after all"}),
        "edit": _patch({"description": "Reworded"}),
    },
    # An admin may drop someone's objective only as an override with a reason: it is no action
    # the objective offers them, and without the reason it is refused (422 OVERRIDE-REASON).
    refused_also=frozenset({422}))


# --- interventions ----------------------------------------------------------------------------


def _intervention(w: World, state: str) -> str:
    made = w.ok("line_manager", "POST", "/v1/interventions", json={
        "person_id": w.people["subject"].id, "kind": "pairing",
        "summary": f"Pair on the service {w.next()}"})
    url = f"/v1/interventions/{made['id']}"
    if state == "declined":
        w.ok("subject", "POST", f"{url}/decline", json={"reason": "Not now"})
    if state in ("agreed", "in_progress", "completed"):
        w.ok("subject", "POST", f"{url}/agree")
    if state in ("in_progress", "completed"):
        w.ok("line_manager", "POST", f"{url}/start")
    if state == "completed":
        w.ok("line_manager", "POST", f"{url}/complete", json={"note": "It helped"})
    return url


INTERVENTION = Resource(
    "intervention", ("proposed", "agreed", "in_progress", "completed", "declined"),
    _intervention, {
        "agree": _post("/agree"),
        "decline": _post("/decline", {"reason": "Not for me"}),
        "start": _post("/start"),
        "complete": _post("/complete", {"note": "Done"}),
    })


RESOURCES = (COACHING_SESSION, ONE_TO_ONE, CASE, CONCERN, CONSULTATION, OBJECTIVE, INTERVENTION)
CASES = [(r, s) for r in RESOURCES for s in r.states]


def _allowed(w: World, resource: Resource, caller: str, url: str) -> list[str]:
    read = resource.read(w, caller, url)
    if read.status_code != 200:
        assert read.status_code in (403, 404), (caller, read.status_code, read.text)
        return []
    allowed = read.json()["allowed_actions"]
    assert set(allowed) <= set(resource.actions), f"unknown actions listed: {allowed}"
    return allowed


@pytest.mark.parametrize(("resource", "state"), CASES,
                         ids=[f"{r.name}-{s}" for r, s in CASES])
def test_allowed_actions_succeed_and_the_rest_are_refused(
        resource: Resource, state: str, db: Session, client: TestClient,
        settings: Settings) -> None:
    w = build_world(db, client, settings)
    wrong: list[str] = []
    offered: set[tuple[str, str]] = set()
    for caller in CALLERS:
        allowed = _allowed(w, resource, caller, resource.make(w, state))
        offered |= {(caller, a) for a in allowed}
        for action, take in resource.actions.items():
            answer = take(w, caller, resource.make(w, state))
            want = OK if action in allowed else REFUSED | resource.refused_also
            if (action, state) in resource.restating and answer.status_code == 200 \
                    and answer.json()["status"] == state and (caller, "edit") in offered:
                continue  # restated what it is, by someone who may change it: a no-op
            if answer.status_code not in want:
                wrong.append(f"{caller} {action} ({'listed' if action in allowed else 'not'}"
                             f" listed): {answer.status_code} {answer.text[:200]}")
            elif answer.status_code == 403:
                problem = answer.json()
                if not problem.get("rule") and not problem.get("required_scope"):
                    wrong.append(f"{caller} {action}: a 403 that names no rule: {problem}")
        figures.record("allowed actions: resource x state x caller checks")
    assert not wrong, f"{resource.name} ({state}): " + "; ".join(wrong)


def test_a_concern_raiser_and_an_excluded_line_manager_are_never_offered_the_case(
        db: Session, client: TestClient, settings: Settings) -> None:
    """The exclusion rule beats every role: the subject's line manager, holding every role,
    is told the case does not exist, so is offered nothing and refused everything (404)."""
    w = build_world(db, client, settings)
    lm = w.people["line_manager"]
    lm.roles = ["admin", "case_manager", "head_of_department"]
    db.add(lm)
    db.commit()
    w.headers["line_manager"] = bearer(settings, lm)
    for state in CASE.states:
        assert w.send("line_manager", "GET", CASE.make(w, state)).status_code == 404
        for action, take in CASE.actions.items():
            answer = take(w, "line_manager", CASE.make(w, state))
            assert answer.status_code == 404, (state, action, answer.text)

"""The authorization matrix: every operation in the OpenAPI document x every kind of caller.

The oracle is SPEC.md section 4 (Access rules, and the exclusion rule). The route list comes
from the app itself (`app.openapi()["paths"]`), so a new route without an entry in
`EXPECTED` fails `test_every_operation_has_an_entry`. `/healthz` and `/readyz` are skipped:
they are public by design (load-balancer probes; they reveal nothing about any record).

Each operation is one test: a fresh world (one record of each kind about one subject) is
arranged, then every caller sends the same request. Callers whose expected set holds no 2xx
go first, so a wrongly-allowed mutation shows up as a failure of that caller, and allowed
callers that come after a state change may legitimately get 404/409/422 (listed in their set).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.db.support import CaseAssignment
from app.settings import Settings
from tests import figures
from tests.factories import bearer, new_person, new_team

PUBLIC_BY_DESIGN = {("get", "/healthz"), ("get", "/readyz")}

CALLERS = ("anonymous", "subject", "peer", "line_manager", "chain", "coach", "team_lead",
           "admin", "case_manager", "head_of_department", "hr_service")

OK = frozenset({200, 201, 204})
NO = frozenset({403, 404})       # function refused (403) or record hidden (404)
ANON = frozenset({401})


@dataclass
class World:
    people: dict[str, Any]
    headers: dict[str, dict[str, str]]
    ids: dict[str, Any] = field(default_factory=dict)


def _ok(response, *codes: int):
    assert response.status_code in (codes or (200, 201)), (response.status_code, response.text)
    return response.json() if response.content else None


def build_world(db: Session, client: TestClient, settings: Settings) -> World:
    admin = new_person(db, band=None, roles=["admin"], name="Admin")
    hod = new_person(db, band="8c", roles=["head_of_department"], name="Head")
    chain = new_person(db, band="8b", line_manager=hod, name="Chain")
    lm = new_person(db, band="8a", line_manager=chain, name="Line manager")
    other_lm = new_person(db, band="8a", line_manager=chain, name="Other line manager")
    subject = new_person(db, band="7", line_manager=lm, name="Subject", employee_number="000042")
    peer = new_person(db, band="7", line_manager=other_lm, name="Peer")
    coach = new_person(db, band="8b", line_manager=hod, name="Coach")
    team_lead = new_person(db, band=None, roles=["team_lead"], name="Delivery manager")
    case_manager = new_person(db, band=None, roles=["case_manager"], name="Case manager")
    case_manager2 = new_person(db, band=None, roles=["case_manager"], name="Case manager 2")
    people = dict(subject=subject, peer=peer, line_manager=lm, chain=chain, coach=coach,
                  team_lead=team_lead, admin=admin, case_manager=case_manager,
                  head_of_department=hod, other_lm=other_lm, case_manager2=case_manager2)
    h = {k: bearer(settings, p) for k, p in people.items()}
    h["anonymous"] = {}
    w = World(people=people, headers=h)
    ids = w.ids
    ids["person_id"] = subject.id
    ids["band"] = "7"
    team = new_team(db, members=[subject, peer], lead=team_lead)
    ids["team_id"] = team.id

    # HR system: a service account with hr.feed:read, signed in with client credentials.
    account = _ok(client.post("/v1/service-accounts", headers=h["admin"],
                              json={"name": "HR system", "scopes": ["hr.feed:read"]}))
    ids["account_id"] = account["id"]
    token = _ok(client.post("/v1/auth/token", data={
        "grant_type": "client_credentials", "client_id": account["client_id"],
        "client_secret": account["client_secret"]}))
    h["hr_service"] = {"Authorization": f"Bearer {token['access_token']}"}
    spare = _ok(client.post("/v1/service-accounts", headers=h["admin"],
                            json={"name": "Spare", "scopes": ["people:read"]}))
    ids["spare_account_id"] = spare["id"]

    # Objectives in each state the transitions need.
    def objective(title: str) -> int:
        return _ok(client.post("/v1/objectives", headers=h["subject"], json={
            "title": title, "quarter": "2025-Q4", "twenty_percent_time": True}))["id"]
    ids["objective_id"] = objective("Draft objective")
    ids["agreed_objective_id"] = objective("Agreed objective")
    _ok(client.post(f"/v1/objectives/{ids['agreed_objective_id']}/agree", headers=h["line_manager"]))
    ids["completed_objective_id"] = objective("Completed objective")
    _ok(client.post(f"/v1/objectives/{ids['completed_objective_id']}/agree",
                    headers=h["line_manager"]))
    _ok(client.post(f"/v1/objectives/{ids['completed_objective_id']}/complete",
                    headers=h["subject"], json={"note": "done"}))
    _ok(client.post(f"/v1/objectives/{ids['objective_id']}/check-ins", headers=h["subject"],
                    json={"on": "2025-10-08", "note": "progress"}))

    ids["evidence_id"] = _ok(client.post("/v1/evidence", headers=h["subject"], json={
        "kind": "accomplishment", "occurred_on": "2025-10-08", "title": "Shipped a thing"}))["id"]
    ids["one_to_one_id"] = _ok(client.post("/v1/one-to-ones", headers=h["line_manager"], json={
        "person_id": subject.id, "on": "2025-10-08", "status": "held",
        "notes": "private notes"}))["id"]
    ids["absence_id"] = _ok(client.post("/v1/absences", headers=h["subject"], json={
        "person_id": subject.id, "kind": "leave", "start_date": "2025-10-13",
        "end_date": "2025-10-14"}))["id"]

    programme = _ok(client.post("/v1/coaching/programmes", headers=h["admin"], json={
        "name": "Coaching 2025", "cohort_bands": ["6", "7", "8a"], "starts_on": "2025-10-01",
        "ends_on": "2026-04-30", "planned_sessions": 6, "session_minutes": 60}))
    ids["programme_id"] = programme["id"]
    ids["enrolment_id"] = _ok(client.post("/v1/coaching/enrolments", headers=h["admin"], json={
        "programme_id": programme["id"], "coachee_id": subject.id, "coach_id": coach.id}))["id"]
    ids["session_id"] = _ok(client.post("/v1/coaching/sessions", headers=h["coach"], json={
        "enrolment_id": ids["enrolment_id"], "scheduled_for": "2025-11-03T10:00:00Z"}))["id"]

    def intervention() -> int:
        return _ok(client.post("/v1/interventions", headers=h["line_manager"], json={
            "person_id": subject.id, "kind": "mentoring", "summary": "Pair on design"}))["id"]
    ids["intervention_id"] = intervention()
    ids["agreed_intervention_id"] = intervention()
    _ok(client.post(f"/v1/interventions/{ids['agreed_intervention_id']}/agree",
                    headers=h["subject"]))
    ids["started_intervention_id"] = intervention()
    _ok(client.post(f"/v1/interventions/{ids['started_intervention_id']}/agree",
                    headers=h["subject"]))
    _ok(client.post(f"/v1/interventions/{ids['started_intervention_id']}/start",
                    headers=h["line_manager"]))

    # Support the subject asked for themselves, private to them and their line manager.
    ids["support_request_id"] = _ok(client.post("/v1/me/support-requests", headers=h["subject"],
                                                json={"kind": "mentoring",
                                                      "words": "Help with design"}))["id"]

    evaluation = _ok(client.post("/v1/evaluations", headers=h["admin"], json={
        "period_type": "week", "period_key": "2025-W41"}))
    ids["evaluation_id"] = evaluation["id"]

    ids["concern_id"] = _ok(client.post("/v1/concerns", headers=h["line_manager"], json={
        "subject_id": subject.id, "summary": "Worried about workload"}))["id"]
    case = _ok(client.post("/v1/cases", headers=h["case_manager"], json={
        "subject_id": subject.id, "kind": "disciplinary", "summary": "A formal matter"}))
    ids["case_id"] = case["id"]
    _ok(client.post(f"/v1/cases/{case['id']}/assignments", headers=h["case_manager"],
                    json={"case_manager_id": case_manager2.id}))
    _ok(client.post(f"/v1/cases/{case['id']}/notes", headers=h["case_manager"],
                    json={"visibility": "shared", "body": "Shared note"}))

    policies = _ok(client.get("/v1/policies", headers=h["admin"]))
    ids["policy_id"] = policies["items"][0]["id"]
    draft = _ok(client.post("/v1/policies", headers=h["admin"], json={
        "name": "Next year", "effective_from": "2030-04-01"}))
    ids["draft_policy_id"] = draft["id"]
    _ok(client.post(f"/v1/policies/{draft['id']}/consultation", headers=h["admin"], json={}))
    ids["comment_id"] = _ok(client.post(f"/v1/policies/{draft['id']}/consultation/comments",
                                        headers=h["subject"], json={"body": "A comment"}))["id"]

    # Checklists are the caller's own (no record about the subject): a fixed situation/item.
    ids["situation"] = "weekly-developer"
    ids["item_key"] = "accomplishments"
    link = _ok(client.post("/v1/calendar/link", headers=h["subject"]))
    ids["calendar_token"] = link["token"]

    # A role change proposed by another admin, so the admin caller may decide it.
    proposer = new_person(db, band=None, roles=["admin"], name="Proposing admin")
    ids["role_change_id"] = _ok(client.post("/v1/role-changes", headers=bearer(settings, proposer),
                                            json={"person_id": peer.id, "role": "admin",
                                                  "change": "grant", "reason": "Cover"}))["id"]
    return w


# Which arranged record fills `{id}` parameters, when it is not the default for the name.
PATH_IDS: dict[str, dict[str, str]] = {
    "agree_objective": {"objective_id": "objective_id"},
    "request_objective_changes": {"objective_id": "objective_id"},
    "complete_objective": {"objective_id": "agreed_objective_id"},
    "drop_objective": {"objective_id": "agreed_objective_id"},
    "reopen_objective": {"objective_id": "completed_objective_id"},
    "start_intervention": {"intervention_id": "agreed_intervention_id"},
    "complete_intervention": {"intervention_id": "started_intervention_id"},
    "share_support_request": {"intervention_id": "support_request_id"},
    "revoke_service_account": {"account_id": "spare_account_id"},
    "open_consultation": {"policy_id": "policy_id"},
    "get_consultation": {"policy_id": "draft_policy_id"},
    "add_comment": {"policy_id": "draft_policy_id"},
    "reply_to_comment": {"policy_id": "draft_policy_id"},
    "unassign_case_manager": {"person_id": "case_manager2_id"},
}


def body_for(op: str, w: World) -> Any:
    """A minimal valid body (JSON unless stated) for each operation that takes one."""
    s = w.ids["person_id"]
    bodies: dict[str, Any] = {
        "create_person": {"name": "New Person", "email": "new.person@example.org",
                          "kind": "employee"},
        "update_person": {"name": "Renamed"},
        "order_activities": {"activities": [{"name": "Review", "responsibility": "Code Reviews"}]},
        "create_team": {"name": "New team"},
        "update_team": {"name": "Renamed team"},
        "record_absence": {"person_id": s, "kind": "sickness", "start_date": "2025-11-03",
                           "end_date": "2025-11-04"},
        "create_service_account": {"name": "Another", "scopes": ["hr.feed:read"]},
        "create_objective": {"title": "Another", "quarter": "2025-Q4", "person_id": s},
        "update_objective": {"title": "Retitled"},
        "complete_objective": {"note": "done"},
        "drop_objective": {"reason": "no longer needed", "override_reason": "Left in October"},
        "request_objective_changes": {"note": "Say how coverage will be measured"},
        "reopen_objective": {"reason": "not finished"},
        "create_check_in": {"on": "2025-10-09", "note": "more progress"},
        "record_evidence": {"kind": "accomplishment", "occurred_on": "2025-10-09",
                            "title": "Another", "person_id": s},
        "update_evidence": {"title": "Retitled"},
        "record_one_to_one": {"person_id": s, "on": "2025-10-15", "status": "held"},
        "update_one_to_one": {"notes": "changed"},
        "create_coaching_programme": {"name": "Another", "cohort_bands": ["8a"],
                                      "starts_on": "2025-10-01", "ends_on": "2026-04-30",
                                      "planned_sessions": 6, "session_minutes": 60},
        "update_coaching_programme": {"name": "Renamed"},
        "create_coaching_enrolment": {"programme_id": w.ids["programme_id"], "coachee_id": s,
                                      "coach_id": w.people["chain"].id},
        "schedule_coaching_session": {"enrolment_id": w.ids["enrolment_id"],
                                      "scheduled_for": "2025-12-01T10:00:00Z"},
        "update_coaching_session": {"status": "held"},
        "receive_jira_webhook": {"webhookEvent": "jira:issue_updated"},
        "receive_github_webhook": {"zen": "hi"},
        "create_policy": {"name": "Another", "effective_from": "2031-04-01"},
        "update_policy": {"name": "Renamed"},
        "run_evaluation": {"period_type": "week", "period_key": "2025-W42"},
        "create_intervention": {"person_id": s, "kind": "pairing", "summary": "Pair more"},
        "decline_intervention": {"reason": "not now"},
        "complete_intervention": {},
        "set_praise_preference": {"opt_out": True},
        "request_support": {"kind": "coaching", "words": "I would like a coach"},
        "share_support_request": {"shared": True},
        "raise_concern": {"subject_id": s, "summary": "Another concern"},
        "dismiss_concern": {"reason": "no case needed"},
        "open_case": {"subject_id": s, "kind": "disciplinary", "summary": "Another matter"},
        "transition_case": {"to": "under_review"},
        "record_case_outcome": {"outcome": "No further action"},
        "create_case_note": {"visibility": "shared", "body": "A note"},
        "assign_case_manager": {"case_manager_id": w.people["other_lm"].id},
        "tick_checklist_item": {"done": True},
        "create_checklist_template": {"situation": "weekly-developer", "title": "Your week",
                                      "period_type": "week", "effective_from": "2031-01-05",
                                      "items": [{"key": "k", "text": "Do a thing"}]},
        "open_consultation": {},
        "add_comment": {"body": "Another comment"},
        "reply_to_comment": {"reply": "Thanks"},
        "set_password": {"token": "not-a-token", "password": "a long enough password"},
        "change_own_password": {"current_password": "not the password",
                                "new_password": "a long enough password"},
        "propose_role_change": {"person_id": w.people["coach"].id, "role": "case_manager",
                                "change": "grant", "reason": "Covers casework"},
        "approve_role_change": {},
        "reject_role_change": {"reason": "Not needed"},
    }
    return bodies.get(op)


def send(client: TestClient, w: World, method: str, path: str, op: str, caller: str):
    ids = dict(w.ids, case_manager2_id=w.people["case_manager2"].id)
    for name, key in PATH_IDS.get(op, {}).items():
        ids[name] = ids[key]
    url = path.format(**{k: ids[k] for k in ids if "{" + k + "}" in path})
    headers = dict(w.headers[caller])
    kwargs: dict[str, Any] = {}
    if method == "patch":
        headers["If-Match"] = "*"
    if op == "issue_token":
        kwargs["data"] = {"grant_type": "password", "username": "nobody@example.org",
                          "password": "wrong"}
    elif op == "revoke_token":
        kwargs["data"] = {"token": "not-a-token"}
    elif op == "import_people":
        headers["Content-Type"] = "text/csv"
        kwargs["content"] = b"name,email,kind\nImported,imported@example.org,employee\n"
    elif op == "get_calendar_feed" and caller == "subject":
        url += f"?token={w.ids['calendar_token']}"
    elif op in ("list_case_audit", "list_case_refusals"):
        url += f"?case_id={w.ids['case_id']}"
    elif op == "list_periods":
        url += "?type=week&from=2025-10-01&to=2025-10-31"
    elif op == "list_absences":
        url += f"?person_id={w.ids['person_id']}"
    elif op == "list_coaching_sessions":
        url += f"?enrolment_id={w.ids['enrolment_id']}"
    else:
        body = body_for(op, w)
        if body is not None:
            kwargs["json"] = body
    return client.request(method.upper(), url, headers=headers, **kwargs)


def operations(app: FastAPI) -> list[tuple[str, str, str]]:
    return [(method, path, spec["operationId"])
            for path, methods in app.openapi()["paths"].items()
            for method, spec in methods.items() if (method, path) not in PUBLIC_BY_DESIGN]


# Who may use each operation on the arranged records (SPEC section 4). Abbreviations:
ABBREV = {"an": "anonymous", "su": "subject", "pe": "peer", "lm": "line_manager", "ch": "chain",
          "co": "coach", "tl": "team_lead", "ad": "admin", "cm": "case_manager",
          "hd": "head_of_department", "hr": "hr_service"}
# Listed callers are ALLOWED: 2xx, or 409/422 when a business rule refuses an allowed caller
# (a duplicate, a wrong state, an item that ticks itself), or 404 for a change that an earlier
# allowed caller already made (deleted/transitioned). Unlisted signed-in callers must get 403 or
# 404; anonymous must get 401. Lists are filtered by relationship, so they are 200 for every
# signed-in person with the scope (their contents are checked for cases/concerns below).
EXPECTED: dict[str, str] = {
    "issue_token": "*",
    "revoke_token": "su pe lm ch co tl ad cm hd hr",
    "get_me": "su pe lm ch co tl ad cm hd hr",
    "create_person": "ad",
    "list_people": "su pe lm ch co tl ad cm hd",
    "import_people": "ad",
    "get_person": "su pe lm ch co tl ad cm hd",
    "update_person": "ad",
    "list_reports": "su pe lm ch co tl ad cm hd",
    "order_activities": "su pe lm ch co tl ad cm hd",
    "list_bands": "su pe lm ch co tl ad cm hd",
    "get_band": "su pe lm ch co tl ad cm hd",
    "create_team": "ad",
    "list_teams": "su pe lm ch co tl ad cm hd",
    "get_team": "su pe lm ch co tl ad cm hd",
    "update_team": "ad",
    "record_absence": "su lm ad",
    "list_absences": "su lm ch ad hd",
    "delete_absence": "su lm ad",
    "confirm_absence": "lm ad",
    "create_service_account": "ad",
    "list_service_accounts": "ad",
    "revoke_service_account": "ad",
    # An objective is its owner's own words: nobody else creates, rewrites or drops it,
    # except an admin's recorded override (a drop with `override_reason`).
    "create_objective": "su",
    "list_objectives": "su pe lm ch co tl ad cm hd",
    "get_objective": "su lm ch co hd",
    "list_objective_history": "su lm ch co hd",
    "update_objective": "su",
    "agree_objective": "lm",
    "request_objective_changes": "lm",
    "complete_objective": "su",
    "drop_objective": "su ad",
    "reopen_objective": "lm",
    "create_check_in": "su lm",
    "list_check_ins": "su lm ch co hd",
    "record_evidence": "su",
    "list_evidence": "su pe lm ch co tl ad cm hd",
    "get_evidence": "su lm ch co hd",
    "update_evidence": "su",
    "delete_evidence": "su",
    "record_one_to_one": "su lm",
    "list_one_to_ones": "su pe lm ch co tl ad cm hd",
    "get_one_to_one": "su lm ch hd",
    "update_one_to_one": "su lm",
    "create_coaching_programme": "ad",
    "list_coaching_programmes": "su pe lm ch co tl ad cm hd",
    "get_coaching_programme": "su pe lm ch co tl ad cm hd",
    "update_coaching_programme": "ad",
    "create_coaching_enrolment": "ad",
    "list_coaching_enrolments": "su pe lm ch co tl ad cm hd",
    "get_coaching_enrolment": "su lm ch co ad hd",
    "withdraw_coaching_enrolment": "ad",
    "schedule_coaching_session": "su co",
    "list_coaching_sessions": "su lm ch co hd",
    "get_coaching_session": "su lm ch co hd",
    "update_coaching_session": "su co",
    "get_cpd_record": "su lm ch hd",
    "receive_jira_webhook": "",
    "receive_github_webhook": "",
    "list_deliveries": "ad",
    "replay_deliveries": "ad",
    "hr_objective_completions": "ad hr",
    "list_policies": "su pe lm ch co tl ad cm hd",
    "create_policy": "ad",
    "get_policy": "su pe lm ch co tl ad cm hd",
    "update_policy": "ad",
    "list_periods": "su pe lm ch co tl ad cm hd",
    "run_evaluation": "ad",
    "list_evaluations": "ad",
    "get_evaluation": "ad",
    "close_evaluation": "ad",
    "list_target_results": "su lm ch co hd",
    "list_triggers": "su pe lm ch co tl ad cm hd",
    "create_intervention": "lm",
    "list_interventions": "su pe lm ch co tl ad cm hd",
    "get_intervention": "su lm ch co hd",
    "list_intervention_history": "su lm ch co hd",
    "agree_intervention": "su",
    "decline_intervention": "su",
    "start_intervention": "lm",
    "complete_intervention": "lm",
    "get_recognition_digest": "hd",
    "get_praise_preference": "su",
    "set_praise_preference": "su",
    # Anyone may ask for support; those with no line manager to ask are told so (422).
    "request_support": "su pe lm ch co tl ad cm hd",
    # Private to the subject and their line manager: only the person who asked shares it.
    "share_support_request": "su",
    # Strictly the caller's own record: every person reads theirs, nobody anyone else's.
    "get_my_record": "su pe lm ch co tl ad cm hd",
    "raise_concern": "lm",
    "list_concerns": "cm",
    "dismiss_concern": "cm",
    "open_case": "cm",
    "list_cases": "su pe lm ch co tl ad cm hd hr",
    "get_case": "su cm",
    "transition_case": "cm",
    "record_case_outcome": "cm",
    "consent_to_case": "su",
    "create_case_note": "cm",
    "list_case_notes": "su cm",
    "assign_case_manager": "cm",
    "unassign_case_manager": "cm",
    "list_case_audit": "cm",
    "list_case_refusals": "cm",
    "get_participation_report": "su pe lm ch co tl ad cm hd",
    "get_team_report": "lm ch tl ad hd",
    "list_checklists": "su pe lm ch co tl ad cm hd",
    "tick_checklist_item": "su pe lm ch co",
    "list_checklist_templates": "su pe lm ch co tl ad cm hd",
    "create_checklist_template": "ad",
    "get_calendar": "su pe lm ch co tl ad cm hd",
    "get_calendar_feed": "su",
    "rotate_calendar_link": "su pe lm ch co tl ad cm hd",
    "revoke_calendar_link": "su pe lm ch co tl ad cm hd",
    "open_consultation": "ad",
    "get_consultation": "su pe lm ch co tl ad cm hd",
    "add_comment": "su pe lm ch co tl ad cm hd",
    "reply_to_comment": "ad",
    # Only a monitoring service account (metrics:read) scrapes; no person, whatever roles.
    "metrics": "",
    # Separation of duties. A link for the subject is refused (409): they have an open case.
    "create_password_link": "ad",
    "set_password": "*",
    "change_own_password": "su pe lm ch co tl ad cm hd",
    "propose_role_change": "ad",
    "list_role_changes": "ad",
    "get_role_change": "ad",
    "approve_role_change": "ad",
    "reject_role_change": "ad",
}

# Rows whose expectation differs from the simple rule above.
SPECIAL: dict[str, dict[str, frozenset[int]]] = {
    # Public: wrong credentials are 400/401 for everyone (429 once the rate limit bites).
    "issue_token": {c: frozenset({400, 401, 429}) for c in CALLERS},
    # Public: a set-password link's token is the credential; a wrong one is 422 for all.
    "set_password": {c: frozenset({422}) for c in CALLERS},
    # Webhooks authenticate by HMAC signature, not bearer tokens: unsigned is 401 for all.
    "receive_jira_webhook": {c: ANON for c in CALLERS},
    "receive_github_webhook": {c: ANON for c in CALLERS},
    # The feed is opened by its secret link (only the subject has one here), not a bearer.
    "get_calendar_feed": {c: (OK if c == "subject" else ANON) for c in CALLERS},
}

# Real access bugs found (NOT fixed here): (operation, caller) -> reason.
KNOWN_BUGS: dict[tuple[str, str], str] = {}

# THE REFUSAL RULE (app/domain/access.py): a person refused a record whose existence they may
# already know is told why (403); one refused a record whose existence is protected is told
# it does not exist (404). Service accounts are refused the function (403) before any record.
FORBIDDEN = frozenset({403})
HIDDEN = frozenset({404})
REFUSED_WITH: dict[str, frozenset[int]] = {
    **{op: FORBIDDEN for op in ("get_objective", "list_check_ins", "create_check_in",
                                "get_evidence", "update_evidence", "delete_evidence",
                                "get_intervention", "list_absences", "delete_absence",
                                "get_cpd_record", "list_target_results")},
    **{op: HIDDEN for op in ("get_one_to_one", "get_coaching_session", "get_case",
                             "list_case_notes")},
}


def expected(op: str, method: str, caller: str) -> frozenset[int]:
    if op in SPECIAL:
        return SPECIAL[op][caller]
    allowed = {ABBREV[a] for a in EXPECTED[op].split()}
    if caller in allowed:
        extra = {409, 422} if method == "get" else {404, 409, 422}
        return OK | extra
    if caller == "anonymous":
        return ANON
    return NO if caller == "hr_service" else REFUSED_WITH.get(op, NO)


def test_every_operation_has_an_entry(app: FastAPI) -> None:
    missing = [f"{m.upper()} {p} ({op})" for m, p, op in operations(app) if op not in EXPECTED]
    assert not missing, "operations with no row in the authorization matrix: " + ", ".join(missing)
    stale = set(EXPECTED) - {op for _, _, op in operations(app)}
    assert not stale, f"rows for operations that no longer exist: {sorted(stale)}"


def _all_operations() -> list[tuple[str, str, str]]:
    from app.main import create_app
    from app.settings import Environment
    settings = Settings(env=Environment.test, database_url="sqlite://", jwt_secret="x" * 48,
                        bootstrap_admin_email=None, bootstrap_admin_password=None)
    return operations(create_app(settings))


OPERATIONS = _all_operations()


@pytest.mark.parametrize(("method", "path", "op"), OPERATIONS, ids=[o[2] for o in OPERATIONS])
def test_operation_x_caller(method: str, path: str, op: str, db: Session, client: TestClient,
                            settings: Settings) -> None:
    if op not in EXPECTED:
        pytest.fail(f"{op} has no row in EXPECTED")
    w = build_world(db, client, settings)
    # Denied callers first: a wrongly allowed change is then caught before it alters the world.
    order = sorted(CALLERS, key=lambda c: bool(expected(op, method, c) & OK))
    wrong, bugs = [], []
    for caller in order:
        status = send(client, w, method, path, op, caller).status_code
        want = expected(op, method, caller)
        if (op, caller) in KNOWN_BUGS:
            if status not in want:
                bugs.append(f"{caller}: {KNOWN_BUGS[(op, caller)]} (got {status})")
            else:
                wrong.append(f"{caller}: known bug no longer reproduces (got {status})")
        elif status not in want:
            wrong.append(f"{caller}: got {status}, expected one of {sorted(want)}")
    assert not wrong, f"{method.upper()} {path}: " + "; ".join(wrong)
    figures.record("authorization matrix: routes checked")
    figures.record("authorization matrix: route x caller checks", len(order))
    if bugs:
        pytest.xfail("; ".join(bugs))


CASE_OPS = [o for o in OPERATIONS if "{case_id}" in o[1]]


def test_exclusion_rule(db: Session, client: TestClient, settings: Settings) -> None:
    """SPEC 4: the subject's line manager never sees or touches a case about them, whatever
    roles they hold (admin, case_manager, head_of_department): 404 everywhere, absent from lists.
    They are even on the case's assignments (assigned before the subject moved to them), so
    only the exclusion rule stands between them and the case."""
    w = build_world(db, client, settings)
    lm = w.people["line_manager"]
    lm.roles = ["admin", "case_manager", "head_of_department"]
    db.add(lm)
    db.add(CaseAssignment(case_id=w.ids["case_id"], case_manager_id=lm.id))
    db.commit()
    w.headers["line_manager"] = bearer(settings, lm)
    for method, path, op in CASE_OPS:
        status = send(client, w, method, path, op, "line_manager").status_code
        assert status == 404, f"{method.upper()} {path}: excluded line manager got {status}"
    # The case is still there for its case manager.
    assert client.get(f"/v1/cases/{w.ids['case_id']}",
                      headers=w.headers["case_manager"]).status_code == 200
    for url in ("/v1/cases", "/v1/concerns"):
        response = client.get(url, headers=w.headers["line_manager"])
        assert response.status_code in (200, 403, 404), response.text
        if response.status_code == 200:
            subjects = {i.get("subject_id") for i in response.json()["items"]}
            assert w.ids["person_id"] not in subjects, f"{url} shows a case/concern about S"
    for view in ("audit", "audit/refusals"):
        audit = client.get(f"/v1/{view}?case_id={w.ids['case_id']}",
                           headers=w.headers["line_manager"])
        assert audit.status_code in (403, 404) or not audit.json()["items"], audit.text
    # Nor through someone else's account: no password is set for, and no set-password link
    # issued for, the case manager or the subject, in words that never mention a case.
    for target in ("case_manager", "subject"):
        person_id = w.people[target].id
        link = client.post(f"/v1/people/{person_id}/password-link",
                           headers=w.headers["line_manager"])
        assert link.status_code == 409 and "case" not in link.json()["detail"].lower(), link.text
        patched = client.patch(f"/v1/people/{person_id}",
                               headers={**w.headers["line_manager"], "If-Match": "*"},
                               json={"password": "taken over by the line manager"})
        assert patched.status_code == 422, patched.text
    figures.record("exclusion rule: case routes and lists checked", len(CASE_OPS) + 5)

"""Constant cost: a list or report costs the same number of SQL statements however much it
covers.

Every GET operation in the app's own contract is either a scenario here or named in
`ONE_RECORD` with the reason nothing in it can grow; a new read route with neither fails
`test_every_read_route_is_covered`. Each scenario arranges a small and a large world (page
size 5 vs 50, a team of 3 vs 30, a manager with 2 vs 20 reports over a chain, a quarter with
few vs many evidence rows...), sends the same request as the caller who would send it, checks
the answer really grew, and asserts the two requests ran exactly as many statements. The
counts are printed after the run (tests/conftest.py).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.db.duties import CaseRefusal, RoleChangeRequest
from app.db.growth import (CheckIn, CoachingEnrolment, CoachingProgramme, CoachingSession,
                           Evidence, HrEvent, Objective, OneToOne)
from app.db.integrations import Sprint, WebhookDelivery
from app.db.models import (Absence, AuditEntry, Person, RecordChange, ServiceAccount, Team,
                           TeamBoard, TeamMember, TeamMembership, id_column, id_of)
from app.db.oversight import ChecklistTemplate, PolicyComment, PolicyConsultation
from app.db.support import (CaseAssignment, CaseNote, Concern, Evaluation, FormalCase,
                            Intervention, PolicyTarget, PolicyVersion, TargetResult, Trigger)
from app.services.identity import tokens
from app.settings import Settings
from tests.factories import CONFIRMED, LONG_AGO, StatementCounter, bearer, new_person

QUARTER = "2025-Q4"
WEEK = "2025-W41"  # 6 to 12 October 2025
MONDAY = date(2025, 10, 6)
DAY = date(2025, 10, 8)
_seq = count(1)


def _at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@dataclass
class Probe:
    """The request a scenario sends, as whom, and what in the answer must grow with it."""

    url: str
    headers: dict[str, str]
    measure: Callable[[Any], int] | None  # None: the body does not tell (a chart of shares)


def items(answer: Any) -> int:
    return len(answer.json()["items"])


def body_lines(answer: Any) -> int:
    return len(answer.text.splitlines())


@dataclass
class World:
    """Arranges records straight in the database (their rules are tested through the API
    elsewhere), in bulk, and makes tokens for the callers."""

    db: Session
    client: TestClient
    settings: Settings
    _head: Person | None = field(default=None)

    def person(self, **kw: Any) -> Person:
        return new_person(self.db, **kw)

    def add(self, *rows: Any) -> list[Any]:
        self.db.add_all(rows)
        self.db.commit()
        return list(rows)

    def reports(self, manager: Person, n: int, **kw: Any) -> list[Person]:
        return self.add(*[Person(name=f"Report {next(_seq)}", email=f"r{next(_seq)}@example.org",
                                 kind="employee", band=kw.get("band", "7"),
                                 line_manager_id=manager.id, roles=[], started_on=LONG_AGO)
                                  for _ in range(n)])

    def team(self, members: list[Person], *, lead: Person | None = None,
             anchor: date | None = None) -> Team:
        team = self.add(Team(name=f"Team {next(_seq)}", sprint_anchor_date=anchor,
                             delivery_manager_id=lead.id if lead else None))[0]
        self.add(*[TeamMember(team_id=id_of(team), person_id=id_of(p)) for p in members])
        self.add(*[TeamMembership(team_id=id_of(team), person_id=id_of(p), started_on=LONG_AGO)
                   for p in members])
        return team

    def h(self, who: Person) -> dict[str, str]:
        return bearer(self.settings, who)

    def as_hr_system(self) -> dict[str, str]:
        account = self.add(ServiceAccount(name="HR", client_id=f"gps-hr-{next(_seq)}",
                                          secret_hash="x", scopes=["hr.feed:read"]))[0]
        issued = tokens.issue(self.settings, subject=f"client:{account.client_id}",
                              scopes=frozenset({"hr.feed:read"}))
        return {"Authorization": f"Bearer {issued.token}"}

    @property
    def head(self) -> Person:
        if self._head is None:
            self._head = self.person(band="8c", roles=["head_of_department"], name="Head")
        return self._head

    def admin(self) -> dict[str, str]:
        return self.h(self.person(band=None, roles=["admin"]))

    def managed_pair(self, above: Person | None = None) -> tuple[Person, Person]:
        """A line manager (8a, below `above`) and one report (band 7)."""
        manager = self.person(band="8a", line_manager=above)
        return manager, self.person(band="7", line_manager=manager)

    def policy_id(self) -> int:
        first = self.db.exec(select(id_column(PolicyVersion.id))
                             .order_by(col(PolicyVersion.id))).first()
        assert first is not None  # the migrations seed one
        return first


Arrange = Callable[[World, int], Probe]


@dataclass(frozen=True)
class Scenario:
    op: str
    arrange: Arrange
    sizes: tuple[int, int] = (5, 50)
    accept: str | None = None


# --- people, teams, absences, service accounts ----------------------------------------------


def list_people(w: World, n: int) -> Probe:
    principal = w.person(band="8b")  # above the page: sees personal details (line tree read)
    manager = w.person(band="8a", line_manager=principal)
    people = w.reports(manager, n)
    for p in people:
        w.team([p])
    return Probe(f"/v1/people?line_manager_id={manager.id}&limit={n}", w.h(principal), items)


def list_reports(w: World, n: int) -> Probe:
    principal = w.person(band="8b")
    manager = w.person(band="8a", line_manager=principal)
    for p in w.reports(manager, n):
        w.team([p])
    return Probe(f"/v1/people/{manager.id}/reports", w.h(principal), lambda a: len(a.json()))


def get_person(w: World, n: int) -> Probe:
    manager, report = w.managed_pair()
    for _ in range(n):
        w.team([report])
    return Probe(f"/v1/people/{report.id}", w.h(manager), lambda a: len(a.json()["team_ids"]))


def get_me(w: World, n: int) -> Probe:
    manager = w.person(band="8a")
    w.reports(manager, n)
    for _ in range(n):
        w.team([manager], lead=manager)
    return Probe("/v1/me", w.h(manager),
                 lambda a: len(a.json()["relationships"]["report_ids"]))


def list_teams(w: World, n: int) -> Probe:
    lead = w.person(band=None, roles=["team_lead"])
    for _ in range(n):
        team = w.team(w.reports(lead, 3), lead=lead)
        w.add(TeamBoard(board_id=next(_seq) + 10_000, team_id=id_of(team)))
    return Probe(f"/v1/teams?limit={n}", w.h(lead), items)


def get_team(w: World, n: int) -> Probe:
    lead = w.person(band=None, roles=["team_lead"])
    team = w.team(w.reports(lead, n), lead=lead)
    w.add(*[TeamBoard(board_id=next(_seq) + 20_000, team_id=id_of(team)) for _ in range(n)])
    return Probe(f"/v1/teams/{team.id}", w.h(lead), lambda a: len(a.json()["member_ids"]))


def list_absences(w: World, n: int) -> Probe:
    manager, report = w.managed_pair()
    w.add(*[Absence(confirmed_at=CONFIRMED, person_id=id_of(report), kind="leave",
                    start_date=DAY + timedelta(days=7 * i),
                    end_date=DAY + timedelta(days=7 * i + 1)) for i in range(n)])
    return Probe(f"/v1/absences?person_id={report.id}&limit={n}", w.h(manager), items)


def list_service_accounts(w: World, n: int) -> Probe:
    w.add(*[ServiceAccount(name=f"Account {i}", client_id=f"gps-{next(_seq)}", secret_hash="x",
                           scopes=["hr.feed:read"]) for i in range(n)])
    return Probe(f"/v1/service-accounts?limit={n}", w.admin(), items)


def _role_changes(w: World, n: int) -> list[RoleChangeRequest]:
    proposer = w.person(band=None, roles=["admin"])
    return w.add(*[RoleChangeRequest(person_id=id_of(w.person(band="7")), role="admin",
                                     change="grant", reason="Cover " * n, status="pending",
                                     proposed_by_id=id_of(proposer)) for _ in range(n)])


def list_role_changes(w: World, n: int) -> Probe:
    _role_changes(w, n)
    return Probe(f"/v1/role-changes?status=pending&limit={n}", w.admin(), items)


def get_role_change(w: World, n: int) -> Probe:
    found = _role_changes(w, n)[0]
    return Probe(f"/v1/role-changes/{found.id}", w.admin(), lambda a: len(a.json()["reason"].split()))


# --- objectives, evidence, one-to-ones -------------------------------------------------------


def _objectives(w: World, owner: Person, n: int, *, evidence_each: int = 2) -> list[Objective]:
    found = w.add(*[Objective(person_id=id_of(owner), title=f"Objective {i}", quarter=QUARTER,
                              twenty_percent_time=i % 2 == 0, status="agreed")
                    for i in range(n)])
    w.add(*[Evidence(person_id=id_of(owner), kind="accomplishment", source="manual",
                     occurred_on=DAY, title="Progress", objective_id=o.id)
            for o in found for _ in range(evidence_each)])
    return found


def list_objectives(w: World, n: int) -> Probe:
    """The hot read: a line manager lists a report's objectives for a quarter."""
    manager, report = w.managed_pair()
    _objectives(w, report, n)
    return Probe(f"/v1/objectives?person_id={report.id}&quarter={QUARTER}&limit={n}",
                 w.h(manager), items)


def list_objectives_by_the_chain(w: World, n: int) -> Probe:
    """The same read from the top of a line that is longer in the large world."""
    top = w.person(band="8c")
    above = top
    for _ in range(n // 5):
        above = w.person(band="8b", line_manager=above)
    report = w.person(band="7", line_manager=w.person(band="8a", line_manager=above))
    _objectives(w, report, n)
    return Probe(f"/v1/objectives?person_id={report.id}&quarter={QUARTER}&limit={n}",
                 w.h(top), items)


def get_objective(w: World, n: int) -> Probe:
    manager, report = w.managed_pair()
    [objective] = _objectives(w, report, 1, evidence_each=n)
    return Probe(f"/v1/objectives/{objective.id}", w.h(manager),
                 lambda a: len(a.json()["evidence_ids"]))


def list_check_ins(w: World, n: int) -> Probe:
    manager, report = w.managed_pair()
    [objective] = _objectives(w, report, 1)
    w.add(*[CheckIn(objective_id=id_of(objective), author_id=id_of(report), on=DAY,
                    note=f"Note {i}") for i in range(n)])
    return Probe(f"/v1/objectives/{objective.id}/check-ins?limit={n}", w.h(manager), items)


def _changes(w: World, record_type: str, record_id: int, actor: Person, n: int) -> None:
    w.add(*[RecordChange(record_type=record_type, record_id=record_id, actor_id=id_of(actor),
                         action="edit", changes={"title": {"before": f"T{i}", "after": f"T{i+1}"}})
            for i in range(n)])


def list_objective_history(w: World, n: int) -> Probe:
    manager, report = w.managed_pair()
    [objective] = _objectives(w, report, 1)
    _changes(w, "objective", id_of(objective), report, n)
    return Probe(f"/v1/objectives/{objective.id}/history?limit={n}", w.h(manager), items)


_KINDS = ("accomplishment", "training", "qualification", "ticket_done", "production_change")


def _evidence(w: World, person: Person, n: int, *, start: date = MONDAY,
              step: int = 1) -> None:
    rows = []
    for i in range(n):
        kind = _KINDS[i % len(_KINDS)]
        rows.append(Evidence(
            person_id=id_of(person), kind=kind, occurred_on=start + timedelta(days=(i * step) % 7),
            source={"ticket_done": "jira", "production_change": "github"}.get(kind, "manual"),
            title=f"{kind} {i}", hours=Decimal(1) if kind == "training" else None,
            topic="Testing" if kind == "training" else None,
            external_id=f"X-{next(_seq)}" if kind in ("ticket_done", "production_change")
            else None))
    w.add(*rows)


def list_evidence(w: World, n: int) -> Probe:
    manager, report = w.managed_pair()
    _evidence(w, report, n)
    return Probe(f"/v1/evidence?person_id={report.id}&limit={n}", w.h(manager), items)


def list_one_to_ones(w: World, n: int) -> Probe:
    manager, report = w.managed_pair()
    w.add(*[OneToOne(person_id=id_of(report), manager_id=id_of(manager), on=DAY + timedelta(days=i),
                     status="held", notes="private") for i in range(n)])
    return Probe(f"/v1/one-to-ones?person_id={report.id}&limit={n}", w.h(manager), items)


# --- coaching and the CPD record -------------------------------------------------------------


def _programme(w: World) -> CoachingProgramme:
    return w.add(CoachingProgramme(name=f"Programme {next(_seq)}", cohort_bands=["7", "8a"],
                                   starts_on=date(2025, 10, 1), ends_on=date(2026, 4, 30),
                                   planned_sessions=6, session_minutes=60))[0]


def _enrol(w: World, programme: CoachingProgramme, coachees: list[Person], coach: Person,
           sessions: int = 2) -> list[CoachingEnrolment]:
    enrolments = w.add(*[CoachingEnrolment(programme_id=id_of(programme), coachee_id=id_of(p),
                                           coach_id=id_of(coach)) for p in coachees])
    w.add(*[CoachingSession(enrolment_id=e.id, scheduled_for=_at(DAY + timedelta(days=i)),
                            status="held" if i % 2 else "scheduled", topics=["self-knowledge"])
            for e in enrolments for i in range(sessions)])
    return enrolments


def list_coaching_programmes(w: World, n: int) -> Probe:
    for _ in range(n):
        _programme(w)
    return Probe(f"/v1/coaching/programmes?limit={n}", w.h(w.person()), items)


def list_coaching_enrolments_by_a_line_manager(w: World, n: int) -> Probe:
    manager = w.person(band="8a")
    _enrol(w, _programme(w), w.reports(manager, n), w.person(band="8b"))
    return Probe(f"/v1/coaching/enrolments?limit={n}", w.h(manager), items)


def list_coaching_enrolments_by_an_admin(w: World, n: int) -> Probe:
    programme = _programme(w)
    _enrol(w, programme, w.reports(w.person(band="8a"), n), w.person(band="8b"))
    return Probe(f"/v1/coaching/enrolments?programme_id={programme.id}&limit={n}", w.admin(),
                 items)


def list_coaching_enrolments_by_a_coach(w: World, n: int) -> Probe:
    coach = w.person(band="8b")
    _enrol(w, _programme(w), w.reports(w.person(band="8a"), n), coach)
    return Probe(f"/v1/coaching/enrolments?coach_id={coach.id}&limit={n}", w.h(coach), items)


def get_coaching_enrolment(w: World, n: int) -> Probe:
    coach = w.person(band="8b")
    [enrolment] = _enrol(w, _programme(w), [w.person()], coach, sessions=n)
    return Probe(f"/v1/coaching/enrolments/{enrolment.id}", w.h(coach),
                 lambda a: a.json()["progress"]["sessions_held"])


def list_coaching_sessions(w: World, n: int) -> Probe:
    coach = w.person(band="8b")
    [enrolment] = _enrol(w, _programme(w), [w.person()], coach, sessions=n)
    return Probe(f"/v1/coaching/sessions?enrolment_id={enrolment.id}&limit={n}", w.h(coach),
                 items)


def _cpd_world(w: World, n: int) -> Person:
    """A person with n evidence rows over the quarter, n objectives with check-ins, and n
    coaching sessions as coachee and as coach; the head of department above them."""
    _, person = w.managed_pair(above=w.person(band="8b", line_manager=w.head))
    _evidence(w, person, n, start=date(2025, 10, 1), step=13)
    for objective in _objectives(w, person, n, evidence_each=0):
        w.add(CheckIn(objective_id=id_of(objective), author_id=id_of(person), on=DAY,
                      note="On track"))
    _enrol(w, _programme(w), [person], w.person(band="8b"), sessions=n)
    _enrol(w, _programme(w), [w.person()], person, sessions=n)
    return person


def _cpd_url(person: Person) -> str:
    return f"/v1/people/{person.id}/cpd?from=2025-10-01&to=2025-12-31"


def get_cpd_record(w: World, n: int) -> Probe:
    person = _cpd_world(w, n)
    return Probe(_cpd_url(person), w.h(person), lambda a: len(a.json()["evidence"]))


def get_cpd_record_markdown(w: World, n: int) -> Probe:
    person = _cpd_world(w, n)
    return Probe(_cpd_url(person), w.h(person), body_lines)


def get_cpd_record_by_the_chain(w: World, n: int) -> Probe:
    person = _cpd_world(w, n)
    return Probe(_cpd_url(person), w.h(w.head),
                 lambda a: len(a.json()["objectives"]))


def _my_record_world(w: World, n: int) -> Person:
    """A person with n of every kind of record about them: evidence, objectives with
    check-ins by them and their line manager, one-to-ones, triggers, interventions, coaching,
    concerns, cases with notes, case managers and audit entries."""
    manager, person = w.managed_pair(above=w.person(band="8b", line_manager=w.head))
    _evidence(w, person, n)
    for objective in _objectives(w, person, n, evidence_each=0):
        w.add(CheckIn(objective_id=id_of(objective), author_id=id_of(person), on=DAY,
                      note="On track"),
              CheckIn(objective_id=id_of(objective), author_id=id_of(manager), on=DAY,
                      note="Agreed"))
    w.add(*[OneToOne(person_id=id_of(person), manager_id=id_of(manager),
                     on=MONDAY + timedelta(days=i), status="held", notes="Talked")
            for i in range(n)])
    triggers = w.add(*[Trigger(person_id=id_of(person), direction="negative",
                               rule="target_missed_streak", facts_key=f"record-{next(_seq)}",
                               summary="Missed", withdrawn_at=_at(DAY) if i % 2 else None)
                       for i in range(n)])
    w.add(*[Intervention(person_id=id_of(person), kind=("coaching", "recognition")[i % 2],
                         status="completed", summary="Support", trigger_id=t.id,
                         completed_at=_at(DAY)) for i, t in enumerate(triggers)])
    _enrol(w, _programme(w), [person], w.person(band="8b"), sessions=n)
    case_manager = _case_manager(w)
    cases = w.add(*[FormalCase(subject_id=id_of(person), kind="disciplinary", status="open",
                               summary="A formal matter", opened_by_id=id_of(case_manager))
                    for _ in range(n)])
    w.add(*[Concern(subject_id=id_of(person), raised_by_id=id_of(manager), summary="Worried",
                    status="case_opened", case_id=c.id) for c in cases])
    for case in cases:
        w.add(CaseAssignment(case_id=id_of(case), case_manager_id=id_of(case_manager)),
              CaseNote(case_id=id_of(case), author_id=id_of(case_manager),
                       visibility="shared", body="Shared"),
              CaseNote(case_id=id_of(case), author_id=id_of(case_manager),
                       visibility="internal", body="Internal"),
              AuditEntry(actor=f"person:{case_manager.id}", action="case.read",
                         target_type="case", target_id=str(case.id), outcome="ok"))
    return person


def get_my_record(w: World, n: int) -> Probe:
    person = _my_record_world(w, n)
    return Probe("/v1/me/record", w.h(person), lambda a: len(a.json()["cases"])
                 + len(a.json()["evidence"]) + len(a.json()["case_audit"]))


def get_my_record_markdown(w: World, n: int) -> Probe:
    person = _my_record_world(w, n)
    return Probe("/v1/me/record", w.h(person), body_lines)


# --- integrations and the HR feed ------------------------------------------------------------


def list_deliveries(w: World, n: int) -> Probe:
    w.add(*[WebhookDelivery(source="jira", delivery_id=f"d-{next(_seq)}",
                            event_type="jira:issue_updated", body="{}", status="applied",
                            subjects=[f"jira:{i}"]) for i in range(n)])
    return Probe(f"/v1/integrations/deliveries?limit={n}", w.admin(), items)


def _hr_events(w: World, n: int) -> None:
    owner = w.person(employee_number=f"{next(_seq):06d}")
    [objective] = _objectives(w, owner, 1, evidence_each=0)
    w.add(*[HrEvent(event_type="objective.completed", occurred_at=_at(DAY),
                    objective_id=id_of(objective), person_id=id_of(owner),
                    employee_number=owner.employee_number, title=objective.title,
                    quarter=QUARTER, twenty_percent_time=True) for _ in range(n)])


def hr_objective_completions(w: World, n: int) -> Probe:
    _hr_events(w, n)
    return Probe(f"/v1/hr/objective-completions?limit={n}", w.as_hr_system(), items)


def hr_objective_completions_csv(w: World, n: int) -> Probe:
    _hr_events(w, n)
    return Probe(f"/v1/hr/objective-completions?limit={n}", w.as_hr_system(), body_lines)


# --- policies, periods, evaluations, results, triggers, interventions ------------------------


def _policy(w: World, targets: int) -> PolicyVersion:
    start = date(2100, 1, 1) + timedelta(days=next(_seq))
    version = w.add(PolicyVersion(name=f"Policy {next(_seq)}", effective_from=start,
                                  effective_to=start))[0]
    w.add(*[PolicyTarget(policy_version_id=version.id, metric="training_hours", period="week",
                         threshold=Decimal(i + 1), bands=["7"], kinds=["employee"])
            for i in range(targets)])
    return version


def list_policies(w: World, n: int) -> Probe:
    for _ in range(n):
        _policy(w, 3)
    return Probe(f"/v1/policies?limit={n}", w.h(w.person()), items)


def get_policy(w: World, n: int) -> Probe:
    version = _policy(w, n)
    return Probe(f"/v1/policies/{version.id}", w.h(w.person()),
                 lambda a: len(a.json()["targets"]))


def list_periods(w: World, n: int) -> Probe:
    for i in range(n):
        team = w.team([], anchor=date(2025, 9, 1) + timedelta(days=i % 14))
        if i % 2:  # half the teams have Jira sprints, the others a cadence
            w.add(Sprint(id=next(_seq) + 30_000, team_id=team.id, name="Sprint", state="closed",
                         start_date=date(2025, 10, 6), end_date=date(2025, 10, 17)))
    return Probe("/v1/periods?type=sprint&from=2025-10-01&to=2025-10-31", w.h(w.person()),
                 lambda a: len(a.json()))


def _evaluation(w: World, key: str, start: date = MONDAY) -> Evaluation:
    found = w.db.exec(select(Evaluation).where(Evaluation.period_type == "week",
                                               Evaluation.period_key == key)).first()
    return found or w.add(Evaluation(
        period_type="week", period_key=key, period_start=start,
        period_end=start + timedelta(days=6), policy_version_id=w.policy_id(), status="open",
        runs=1))[0]


def _results(w: World, evaluation: Evaluation, people: list[Person]) -> None:
    version = evaluation.policy_version_id
    targets = w.db.exec(select(PolicyTarget).where(
        PolicyTarget.policy_version_id == version, PolicyTarget.period == "week")).all()
    w.add(*[TargetResult(evaluation_id=id_of(evaluation), person_id=id_of(p), target_id=id_of(t),
                         policy_version_id=version, metric=t.metric, stretch=t.stretch,
                         period_type="week", period_key=evaluation.period_key,
                         period_start=evaluation.period_start, period_end=evaluation.period_end,
                         outcome=("met", "missed", "excused")[(id_of(p) + id_of(t)) % 3],
                         measured=Decimal(1), threshold=t.threshold, evidence_ids=[1, 2])
            for p in people for t in targets])


def list_evaluations(w: World, n: int) -> Probe:
    for _ in range(n):
        _evaluation(w, f"2090-W{next(_seq)}")
    return Probe(f"/v1/evaluations?limit={n}", w.admin(), items)


def get_evaluation(w: World, n: int) -> Probe:
    evaluation = _evaluation(w, f"2090-W{next(_seq)}")
    _results(w, evaluation, w.reports(w.person(band="8a"), n))
    return Probe(f"/v1/evaluations/{evaluation.id}", w.admin(),
                 lambda a: sum(a.json()["counts"].values()))


def list_target_results(w: World, n: int) -> Probe:
    manager, report = w.managed_pair()
    for _ in range(n):
        _results(w, _evaluation(w, f"2090-W{next(_seq)}"), [report])
    return Probe(f"/v1/people/{report.id}/target-results?limit={n}", w.h(manager), items)


def list_triggers(w: World, n: int) -> Probe:
    manager, report = w.managed_pair()
    w.add(*[Trigger(person_id=id_of(report), direction="positive", rule="objective_completed",
                    policy_version_id=w.policy_id(), evidence_ids=[i],
                    facts_key=f"facts-{next(_seq)}", summary=f"Completed objective {i}")
            for i in range(n)])
    return Probe(f"/v1/triggers?person_id={report.id}&limit={n}", w.h(manager), items)


def list_interventions(w: World, n: int) -> Probe:
    manager, report = w.managed_pair()
    w.add(*[Intervention(person_id=id_of(report), kind="mentoring", status="proposed",
                         proposed_to_id=report.id, summary=f"Support {i}",
                         created_by_id=manager.id) for i in range(n)])
    return Probe(f"/v1/interventions?person_id={report.id}&limit={n}", w.h(manager), items)


def list_intervention_history(w: World, n: int) -> Probe:
    manager, report = w.managed_pair()
    [made] = w.add(Intervention(person_id=id_of(report), kind="mentoring", status="proposed",
                                proposed_to_id=manager.id, summary="Support",
                                created_by_id=manager.id))
    _changes(w, "intervention", id_of(made), manager, n)
    return Probe(f"/v1/interventions/{made.id}/history?limit={n}", w.h(manager), items)


def _recognitions(w: World, n: int) -> None:
    people = w.reports(w.person(band="8a"), n)
    for i in range(0, n, 3):
        w.team(people[i:i + 3])
    triggers = w.add(*[Trigger(person_id=id_of(p), direction="positive", rule="objective_completed",
                               facts_key=f"facts-{next(_seq)}", summary="Completed")
                       for p in people])
    w.add(*[Intervention(person_id=t.person_id, kind="recognition", status="completed",
                         trigger_id=t.id, summary=f"completed the objective “O{t.id}”",
                         completed_at=_at(DAY)) for t in triggers])


def _digest(w: World, n: int, measure: Callable[[Any], int]) -> Probe:
    _recognitions(w, n)
    return Probe("/v1/digests/recognition?from=2025-10-01&to=2025-12-31", w.h(w.head), measure)


def get_recognition_digest(w: World, n: int) -> Probe:
    return _digest(w, n, lambda a: a.json()["total"])


def get_recognition_digest_markdown(w: World, n: int) -> Probe:
    return _digest(w, n, lambda a: len(a.text))


# --- concerns, cases, audit ------------------------------------------------------------------


def _case_manager(w: World) -> Person:
    return w.person(band=None, roles=["case_manager"])


def _cases(w: World, n: int, case_manager: Person) -> list[FormalCase]:
    manager = w.person(band="8a")
    cases = w.add(*[FormalCase(subject_id=id_of(p), kind="disciplinary", status="open",
                               summary="A formal matter", opened_by_id=id_of(case_manager))
                    for p in w.reports(manager, n)])
    w.add(*[CaseAssignment(case_id=id_of(c), case_manager_id=id_of(case_manager)) for c in cases])
    return cases


def list_concerns(w: World, n: int) -> Probe:
    manager = w.person(band="8a")
    w.add(*[Concern(subject_id=id_of(p), raised_by_id=id_of(manager), summary="Worried",
                    status="open") for p in w.reports(manager, n)])
    return Probe(f"/v1/concerns?limit={n}", w.h(_case_manager(w)), items)


def list_cases(w: World, n: int) -> Probe:
    case_manager = _case_manager(w)
    _cases(w, n, case_manager)
    return Probe(f"/v1/cases?limit={n}", w.h(case_manager), items)


def _case_with_notes(w: World, n: int) -> tuple[FormalCase, Person]:
    case_manager = _case_manager(w)
    [case] = _cases(w, 1, case_manager)
    w.add(*[CaseAssignment(case_id=id_of(case), case_manager_id=id_of(_case_manager(w)))
            for _ in range(n // 5)])
    w.add(*[CaseNote(case_id=id_of(case), author_id=id_of(case_manager),
                     visibility=("shared", "internal")[i % 2], body=f"Note {i}")
            for i in range(n)])
    return case, case_manager


def get_case(w: World, n: int) -> Probe:
    case, case_manager = _case_with_notes(w, n)
    return Probe(f"/v1/cases/{case.id}", w.h(case_manager), lambda a: len(a.json()["notes"]))


def list_case_notes(w: World, n: int) -> Probe:
    case, case_manager = _case_with_notes(w, n)
    return Probe(f"/v1/cases/{case.id}/notes?limit={n}", w.h(case_manager), items)


def list_case_audit(w: World, n: int) -> Probe:
    case_manager = _case_manager(w)
    [case] = _cases(w, 1, case_manager)
    w.add(*[AuditEntry(actor=f"person:{case_manager.id}", action="case.read",
                       target_type="case", target_id=str(case.id), outcome="ok")
            for _ in range(n)])
    return Probe(f"/v1/audit?case_id={case.id}&limit={n}", w.h(case_manager), items)


def list_case_refusals(w: World, n: int) -> Probe:
    case_manager = _case_manager(w)
    [case] = _cases(w, 1, case_manager)
    now = datetime.now(UTC)
    w.add(*[CaseRefusal(actor=f"person:{1000 + i}", case_ref=str(case.id),
                        action="case.read.refused", count=i + 1, first_at=now, last_at=now)
            for i in range(n)])
    return Probe(f"/v1/audit/refusals?case_id={case.id}&limit={n}", w.h(case_manager), items)


# --- oversight: participation, team dashboard, checklists ------------------------------------


def _active_week(w: World, people: list[Person], manager_of: dict[int, int]) -> None:
    """Each person: an objective for the quarter, a one-to-one, an accomplishment and training
    in the week, and a coaching session."""
    w.add(*[Objective(person_id=id_of(p), title="Grow", quarter=QUARTER, twenty_percent_time=True,
                      status="agreed", agreed_by_id=manager_of[id_of(p)]) for p in people])
    w.add(*[OneToOne(person_id=id_of(p), manager_id=manager_of[id_of(p)], on=DAY, status="held")
            for p in people])
    w.add(*[Evidence(person_id=id_of(p), kind=kind, source="manual", occurred_on=DAY, title=kind,
                     hours=Decimal(2) if kind == "training" else None,
                     topic="Testing" if kind == "training" else None)
            for p in people for kind in ("accomplishment", "training")])
    _enrol(w, _programme(w), people, w.person(band="8b"), sessions=2)


def _line(w: World, n: int) -> Person:
    """A principal with n senior developers, each managing two developers."""
    principal = w.person(band="8b", line_manager=w.head)
    seniors = w.reports(principal, n, band="8a")
    developers = [d for s in seniors for d in w.reports(s, 2)]
    managers = {id_of(p): manager for p in seniors + developers
                if (manager := p.line_manager_id) is not None}  # all of them
    _active_week(w, seniors + developers, managers)
    return principal


def _participation(w: World, n: int, query: str, measure: Callable[[Any], int]) -> Probe:
    principal = _line(w, n)
    return Probe(f"/v1/reports/participation?manager_id={principal.id}&{query}", w.h(w.head),
                 measure)


def get_participation_report(w: World, n: int) -> Probe:
    return _participation(w, n, f"period_type=week&period_key={WEEK}",
                          lambda a: len(a.json()["reports"]))


def get_participation_report_quarter(w: World, n: int) -> Probe:
    return _participation(w, n, f"period_type=quarter&period_key={QUARTER}",
                          lambda a: a.json()["line"]["people"])


def get_participation_report_svg(w: World, n: int) -> Probe:
    return _participation(w, n, f"period_type=week&period_key={WEEK}", lambda a: len(a.text))


def _team_world(w: World, n: int) -> tuple[Team, Person]:
    lead = w.person(band=None, roles=["team_lead"])
    members = w.reports(w.person(band="8a"), n)
    team = w.team(members, lead=lead, anchor=MONDAY)
    for back in range(6):  # the trend: this week and the five before
        monday = MONDAY - timedelta(weeks=back)
        _results(w, _evaluation(w, f"2025-W{41 - back:02d}", monday), members)
    for p in members:
        _evidence(w, p, 10, start=MONDAY - timedelta(days=14))
    w.add(*[Objective(person_id=id_of(p), title="Done", quarter=QUARTER, twenty_percent_time=True,
                      status="completed", completed_at=_at(DAY)) for p in members])
    return team, lead


def _people_covered(answer: Any) -> int:
    return answer.json()["people_covered"]


def _team_report(query: str, measure: Callable[[Any], int] | None = _people_covered) -> Arrange:
    def arrange(w: World, n: int) -> Probe:
        team, lead = _team_world(w, n)
        q = query.replace("{team}", str(team.id))
        return Probe(f"/v1/reports/teams/{team.id}?{q}", w.h(lead), measure)
    return arrange


def _figures(answer: Any) -> int:
    """The numbers the auto-ticked items show ("3 of 30 reports"...), added up."""
    return sum(int(m) for c in answer.json()["checklists"] for i in c["items"]
               for m in re.findall(r"\d+", i["figure"] or ""))


def _checklists(w: World, n: int, manager: Person, key: str) -> Probe:
    people = w.reports(manager, n)
    _active_week(w, people, {id_of(p): id_of(manager) for p in people})
    return Probe(f"/v1/checklists?person_id={manager.id}&period_key={key}", w.h(manager),
                 _figures)


def list_checklists(w: World, n: int) -> Probe:
    """A senior developer's weekly checklists (developer and line manager) over n reports."""
    return _checklists(w, n, w.person(band="8a"), WEEK)


def list_checklists_quarter_start(w: World, n: int) -> Probe:
    """A senior developer's start of the quarter: their reports' objectives."""
    return _checklists(w, n, w.person(band="8a"), QUARTER)


def list_checklists_of_a_principal(w: World, n: int) -> Probe:
    """A principal's quarter: their seniors, and the seniors' own reports."""
    principal = _line(w, n)
    return Probe(f"/v1/checklists?person_id={principal.id}&period_key=2025-10",
                 w.h(principal), _figures)


def list_checklist_templates(w: World, n: int) -> Probe:
    w.add(*[ChecklistTemplate(situation="weekly-developer", title="Your week",
                              period_type="week", version=1000 + next(_seq),
                              effective_from=date(2090, 1, 5),
                              items=[{"key": "k", "text": "Do a thing", "auto": None}])
            for _ in range(n)])
    return Probe(f"/v1/checklist-templates?situation=weekly-developer&limit={n}",
                 w.h(w.person()), items)


# --- calendar and consultation ---------------------------------------------------------------


def _meetings(w: World, n: int, first: date) -> Person:
    manager, person = w.managed_pair()
    w.add(*[OneToOne(person_id=id_of(person), manager_id=id_of(manager),
                     on=first + timedelta(days=i), status="held") for i in range(n)])
    enrolment = _enrol(w, _programme(w), [person], w.person(band="8b"), sessions=0)[0]
    w.add(*[CoachingSession(enrolment_id=id_of(enrolment), status="scheduled",
                            scheduled_for=_at(first + timedelta(days=i))) for i in range(n)])
    return person


def get_calendar(w: World, n: int) -> Probe:
    person = _meetings(w, n, DAY)
    return Probe("/v1/calendar?from=2025-10-01&to=2025-12-31", w.h(person),
                 lambda a: len(a.json()["events"]))


def get_calendar_feed(w: World, n: int) -> Probe:
    person = _meetings(w, n, date.today())
    link = w.client.post("/v1/calendar/link", headers=w.h(person))
    assert link.status_code == 201, link.text
    return Probe(f"/v1/calendar.ics?token={link.json()['token']}", {},
                 lambda a: a.text.count("BEGIN:VEVENT"))


def get_consultation(w: World, n: int) -> Probe:
    version = _policy(w, 1)
    consultation = w.add(PolicyConsultation(
        policy_version_id=id_of(version), opens_at=_at(DAY), closes_at=_at(DAY + timedelta(30))))[0]
    w.add(*[PolicyComment(consultation_id=id_of(consultation), author_id=id_of(p),
                          anonymous=i % 2 == 0, body=f"Comment {i}")
            for i, p in enumerate(w.reports(w.person(band="8a"), n))])
    return Probe(f"/v1/policies/{version.id}/consultation", w.admin(),
                 lambda a: len(a.json()["comments"]))


MARKDOWN = "text/markdown"
SVG = "image/svg+xml"

SCENARIOS: dict[str, Scenario] = {
    "list_people": Scenario("list_people", list_people),
    "list_reports": Scenario("list_reports", list_reports, (2, 20)),
    "get_person": Scenario("get_person", get_person, (2, 20)),
    "get_me": Scenario("get_me", get_me, (2, 20)),
    "list_teams": Scenario("list_teams", list_teams),
    "get_team": Scenario("get_team", get_team, (3, 30)),
    "list_absences": Scenario("list_absences", list_absences),
    "list_service_accounts": Scenario("list_service_accounts", list_service_accounts),
    "list_role_changes": Scenario("list_role_changes", list_role_changes),
    "list_case_refusals": Scenario("list_case_refusals", list_case_refusals),
    "get_role_change": Scenario("get_role_change", get_role_change),
    "list_objectives": Scenario("list_objectives", list_objectives, (5, 50)),
    "list_objectives/by the chain": Scenario("list_objectives", list_objectives_by_the_chain,
                                             (5, 50)),
    "get_objective": Scenario("get_objective", get_objective, (2, 20)),
    "list_check_ins": Scenario("list_check_ins", list_check_ins),
    "list_objective_history": Scenario("list_objective_history", list_objective_history),
    "list_intervention_history": Scenario("list_intervention_history",
                                          list_intervention_history),
    "list_evidence": Scenario("list_evidence", list_evidence),
    "list_one_to_ones": Scenario("list_one_to_ones", list_one_to_ones),
    "list_coaching_programmes": Scenario("list_coaching_programmes", list_coaching_programmes),
    "list_coaching_enrolments/line manager": Scenario(
        "list_coaching_enrolments", list_coaching_enrolments_by_a_line_manager),
    "list_coaching_enrolments/admin": Scenario(
        "list_coaching_enrolments", list_coaching_enrolments_by_an_admin),
    "list_coaching_enrolments/coach": Scenario(
        "list_coaching_enrolments", list_coaching_enrolments_by_a_coach),
    "get_coaching_enrolment": Scenario("get_coaching_enrolment", get_coaching_enrolment,
                                       (4, 40)),
    "list_coaching_sessions": Scenario("list_coaching_sessions", list_coaching_sessions),
    "get_cpd_record": Scenario("get_cpd_record", get_cpd_record),
    "get_cpd_record/markdown": Scenario("get_cpd_record", get_cpd_record_markdown,
                                        accept=MARKDOWN),
    "get_cpd_record/by the chain": Scenario("get_cpd_record", get_cpd_record_by_the_chain),
    "get_my_record": Scenario("get_my_record", get_my_record),
    "get_my_record/markdown": Scenario("get_my_record", get_my_record_markdown,
                                       accept=MARKDOWN),
    "list_deliveries": Scenario("list_deliveries", list_deliveries),
    "hr_objective_completions": Scenario("hr_objective_completions",
                                         hr_objective_completions),
    # Past the stream's batch of 1,000 rows and its 500-row chunks.
    "hr_objective_completions/csv": Scenario("hr_objective_completions",
                                             hr_objective_completions_csv, (5, 1200),
                                             accept="text/csv"),
    "list_policies": Scenario("list_policies", list_policies),
    "get_policy": Scenario("get_policy", get_policy, (2, 20)),
    "list_periods/sprints of every team": Scenario("list_periods", list_periods, (3, 30)),
    "list_evaluations": Scenario("list_evaluations", list_evaluations),
    "get_evaluation": Scenario("get_evaluation", get_evaluation, (3, 30)),
    "list_target_results": Scenario("list_target_results", list_target_results),
    "list_triggers": Scenario("list_triggers", list_triggers),
    "list_interventions": Scenario("list_interventions", list_interventions),
    "get_recognition_digest": Scenario("get_recognition_digest", get_recognition_digest,
                                       (3, 30)),
    "get_recognition_digest/markdown": Scenario("get_recognition_digest",
                                                get_recognition_digest_markdown, (3, 30),
                                                accept=MARKDOWN),
    "list_concerns": Scenario("list_concerns", list_concerns),
    "list_cases": Scenario("list_cases", list_cases),
    "get_case": Scenario("get_case", get_case),
    "list_case_notes": Scenario("list_case_notes", list_case_notes),
    "list_case_audit": Scenario("list_case_audit", list_case_audit),
    "get_participation_report/week": Scenario("get_participation_report",
                                              get_participation_report, (2, 20)),
    "get_participation_report/quarter": Scenario("get_participation_report",
                                                 get_participation_report_quarter, (2, 20)),
    "get_participation_report/svg": Scenario("get_participation_report",
                                             get_participation_report_svg, (2, 20), accept=SVG),
    "get_team_report/week": Scenario("get_team_report", _team_report(
        f"period_type=week&period_key={WEEK}"), (3, 30)),
    "get_team_report/quarter": Scenario("get_team_report", _team_report(
        f"period_type=quarter&period_key={QUARTER}"), (3, 30)),
    "get_team_report/sprint": Scenario("get_team_report", _team_report(
        f"period_type=sprint&period_key=team{{team}}-{MONDAY.isoformat()}"), (3, 30)),
    "get_team_report/svg": Scenario("get_team_report", _team_report(
        f"period_type=week&period_key={WEEK}", None), (3, 30), accept=SVG),
    "list_checklists/senior": Scenario("list_checklists", list_checklists, (3, 30)),
    "list_checklists/senior quarter": Scenario("list_checklists",
                                               list_checklists_quarter_start, (3, 30)),
    "list_checklists/principal": Scenario("list_checklists", list_checklists_of_a_principal,
                                          (2, 20)),
    "list_checklist_templates": Scenario("list_checklist_templates", list_checklist_templates),
    "get_calendar": Scenario("get_calendar", get_calendar),
    "get_calendar_feed": Scenario("get_calendar_feed", get_calendar_feed),
    "get_consultation": Scenario("get_consultation", get_consultation, (2, 20)),
}

# Read routes that answer one record with nothing in it that grows with the data, so there is
# no small and large world to compare.
ONE_RECORD: dict[str, str] = {
    "healthz": "liveness: no database",
    "readyz": "one fixed readiness check",
    "metrics": "the token check, then counters kept in the process",
    "list_bands": "reference data written in the code (the band matrix), not rows",
    "get_band": "reference data written in the code (the band matrix), not rows",
    "get_evidence": "one row, no nested list",
    "get_one_to_one": "one row, no nested list",
    "get_coaching_programme": "one row, no nested list",
    "get_coaching_session": "one row, no nested list",
    "get_intervention": "one row, no nested list",
    "get_praise_preference": "one flag on the person",
}


def _read_operations(app: FastAPI) -> dict[str, str]:
    return {spec["operationId"]: path for path, methods in app.openapi()["paths"].items()
            for method, spec in methods.items() if method == "get"}


def test_every_read_route_is_covered(app: FastAPI) -> None:
    reads = _read_operations(app)
    covered = {s.op for s in SCENARIOS.values()}
    missing = sorted(set(reads) - covered - set(ONE_RECORD))
    assert not missing, f"read routes with no constant-cost scenario: {missing}"
    stale = sorted((covered | set(ONE_RECORD)) - set(reads))
    assert not stale, f"scenarios for routes that no longer exist: {stale}"
    assert not covered & set(ONE_RECORD)


@pytest.fixture
def world(db: Session, client: TestClient, settings: Settings) -> World:
    return World(db, client, settings)


def _grown(small: StatementCounter, large: StatementCounter) -> str:
    before, after = Counter(small.sql), Counter(large.sql)
    changed = [f"  {before[s]} -> {after[s]}: {s[:200]}" for s in after | before
               if before[s] != after[s]]
    return "\n".join(changed)


def _path_pattern(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_statement_count_does_not_grow(name: str, world: World, app: FastAPI, statements,
                                       record_property) -> None:
    scenario = SCENARIOS[name]
    route = _path_pattern(_read_operations(app)[scenario.op])
    counted: list[StatementCounter] = []
    measured: list[int] = []
    for size in scenario.sizes:
        probe = scenario.arrange(world, size)
        assert route.match(probe.url.split("?")[0]), (probe.url, scenario.op)
        headers = dict(probe.headers)
        if scenario.accept:
            headers["Accept"] = scenario.accept
        world.client.get(probe.url, headers=headers)  # warm: the pool, the first connection
        with statements() as counter:
            answer = world.client.get(probe.url, headers=headers)
        assert answer.status_code == 200, (size, answer.text[:500])
        if scenario.accept:
            assert answer.headers["content-type"].startswith(scenario.accept)
        counted.append(counter)
        if probe.measure is not None:
            measured.append(probe.measure(answer))
    small, large = counted
    record_property("statements", {"route": name, "small": small.count, "large": large.count,
                                   "sizes": f"{scenario.sizes[0]} vs {scenario.sizes[1]}"})
    if measured:
        assert measured[0] < measured[1], f"the large world did not show in the answer: {measured}"
    assert small.count == large.count, (
        f"{name}: {small.count} statements for {scenario.sizes[0]}, {large.count} for "
        f"{scenario.sizes[1]}; these ran a different number of times:\n{_grown(small, large)}")

"""Function-level permissions: the scopes a token may carry, and which roles grant which.

This is the only place where roles map to scopes.
"""

from __future__ import annotations

from app.domain.vocabulary import Role


class Scope:
    people_read = "people:read"
    people_write = "people:write"
    teams_write = "teams:write"
    absences = "absences"
    service_accounts = "service-accounts:manage"
    hr_feed_read = "hr.feed:read"
    growth = "growth"
    coaching_manage = "coaching:manage"
    integrations = "integrations:manage"
    policy_write = "policy:write"
    evaluations = "evaluations:run"
    cases = "cases"
    concerns = "concerns:raise"
    interventions = "interventions"
    digest = "digest:read"
    reports_org = "reports:org"
    reports_team = "reports:team"
    consultation = "policy:comment"
    metrics_read = "metrics:read"


DESCRIPTIONS: dict[str, str] = {
    Scope.people_read: "Read the directory: people, bands, teams",
    Scope.people_write: "Create and change people and import them (admin)",
    Scope.teams_write: "Create and change teams (admin)",
    Scope.absences: "Record and read absences (subject to who the record is about)",
    Scope.service_accounts: "Create, list and revoke service accounts (admin)",
    Scope.hr_feed_read: "Read the HR objective-completions feed",
    Scope.growth: "Objectives, check-ins, evidence, one-to-ones, coaching and CPD records "
                  "(subject to who the record is about)",
    Scope.coaching_manage: "Create coaching programmes and enrol coachees (admin)",
    Scope.integrations: "See and replay webhook deliveries from Jira and GitHub (admin)",
    Scope.policy_write: "Create and change policy versions and their targets (admin)",
    Scope.evaluations: "Run and close target evaluations (admin)",
    Scope.cases: "Open and work formal cases assigned to you (case managers)",
    Scope.concerns: "Raise a concern about one of your reports (line managers)",
    Scope.interventions: "Propose and follow supportive interventions and recognition "
                         "(subject to who they are about)",
    Scope.digest: "Read the recognition digest (head of department)",
    Scope.reports_org: "See participation and team figures across the department (head of "
                       "department)",
    Scope.reports_team: "See team dashboards (team leads; aggregates only)",
    Scope.consultation: "Comment on policy versions open for consultation",
    Scope.metrics_read: "Scrape the Prometheus metrics at /metrics (monitoring service "
                        "accounts only)",
}

# What every signed-in person may do; records are then limited by relationships.
PERSON_BASE: frozenset[str] = frozenset({Scope.people_read, Scope.absences, Scope.growth,
                                         Scope.concerns, Scope.interventions,
                                         Scope.reports_team, Scope.consultation})

ROLE_SCOPES: dict[Role, frozenset[str]] = {
    Role.admin: frozenset({Scope.people_write, Scope.teams_write, Scope.service_accounts,
                           Scope.hr_feed_read, Scope.coaching_manage, Scope.integrations,
                           Scope.policy_write, Scope.evaluations}),
    Role.case_manager: frozenset({Scope.cases}),
    Role.head_of_department: frozenset({Scope.digest, Scope.reports_org}),
    Role.team_lead: frozenset(),
}

# Scopes an admin may give a service account (client credentials).
# `metrics:read` is granted by no role: only a monitoring service account scrapes /metrics.
SERVICE_ACCOUNT_GRANTABLE: frozenset[str] = frozenset({Scope.hr_feed_read, Scope.people_read,
                                                       Scope.metrics_read})


def scopes_for_roles(roles: frozenset[Role] | set[Role]) -> frozenset[str]:
    granted = set(PERSON_BASE)
    for role in roles:
        granted |= ROLE_SCOPES[role]
    return frozenset(granted)


def parse_scope_string(text: str | None) -> frozenset[str]:
    return frozenset(part for part in (text or "").split() if part)

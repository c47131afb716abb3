"""The access policy: the one place that decides who may do what to which record.

Two layers, both applied on every route:
1. scopes (in the token) say which *functions* a caller may use;
2. relationships (read from the database at request time) say which *records*.

How a refusal is answered (THE REFUSAL RULE):
* 403, naming the rule (`rule`) in words a person can act on, when the caller may already
  know the record exists: a directory entry, a person's objectives, check-ins, evidence,
  absences, interventions, target results, checklists, teams. Hiding those would only
  confuse: the caller can see them listed or guess them from the directory.
* 404 only where the record's existence is itself protected: formal cases and concerns (the
  exclusion rule: to an excluded person a case does not exist), one-to-ones and coaching
  sessions of others (that a meeting happened is private to its readers), and ids that do not
  exist. A protected record the caller may not see is answered exactly like a missing id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from app.domain import cases, coaching, concerns, consultations, one_to_ones
from app.domain.cases import CaseAction
from app.domain.coaching import SessionAction
from app.domain.concerns import ConcernAction
from app.domain.consultations import ConsultationAction
from app.domain.errors import Forbidden, NotFound, refuse_move, what_next
from app.domain.one_to_ones import OneToOneAction
from app.domain.scopes import Scope
from app.domain.vocabulary import CaseKind, CaseStatus, ConcernStatus, Role, SessionStatus


class Relation(StrEnum):
    """How an actor stands to the person a record is about."""

    self = "self"
    line_manager = "line_manager"
    chain = "chain"  # above the person in the line tree, not the direct line manager
    buddy = "buddy"
    coach = "coach"
    team_lead = "team_lead"
    case_manager = "case_manager"


@dataclass(frozen=True)
class Actor:
    """Who is calling: a person or a service account, with their effective scopes."""

    scopes: frozenset[str]
    person_id: int | None = None
    client_id: str | None = None
    roles: frozenset[Role] = field(default_factory=frozenset)
    token_id: str | None = None

    @property
    def is_person(self) -> bool:
        return self.person_id is not None

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    @property
    def label(self) -> str:
        return f"person:{self.person_id}" if self.is_person else f"client:{self.client_id}"


# Refused to service accounts: these functions are a person's own.
SERVICE_ACCOUNTS_HAVE_NO_PASSWORD = ("Service accounts have no password; rotate a secret by "
                                     "creating a new service account.")
SERVICE_ACCOUNTS_HAVE_NO_CALENDAR = "Service accounts have no calendar."
ONLY_PEOPLE_COMMENT = "Only people comment on policy versions."
ONLY_PEOPLE_HAVE_CHECKLISTS = "Only people have checklists."


class Record(StrEnum):
    """Kinds of record about a person that the relationship rules govern."""

    personal_details = "personal_details"  # email is public; HR number, integration ids, roles
    absence = "absence"
    reports = "reports"  # the list of someone's direct reports
    objective = "objective"  # objectives and their check-ins
    evidence = "evidence"
    one_to_one = "one_to_one"  # that a one-to-one happened (date, held or cancelled)
    coaching = "coaching"  # enrolments and sessions, with the coachee as subject
    cpd = "cpd"  # the person's own continuing-professional-development record
    target_result = "target_result"  # target results and the triggers they fire
    intervention = "intervention"  # supportive interventions and recognitions
    participation = "participation"  # a manager's participation report (subject: the manager)
    checklist = "checklist"  # a person's checklists


class Action(StrEnum):
    read = "read"
    write = "write"  # create and change (own objectives and evidence; absences; ...)
    agree = "agree"  # confirm a long absence; agree to (or decline) support
    comment = "comment"  # add a check-in to an objective: the owner and the line manager


_MANAGEMENT = frozenset({Relation.self, Relation.line_manager, Relation.chain})
_GROWTH_READERS = _MANAGEMENT | {Relation.coach, Relation.buddy}
_SELF = frozenset({Relation.self})
_SELF_OR_MANAGER = frozenset({Relation.self, Relation.line_manager})

# Which relationships may do what to each kind of record (SPEC section 4). Anything not
# listed is refused.
_RULES: dict[tuple[Record, Action], frozenset[Relation]] = {
    (Record.personal_details, Action.read): _MANAGEMENT,
    (Record.absence, Action.read): _MANAGEMENT,
    (Record.absence, Action.write): _SELF_OR_MANAGER,
    # A long absence excuses targets only once the line manager confirms it.
    (Record.absence, Action.agree): frozenset({Relation.line_manager}),
    (Record.reports, Action.read): frozenset(Relation),  # the line tree is directory data
    (Record.objective, Action.read): _GROWTH_READERS,
    # An objective is its owner's own words; the line manager comments with check-ins. Who
    # takes each lifecycle action (agree, request_changes, complete...) is OBJECTIVE_ACTIONS.
    (Record.objective, Action.write): _SELF,
    (Record.objective, Action.comment): _SELF_OR_MANAGER,
    (Record.evidence, Action.read): _GROWTH_READERS,
    (Record.evidence, Action.write): _SELF,
    (Record.one_to_one, Action.read): _MANAGEMENT,
    (Record.one_to_one, Action.write): _SELF_OR_MANAGER,
    (Record.coaching, Action.read): _MANAGEMENT | {Relation.coach},
    (Record.coaching, Action.write): frozenset({Relation.self, Relation.coach}),
    (Record.cpd, Action.read): _MANAGEMENT,
    (Record.target_result, Action.read): _GROWTH_READERS,
    (Record.intervention, Action.read): _GROWTH_READERS,
    # The line manager proposes support and records its progress...
    (Record.intervention, Action.write): frozenset({Relation.line_manager}),
    # ...and the person agrees to it or declines it: support is offered, never imposed.
    (Record.intervention, Action.agree): _SELF,
    # A manager's participation report: the manager and everyone above them.
    (Record.participation, Action.read): _MANAGEMENT,
    (Record.checklist, Action.read): _MANAGEMENT,
    (Record.checklist, Action.write): _SELF,
}

# Where the admin role reaches without a relationship. Admins run the organisation; they do
# not read people's objectives, evidence, one-to-ones or coaching.
_ADMIN: frozenset[tuple[Record, Action]] = frozenset({
    (Record.personal_details, Action.read), (Record.personal_details, Action.write),
    (Record.absence, Action.read), (Record.absence, Action.write),
    (Record.absence, Action.agree),
    (Record.reports, Action.read),
})


NEEDS_SCOPE = "This needs the `{scope}` scope, which your token does not carry."


def require_scope(actor: Actor, scope: str) -> None:
    """Refuse a function the caller's token does not carry the scope for."""
    if scope not in actor.scopes:
        raise Forbidden(detail=NEEDS_SCOPE.format(scope=scope), extra={"required_scope": scope})


def may(actor: Actor, record: Record, action: Action, relations: frozenset[Relation]) -> bool:
    if relations & _RULES.get((record, action), frozenset()):
        return True
    return actor.has_role(Role.admin) and (record, action) in _ADMIN


def permits(actor: Actor, record: Record, action: Action,
            relations: frozenset[Relation]) -> bool:
    """Whether `authorize` lets this through. The policy only ever grants, so relations that
    permit an action go on permitting it however many more are known."""
    return may(actor, record, Action.read, relations) and (
        action is Action.read or may(actor, record, action, relations))


# What `authorize` says: a protected record the caller may not know of does not exist for
# them; any other record they may not see is refused with the rule that keeps it from them.
NO_SUCH = "No {what} with id {id}."
NO_SUCH_ID = "No {what} with that id."
SEE_NOT_CHANGE = "You may see this {what} but not change it."
TEAM_LEADS_SEE_AGGREGATES = ("Team leads see team aggregates only, never an individual's "
                             "records: use the team dashboard.")

# Records whose very existence is private to their readers (404 to anyone else).
EXISTENCE_PROTECTED: frozenset[Record] = frozenset({Record.one_to_one, Record.coaching})

# Who may see each kind of record, worded for the 403 that refuses it; `rule` names it.
_READERS: dict[Record, str] = {
    Record.personal_details: ("A person's full record is for them, their line manager, those "
                              "above in the line, and admins; everyone else sees the directory "
                              "entry."),
    Record.absence: ("A person's absences are seen by them, their line manager, those above in "
                     "the line, and admins."),
    Record.objective: ("A person's objectives and check-ins are seen by them, their line "
                       "manager, those above in the line, their coach and their buddy: ask "
                       "the person or their line manager."),
    Record.evidence: ("A person's evidence is seen by them, their line manager, those above in "
                      "the line, their coach and their buddy: ask the person or their line "
                      "manager."),
    Record.cpd: ("A person's CPD record is seen by them, their line manager and those above "
                 "in the line."),
    Record.target_result: ("A person's target results are seen by them, their line manager, "
                           "those above in the line, their coach and their buddy."),
    Record.intervention: ("Support for a person is seen by them, their line manager, those "
                          "above in the line, their coach and their buddy."),
    Record.participation: ("A manager's participation report is for the manager, those above "
                           "them in the line and the head of department."),
    Record.checklist: ("A person's checklists are seen by them, their line manager and those "
                       "above in the line."),
}
TEAM_LEAD_RULE = "team-lead-aggregates-only"


def reader_rule(record: Record) -> str:
    """The rule code a 403 names when a caller may not see a record of this kind."""
    return f"{record.value.replace('_', '-')}-readers"


def no_such(what: str, record_id: object) -> str:
    """What someone who may not know a record exists is told: that it does not."""
    return NO_SUCH.format(what=what, id=record_id)


def authorize(actor: Actor, record: Record, action: Action, relations: frozenset[Relation],
              *, what: str) -> None:
    """Raise NotFound if the actor may not know a protected record exists, Forbidden (with
    the rule) if they may not see an unprotected one or may see it but not do this to it."""
    if not may(actor, record, Action.read, relations):
        if record in EXISTENCE_PROTECTED:
            raise NotFound(detail=NO_SUCH_ID.format(what=what))
        if Relation.team_lead in relations:
            # The person is in their team, so they know the person exists; what they may not
            # see is anything about them as an individual.
            raise Forbidden(detail=TEAM_LEADS_SEE_AGGREGATES, extra={"rule": TEAM_LEAD_RULE})
        raise Forbidden(detail=_READERS.get(record, f"You may not see this {what}."),
                        extra={"rule": reader_rule(record)})
    if action is not Action.read and not may(actor, record, action, relations):
        code = _RULE_CODES.get((record, action),
                               f"{record.value.replace('_', '-')}-{action.value}")
        raise Forbidden(detail=_REFUSALS.get((record, action), SEE_NOT_CHANGE.format(what=what)),
                        extra={"rule": code})


OBJECTIVE_AGREED_BY_LINE_MANAGER = ("Only the owner's line manager agrees or reopens an "
                                    "objective.")
OBJECTIVE_COMPLETED_BY_OWNER = "Only the owner completes their objective."
OBJECTIVE_CHANGES_ASKED_BY_LINE_MANAGER = ("Only the owner's line manager asks for changes to "
                                           "an objective.")
OBJECTIVE_LINE_MANAGER_AGREES = "OBJECTIVE-LINE-MANAGER-AGREES"
OBJECTIVE_OWNER_COMPLETES = "OBJECTIVE-OWNER-COMPLETES"
# An objective is its owner's own: nobody else creates, rewrites or drops it. The line
# manager agrees it, asks for changes, reopens it or comments with a check-in.
OBJECTIVE_OWNER_WRITES = "OBJECTIVE-OWNER-WRITES"
OBJECTIVE_WRITTEN_BY_OWNER = ("An objective is written by its owner: only they create, rewrite "
                              "or drop it. Their line manager agrees it, asks for changes "
                              "(POST /v1/objectives/{id}/request_changes) or comments with a "
                              "check-in.")
EVIDENCE_OWNER_WRITES = "EVIDENCE-OWNER-WRITES"
EVIDENCE_WRITTEN_BY_ITS_PERSON = ("Evidence is written by the person it is about: nobody "
                                  "records, changes or deletes evidence about someone else.")
# An admin's override of the owner's say (a leaver's or a mistaken objective) is explicit and
# says why: it is recorded in the objective's history and the audit log.
OVERRIDE_REASON = "OVERRIDE-REASON"
OVERRIDE_NEEDS_REASON = ("override_reason: dropping someone else's objective is an admin's "
                         "override and needs a reason, which is recorded.")

# Services word these refusals of the rules above themselves (for the person's relation, not
# the record's visibility).
SUPPORT_AGREED_BY_ITS_PERSON = "Only the person the support is for agrees to it or declines it."
SUPPORT_RUN_BY_LINE_MANAGER = ("Only the person's line manager proposes support and records its "
                               "progress.")
SUPPORT_REQUEST_ANSWERED_BY_LINE_MANAGER = ("You asked for this support yourself: your line "
                                            "manager agrees to it or declines it.")
SUPPORT_REQUESTED_BY_ITS_PERSON = "Only the person who asked for support shares it or stops."
SUPPORT_REQUEST_NEEDS_A_LINE_MANAGER = ("You have no line manager to ask for support; ask an "
                                        "admin to record one.")
ABSENCE_CONFIRMED_BY_LINE_MANAGER = ("The person's line manager (or an admin) confirms a long "
                                     "absence; the person cannot confirm their own.")
PRAISE_CHOSEN_BY_THE_PERSON = ("Only the person themselves chooses whether they are named in the "
                               "recognition digest.")


_REFUSALS = {
    (Record.evidence, Action.write): EVIDENCE_WRITTEN_BY_ITS_PERSON,
    (Record.objective, Action.write): OBJECTIVE_WRITTEN_BY_OWNER,
}
# The rule code a refusal carries (as `rule` in the problem), where it has one.
_RULE_CODES = {
    (Record.evidence, Action.write): EVIDENCE_OWNER_WRITES,
    (Record.objective, Action.write): OBJECTIVE_OWNER_WRITES,
}


# --- who may take a lifecycle's actions now -------------------------------------------------

Holder = Relation | Role
"""Who an action's rule names: a relation to the person the record is about, or a role."""


@dataclass(frozen=True)
class ActionRule:
    """Who may take one action on a kind of record, and the words (and rule code) of the
    refusal to anyone else who may see the record."""

    holders: frozenset[Holder]
    refusal: str
    code: str | None = None


def actions_for(actor_relations: frozenset[Relation], actor_roles: frozenset[Role],
                lifecycle_actions: Sequence[str], rules: Mapping[str, ActionRule]) -> list[str]:
    """The actions this caller may take now: those the lifecycle allows from the record's
    state (in its order) that a rule gives to one of the caller's relations or roles. The
    `allowed_actions` a record shows and the authorisation of each action both come from
    here, so the list and a refusal cannot disagree."""
    held: frozenset[Holder] = actor_relations | actor_roles
    return [a for a in lifecycle_actions if a in rules and rules[a].holders & held]


def authorize_action(actor_relations: frozenset[Relation], actor_roles: frozenset[Role],
                     action: str, rules: Mapping[str, ActionRule]) -> None:
    """Refuse (403, with the rule's words and code) a caller whom no rule lets take `action`
    on this record in any state; whether the state allows it now is the lifecycle's (409)."""
    if not actions_for(actor_relations, actor_roles, [action], rules):
        rule = rules[action]
        raise Forbidden(detail=rule.refusal, extra={"rule": rule.code} if rule.code else {})


_OBJECTIVE_AGREE = ActionRule(frozenset({Relation.line_manager}),
                              OBJECTIVE_AGREED_BY_LINE_MANAGER, OBJECTIVE_LINE_MANAGER_AGREES)
_OBJECTIVE_OWNER = ActionRule(frozenset({Relation.self}), OBJECTIVE_WRITTEN_BY_OWNER,
                              OBJECTIVE_OWNER_WRITES)
# The objective lifecycle's actions (app/domain/objectives.py), and who takes each. An admin
# drops someone else's objective only as an override with a reason (OVERRIDE_NEEDS_REASON).
OBJECTIVE_ACTIONS: dict[str, ActionRule] = {
    "agree": _OBJECTIVE_AGREE,
    "request_changes": ActionRule(frozenset({Relation.line_manager}),
                                  OBJECTIVE_CHANGES_ASKED_BY_LINE_MANAGER,
                                  OBJECTIVE_LINE_MANAGER_AGREES),
    "complete": ActionRule(frozenset({Relation.self}), OBJECTIVE_COMPLETED_BY_OWNER,
                           OBJECTIVE_OWNER_COMPLETES),
    "drop": ActionRule(frozenset({Relation.self, Role.admin}), OBJECTIVE_WRITTEN_BY_OWNER,
                       OBJECTIVE_OWNER_WRITES),
    "reopen": _OBJECTIVE_AGREE,
    "edit": _OBJECTIVE_OWNER,
}

_SUPPORT_CHOSEN = ActionRule(frozenset({Relation.self}), SUPPORT_AGREED_BY_ITS_PERSON,
                             "SUPPORT-CHOSEN-BY-ITS-PERSON")
_SUPPORT_RUN = ActionRule(frozenset({Relation.line_manager}), SUPPORT_RUN_BY_LINE_MANAGER,
                          "SUPPORT-RUN-BY-LINE-MANAGER")
# The intervention lifecycle's actions (app/domain/interventions.py): support is offered,
# never imposed, so the person agrees or declines; the line manager runs it.
INTERVENTION_ACTIONS: dict[str, ActionRule] = {
    "agree": _SUPPORT_CHOSEN, "decline": _SUPPORT_CHOSEN,
    "start": _SUPPORT_RUN, "complete": _SUPPORT_RUN,
}
# Support the person asked for themselves: they asked already, so their line manager answers
# the request (agrees to it or declines it), then starts it and records it as completed.
_REQUEST_ANSWERED = ActionRule(frozenset({Relation.line_manager}),
                               SUPPORT_REQUEST_ANSWERED_BY_LINE_MANAGER,
                               "SUPPORT-REQUEST-ANSWERED-BY-LINE-MANAGER")
REQUESTED_SUPPORT_ACTIONS: dict[str, ActionRule] = {
    "agree": _REQUEST_ANSWERED, "decline": _REQUEST_ANSWERED,
    "start": _SUPPORT_RUN, "complete": _SUPPORT_RUN,
}


def intervention_actions(*, requested: bool) -> dict[str, ActionRule]:
    """Who takes each move of an intervention: support offered, or support the person asked
    for."""
    return REQUESTED_SUPPORT_ACTIONS if requested else INTERVENTION_ACTIONS


ONE_TO_ONE_CHANGED_BY_THE_TWO = ("Only the two people who met (the person and the line manager "
                                 "of the time) may change a one-to-one.")


def one_to_one_participant(actor: Actor, *, person_id: int, manager_id: int) -> bool:
    """One-to-one notes are for the two participants only: not the chain, not admins."""
    return actor.person_id is not None and actor.person_id in (person_id, manager_id)


# Support a person asked for themselves is for them and their line manager only, unless the
# person shares it: then whoever reads their interventions reads it too.
_PRIVATE_REQUEST_READERS = _SELF_OR_MANAGER


def sees_support_request(relations: frozenset[Relation], *, shared: bool) -> bool:
    """Whether someone who may read a person's interventions also sees support the person
    asked for: the person and their line manager always; the chain, coach and buddy only once
    the person shares it; admins and the head of department never by their role."""
    return shared or bool(relations & _PRIVATE_REQUEST_READERS)


def sees_personal_details(actor: Actor, relations: frozenset[Relation]) -> bool:
    """Whether the actor sees a person's full record, or only the directory entry."""
    return may(actor, Record.personal_details, Action.read, relations)


def sees_every_enrolment(actor: Actor) -> bool:
    """Whoever enrols people (the `coaching:manage` scope) sees every coaching pairing and
    its progress, but never a session's topics or notes."""
    return Scope.coaching_manage in actor.scopes


def coaching_participant(actor: Actor, relations: frozenset[Relation]) -> bool:
    """Coaching session notes are for the coachee and their coach, not the management
    chain."""
    return may(actor, Record.coaching, Action.write, relations)


# --- formal cases: the exclusion rule -------------------------------------------------------


@dataclass(frozen=True)
class ManagementSpell:
    """A period in which someone was the subject's line manager (history included)."""

    manager_id: int
    started_at: datetime
    ended_at: datetime | None


def excluded_from_case(actor_id: int | None, *, current_line_manager_id: int | None,
                       spells: Sequence[ManagementSpell], case_opened_at: datetime,
                       case_closed_at: datetime | None, now: datetime,
                       concern_raiser_id: int | None = None) -> bool:
    """THE EXCLUSION RULE. A person who is the subject's line manager now, or was at any time
    while the case has been open, can never see, list, count or touch the case, whatever
    other role or scope they hold. To them it does not exist. Nor can whoever raised the
    concern the case came from follow it: they get a receipt, never the case.

    `app/services/access/case_access.py` turns this same rule into the SQL filter every case query
    uses; a test checks that the two agree.
    """
    if actor_id is None:
        return False
    if actor_id in (current_line_manager_id, concern_raiser_id):
        return True
    case_end = case_closed_at or now
    return any(spell.manager_id == actor_id and spell.started_at <= case_end
               and (spell.ended_at is None or spell.ended_at >= case_opened_at)
               for spell in spells)


def may_manage_cases(actor: Actor) -> bool:
    """The function-level half: case work needs the case manager's scope."""
    return Scope.cases in actor.scopes


class CaseAccess(StrEnum):
    none = "none"  # the case does not exist for this actor (404)
    subject = "subject"  # status, outcome, consent, case managers to contact, shared notes
    manager = "manager"  # an assigned case manager: everything


def case_access(actor: Actor, *, excluded: bool, assigned: bool, is_subject: bool) -> CaseAccess:
    """Who may see a formal case. Exclusion comes first and beats every role and scope;
    then the subject; then case managers assigned to it. Nobody else (admins and the head of
    department included) knows it exists."""
    if excluded:
        return CaseAccess.none
    if is_subject:
        return CaseAccess.subject
    if assigned and may_manage_cases(actor):
        return CaseAccess.manager
    return CaseAccess.none


# Refusals of case work (the case is visible to the caller, or about to be opened).
CASE_WORK_BY_ASSIGNED = "Only the case managers assigned to this case may do this."
NO_CASE_ABOUT_YOURSELF = "Nobody opens or works a formal case about themselves."
CASES_CLOSED_TO_LINE_MANAGER = ("You are this person's line manager, so formal cases about them "
                                "are closed to you: ask another case manager. You may raise a "
                                "concern instead (POST /v1/concerns).")
CASE_EXCLUDED_ASSIGNEE = ("case_manager_id: person {person_id} is, or was while this case has "
                          "been open, the line manager of the person it is about (or is that "
                          "person), so they cannot work on it.")
CONSENT_BY_SUBJECT = "Only the person a case is about records their consent."


def sees_whole_department(actor: Actor) -> bool:
    """The head of department sees every manager's participation and every team's figures."""
    return Scope.reports_org in actor.scopes


TEAM_DASHBOARD_READERS = ("A team's dashboard is for its delivery manager and product owner, "
                          "anyone above a member in the line, admins and the head of "
                          "department.")


def may_see_team_report(actor: Actor, *, leads_team: bool, above_a_member: bool) -> bool:
    """Team aggregates: the team's delivery manager or product owner, anyone above a member
    in the line tree, admins and the head of department. Never anything about individuals."""
    return (leads_team or above_a_member or actor.has_role(Role.admin)
            or sees_whole_department(actor))


PARTICIPATION_READERS = ("A manager's participation report is for the manager, those above "
                         "them in the line and the head of department.")


def may_see_participation(actor: Actor, relations_to_manager: frozenset[Relation]) -> bool:
    """A manager's participation report: the manager, those above them, the head of
    department."""
    return may(actor, Record.participation, Action.read, relations_to_manager) \
        or sees_whole_department(actor)


def sees_anonymous_authors(actor: Actor) -> bool:
    """Consultation comments made anonymously are anonymous to everyone but admins."""
    return Scope.policy_write in actor.scopes


CONCERN_RAISED_BY_LINE_MANAGER = "Only the person's line manager raises a concern about them."


def may_raise_concern(relations: frozenset[Relation]) -> bool:
    """Only the person's current line manager raises a concern about them."""
    return Relation.line_manager in relations


def may_override_line_rules(actor: Actor) -> bool:
    """An admin may override a line-management matrix rule, recording why."""
    return actor.has_role(Role.admin)


# --- separation of duties --------------------------------------------------------------------

# Roles whose grant or removal takes two admins: one proposes, another approves.
TWO_ADMIN_ROLES: frozenset[Role] = frozenset({Role.admin, Role.case_manager})


TWO_ADMINS = ("roles: granting or removing {roles} takes two admins. Propose the change with "
              "POST /v1/role-changes; another admin approves it.")


def privileged_roles_changed(before: Sequence[str], after: Sequence[str]) -> frozenset[str]:
    """The two-admin roles that differ between two role lists."""
    return frozenset(set(before) ^ set(after)) & {r.value for r in TWO_ADMIN_ROLES}


# Accounts whose password only their holder (or the service desk, in person) may reset.
PASSWORD_LINK_PROTECTED_ROLES: frozenset[str] = frozenset({Role.admin.value,
                                                           Role.case_manager.value})


NO_PASSWORD = ("password: nobody sets another person's password. Issue a one-time "
               "set-password link instead (POST /v1/people/{person_id}/password-link) and give "
               "it to the person, who chooses their own.")
NOT_BY_LINK = ("This person's password can only be reset by themselves (POST "
               "/v1/me/password) or through the service desk; no set-password link can be "
               "issued for them.")


def may_issue_password_link(*, managed_by_actor: bool, roles: Sequence[str],
                            in_open_casework: Callable[[], bool]) -> bool:
    """Whether an admin may issue a set-password link for a person: not for anyone they line
    manage or have line managed, not for holders of `admin` or `case_manager`, and not for
    the subject of an open case or concern. Decided in this order, so that for a line manager
    the answer never depends on cases (`in_open_casework` is not even asked)."""
    if managed_by_actor or PASSWORD_LINK_PROTECTED_ROLES & set(roles):
        return False
    return not in_open_casework()


ROLE_CHANGE_PROPOSED_IN_PERSON = "A role change is proposed by an admin signed in as themselves."
ROLE_CHANGE_DECIDED_IN_PERSON = "A role change is decided by an admin signed in as themselves."
ROLE_CHANGE_NOT_YOUR_PROPOSAL = "You proposed this change; another admin must decide it."
ROLE_CHANGE_NOT_YOUR_ROLES = "This change is to your own roles; another admin must decide it."


def may_decide_role_change(actor: Actor, *, proposed_by_id: int, subject_id: int) -> str | None:
    """Why the actor may not approve or reject a role change, or None if they may. Nobody
    decides their own proposal, nor a change to their own roles."""
    if actor.person_id is None:
        return ROLE_CHANGE_DECIDED_IN_PERSON
    if actor.person_id == proposed_by_id:
        return ROLE_CHANGE_NOT_YOUR_PROPOSAL
    if actor.person_id == subject_id:
        return ROLE_CHANGE_NOT_YOUR_ROLES
    return None


# --- allowed_actions: what this caller may do to a record now ---------------------------------
#
# For coaching sessions, one-to-ones, formal cases, concerns and policy consultations. Each
# `*_actions` function below is the ONE place their actions are decided: a record's
# `allowed_actions` is its `.allowed`, and every action is authorised by its `.require`, so
# the list and the refusal cannot disagree.


@dataclass(frozen=True)
class CallerActions:
    """What one caller may do to one record now: the lifecycle's actions possible from the
    record's state (`possible`) that the caller's relation and roles permit (`permitted`)."""

    state: str
    possible: tuple[str, ...]
    permitted: frozenset[str]
    refusal: str  # why the caller may not take an action they are not permitted (403)
    rule: str  # the rule the 403 names

    @property
    def allowed(self) -> list[str]:
        """The record's `allowed_actions` for this caller, in lifecycle order."""
        return [action for action in self.possible if action in self.permitted]

    def require(self, action: str, *, noun: str, why_not: str | None = None,
                **extra: object) -> None:
        """Authorise `action` or refuse it: 403 naming the rule if the caller may never take
        it, else the lifecycle's 409 (`state` + the caller's `allowed_actions`) if the state
        does not allow it now. `why_not` words a 409 the state's name alone does not explain."""
        if action not in self.permitted:
            raise Forbidden(detail=self.refusal, extra={"rule": self.rule})
        if action not in self.possible:
            allowed = self.allowed
            refuse_move(why_not or (f"The {noun} is {self.state.replace('_', ' ')}, so you cannot "
                                    f"{action.replace('_', ' ')} it. "
                                    + what_next(self.state, allowed, noun)),
                        state=self.state, allowed_actions=allowed, **extra)


COACHING_SESSION_CHANGED_BY_THE_TWO = ("Only the coachee and their coach change a coaching "
                                       "session; the management chain may see that it happened.")


def coaching_session_actions(actor: Actor, relations: frozenset[Relation],
                             status: SessionStatus) -> CallerActions:
    """A coaching session: its coachee and coach take every action (hold, cancel,
    reschedule, edit the topics and notes); its other readers none."""
    every = frozenset(SessionAction) if coaching_participant(actor, relations) else frozenset()
    return CallerActions(status.value, tuple(coaching.possible_actions(status)),
                         frozenset(a.value for a in every),
                         COACHING_SESSION_CHANGED_BY_THE_TWO, "coaching-session-participants")


def one_to_one_actions(actor: Actor, *, person_id: int, manager_id: int,
                       status: str) -> CallerActions:
    """A one-to-one: only its two participants edit it (not the chain, not admins)."""
    every = frozenset(OneToOneAction) if one_to_one_participant(
        actor, person_id=person_id, manager_id=manager_id) else frozenset()
    return CallerActions(status, tuple(one_to_ones.possible_actions()),
                         frozenset(a.value for a in every), ONE_TO_ONE_CHANGED_BY_THE_TWO,
                         "one-to-one-participants")


def case_actions(actor: Actor, access: CaseAccess, *, status: CaseStatus, kind: CaseKind,
                 consented: bool) -> CallerActions:
    """A formal case the caller may see (exclusion already applied: to an excluded caller the
    case does not exist, and no actions are asked for). Its assigned case managers move it
    and add notes; its subject consents (a voluntary band change)."""
    if access is CaseAccess.manager and may_manage_cases(actor):
        permitted = frozenset(CaseAction) - {CaseAction.consent}
        refusal, rule = CONSENT_BY_SUBJECT, "case-consent-by-subject"
    elif access is CaseAccess.subject:
        permitted = frozenset({CaseAction.consent})
        refusal, rule = CASE_WORK_BY_ASSIGNED, "case-work-by-assigned"
    else:
        permitted, refusal, rule = frozenset(), CASE_WORK_BY_ASSIGNED, "case-work-by-assigned"
    return CallerActions(status.value, tuple(cases.possible_actions(status, kind,
                                                                   consented=consented)),
                         frozenset(a.value for a in permitted), refusal, rule)


CONCERNS_HANDLED_BY_CASE_MANAGERS = ("Concerns are dismissed or turned into cases by case "
                                     "managers (the `cases` scope).")


def concern_actions(actor: Actor, status: ConcernStatus) -> CallerActions:
    """A concern the caller may see (exclusion already applied): case managers dismiss it or
    open a case from it."""
    permitted = (frozenset(a.value for a in ConcernAction) if may_manage_cases(actor)
                 else frozenset[str]())
    return CallerActions(status.value, tuple(concerns.possible_actions(status)), permitted,
                         CONCERNS_HANDLED_BY_CASE_MANAGERS, "concerns-by-case-managers")


CONSULTATION_REPLIES_BY_POLICY_ADMINS = ("Only policy admins (the `policy:write` scope) reply "
                                         "to consultation comments.")


def consultation_actions(actor: Actor, state: str) -> CallerActions:
    """A policy consultation: every person comments while it is open; policy admins reply."""
    permitted: set[str] = set()
    if actor.is_person and Scope.consultation in actor.scopes:
        permitted.add(ConsultationAction.comment.value)
    if Scope.policy_write in actor.scopes:
        permitted.add(ConsultationAction.reply.value)
    return CallerActions(state, tuple(consultations.possible_actions(state)),
                         frozenset(permitted), CONSULTATION_REPLIES_BY_POLICY_ADMINS,
                         "consultation-replies-by-policy-admins")

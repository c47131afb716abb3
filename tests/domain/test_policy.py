"""The access policy (relationships) and the scopes (functions) it sits on."""

from __future__ import annotations

import pytest

from app.domain.errors import Forbidden, NotFound
from app.domain.access import (
    INTERVENTION_ACTIONS,
    OBJECTIVE_ACTIONS,
    OBJECTIVE_OWNER_WRITES,
    Action,
    Actor,
    actions_for,
    authorize_action,
    one_to_one_participant,
    Record,
    Relation,
    TEAM_LEAD_RULE,
    authorize,
    may,
    reader_rule,
    require_scope,
    sees_personal_details,
)
from app.domain.scopes import (
    PERSON_BASE,
    ROLE_SCOPES,
    Scope,
    parse_scope_string,
    scopes_for_roles,
)
from app.domain.vocabulary import Role

NOBODY: frozenset[Relation] = frozenset()


def rel(*relations: Relation) -> frozenset[Relation]:
    return frozenset(relations)


def person_actor(*roles: Role, scopes: frozenset[str] | None = None) -> Actor:
    role_set = frozenset(roles)
    return Actor(scopes=scopes if scopes is not None else scopes_for_roles(role_set),
                 person_id=42, roles=role_set)


PLAIN = person_actor()
ADMIN = person_actor(Role.admin)


# --- require_scope ----------------------------------------------------------------------------


def test_require_scope_refuses_a_token_without_the_scope() -> None:
    actor = Actor(scopes=frozenset({Scope.people_read}), client_id="hr")
    with pytest.raises(Forbidden) as caught:
        require_scope(actor, Scope.people_write)
    assert Scope.people_write in caught.value.detail
    assert caught.value.extra == {"required_scope": Scope.people_write}


def test_require_scope_lets_a_token_with_the_scope_through() -> None:
    actor = Actor(scopes=frozenset({Scope.people_read, Scope.hr_feed_read}), client_id="hr")
    require_scope(actor, Scope.hr_feed_read)  # raises if refused


def test_require_scope_is_not_fooled_by_a_role_without_the_scope() -> None:
    # Roles grant scopes at token issue; the token's scopes are what count at request time.
    actor = Actor(scopes=frozenset(), person_id=1, roles=frozenset({Role.admin}))
    with pytest.raises(Forbidden):
        require_scope(actor, Scope.people_write)


def test_require_scope_is_not_a_prefix_match() -> None:
    actor = Actor(scopes=frozenset({"hr.feed"}), client_id="hr")
    with pytest.raises(Forbidden):
        require_scope(actor, Scope.hr_feed_read)


# --- authorize: the refusal rule --------------------------------------------------------------


@pytest.mark.parametrize("action", [Action.read, Action.write])
@pytest.mark.parametrize("record", [Record.personal_details, Record.absence])
def test_a_stranger_is_told_the_rule_for_a_record_they_may_know_of(record, action) -> None:
    with pytest.raises(Forbidden) as caught:
        authorize(PLAIN, record, action, NOBODY, what="record")
    assert caught.value.extra["rule"] == reader_rule(record)
    assert "line manager" in caught.value.detail


@pytest.mark.parametrize("action", [Action.read, Action.write])
@pytest.mark.parametrize("record", [Record.one_to_one, Record.coaching])
def test_a_stranger_is_told_a_protected_record_does_not_exist(record, action) -> None:
    for relations in (NOBODY, rel(Relation.team_lead), rel(Relation.case_manager)):
        with pytest.raises(NotFound) as caught:
            authorize(PLAIN, record, action, relations, what="record")
        assert "No record" in caught.value.detail


@pytest.mark.parametrize("relation", [Relation.buddy, Relation.coach, Relation.team_lead,
                                      Relation.case_manager])
def test_other_relationships_do_not_see_personal_details_or_absences(relation) -> None:
    # A team lead knows the person is in their team: they are told they see aggregates only.
    for record in (Record.personal_details, Record.absence):
        with pytest.raises(Forbidden) as caught:
            authorize(PLAIN, record, Action.read, rel(relation), what="person")
        assert caught.value.extra["rule"] == (TEAM_LEAD_RULE if relation is Relation.team_lead
                                              else reader_rule(record))


def test_someone_who_may_read_but_not_write_gets_forbidden() -> None:
    with pytest.raises(Forbidden) as caught:
        authorize(PLAIN, Record.absence, Action.write, rel(Relation.chain), what="absence")
    assert "absence" in caught.value.detail


def test_reading_what_you_may_read_passes() -> None:
    authorize(PLAIN, Record.absence, Action.read, rel(Relation.self), what="x")  # or raises


# --- personal details -------------------------------------------------------------------------


@pytest.mark.parametrize("relation", [Relation.self, Relation.line_manager, Relation.chain])
def test_the_person_and_their_chain_read_personal_details(relation) -> None:
    authorize(PLAIN, Record.personal_details, Action.read, rel(relation), what="person")
    assert sees_personal_details(PLAIN, rel(relation)) is True


@pytest.mark.parametrize("relation", [Relation.self, Relation.line_manager, Relation.chain])
def test_only_an_admin_writes_personal_details(relation) -> None:
    with pytest.raises(Forbidden):
        authorize(PLAIN, Record.personal_details, Action.write, rel(relation), what="person")


def test_a_stranger_sees_only_the_directory_entry() -> None:
    assert sees_personal_details(PLAIN, NOBODY) is False
    assert sees_personal_details(PLAIN, rel(Relation.buddy, Relation.team_lead)) is False


# --- admins -----------------------------------------------------------------------------------


@pytest.mark.parametrize("action", [Action.read, Action.write])
@pytest.mark.parametrize("record", [Record.personal_details, Record.absence])
def test_an_admin_reads_and_writes_personal_details_and_absences(record, action) -> None:
    assert may(ADMIN, record, action, NOBODY) is True
    authorize(ADMIN, record, action, NOBODY, what="person")
    assert sees_personal_details(ADMIN, NOBODY) is True


def test_an_admin_reads_but_does_not_write_the_reports_list() -> None:
    authorize(ADMIN, Record.reports, Action.read, NOBODY, what="reports")
    with pytest.raises(Forbidden):
        authorize(ADMIN, Record.reports, Action.write, NOBODY, what="reports")


def test_a_non_admin_role_gives_no_admin_reach() -> None:
    for role in (Role.case_manager, Role.head_of_department, Role.team_lead):
        actor = person_actor(role)
        with pytest.raises(Forbidden):
            authorize(actor, Record.absence, Action.read, NOBODY, what="absence")


# --- absences ---------------------------------------------------------------------------------


@pytest.mark.parametrize("relation", [Relation.self, Relation.line_manager, Relation.chain])
def test_self_and_the_chain_read_absences(relation) -> None:
    assert may(PLAIN, Record.absence, Action.read, rel(relation)) is True
    authorize(PLAIN, Record.absence, Action.read, rel(relation), what="absence")


@pytest.mark.parametrize("relation", [Relation.self, Relation.line_manager])
def test_self_and_the_line_manager_write_absences(relation) -> None:
    assert may(PLAIN, Record.absence, Action.write, rel(relation)) is True
    authorize(PLAIN, Record.absence, Action.write, rel(relation), what="absence")


def test_a_chain_member_who_is_not_the_line_manager_does_not_write_absences() -> None:
    assert may(PLAIN, Record.absence, Action.write, rel(Relation.chain)) is False
    with pytest.raises(Forbidden):
        authorize(PLAIN, Record.absence, Action.write, rel(Relation.chain), what="absence")


def test_any_one_qualifying_relation_is_enough() -> None:
    # A line manager who is also the person's coach still writes the absence.
    authorize(PLAIN, Record.absence, Action.write, rel(Relation.coach, Relation.line_manager),
              what="absence")


# --- the reports list (part of the directory) -------------------------------------------------


@pytest.mark.parametrize("relation", list(Relation))
def test_any_relationship_reads_the_reports_list(relation) -> None:
    assert may(PLAIN, Record.reports, Action.read, rel(relation)) is True
    assert may(PLAIN, Record.reports, Action.write, rel(relation)) is False


# --- Actor ------------------------------------------------------------------------------------


def test_actor_labels_people_and_service_accounts() -> None:
    assert PLAIN.is_person and PLAIN.label == "person:42"
    service = Actor(scopes=frozenset(), client_id="hr-system")
    assert not service.is_person and service.label == "client:hr-system"
    assert ADMIN.has_role(Role.admin) and not PLAIN.has_role(Role.admin)


# --- scopes -----------------------------------------------------------------------------------


def test_every_person_gets_the_base_scopes() -> None:
    assert scopes_for_roles(frozenset()) == PERSON_BASE
    assert PERSON_BASE == {Scope.people_read, Scope.absences, Scope.growth, Scope.concerns,
                           Scope.interventions, Scope.reports_team, Scope.consultation}


@pytest.mark.parametrize("role", list(Role))
def test_every_role_keeps_the_base_scopes(role) -> None:
    assert PERSON_BASE <= scopes_for_roles({role})


def test_admin_gets_the_admin_scopes() -> None:
    granted = scopes_for_roles({Role.admin})
    assert {Scope.people_write, Scope.teams_write, Scope.service_accounts,
            Scope.hr_feed_read} <= granted
    assert granted == PERSON_BASE | ROLE_SCOPES[Role.admin]


@pytest.mark.parametrize("role", [Role.case_manager, Role.head_of_department, Role.team_lead])
def test_other_roles_do_not_get_admin_scopes(role) -> None:
    granted = scopes_for_roles({role})
    assert Scope.people_write not in granted
    assert Scope.service_accounts not in granted


def test_a_plain_person_cannot_write_people() -> None:
    assert Scope.people_write not in scopes_for_roles(set())


def test_scopes_for_roles_accepts_sets_and_frozensets_alike() -> None:
    roles = {Role.admin, Role.team_lead}
    assert scopes_for_roles(roles) == scopes_for_roles(frozenset(roles))
    assert isinstance(scopes_for_roles(roles), frozenset)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("people:read absences", {"people:read", "absences"}),
        ("  people:read   absences  ", {"people:read", "absences"}),
        ("people:read\tabsences\n", {"people:read", "absences"}),
        ("hr.feed:read hr.feed:read", {"hr.feed:read"}),
        ("", set()),
        ("   ", set()),
        (None, set()),
    ],
)
def test_parse_scope_string(text, expected) -> None:
    parsed = parse_scope_string(text)
    assert parsed == frozenset(expected)
    assert isinstance(parsed, frozenset)


# --- growth records ---------------------------------------------------------------------------


@pytest.mark.parametrize("record", [Record.objective, Record.evidence])
def test_growth_records_are_read_by_self_management_coach_and_buddy(record) -> None:
    for relation in (Relation.self, Relation.line_manager, Relation.chain, Relation.coach,
                     Relation.buddy):
        authorize(PLAIN, record, Action.read, rel(relation), what="record")
    with pytest.raises(Forbidden, match="line manager"):
        authorize(PLAIN, record, Action.read, rel(Relation.case_manager), what="record")
    with pytest.raises(Forbidden, match="team aggregates only"):
        authorize(PLAIN, record, Action.read, rel(Relation.team_lead), what="record")


@pytest.mark.parametrize("record", [Record.objective, Record.evidence, Record.one_to_one,
                                    Record.coaching, Record.cpd])
def test_admins_do_not_read_peoples_growth_records(record) -> None:
    refusal = NotFound if record in (Record.one_to_one, Record.coaching) else Forbidden
    with pytest.raises(refusal):
        authorize(ADMIN, record, Action.read, NOBODY, what="record")


def test_only_the_line_manager_agrees_and_only_the_owner_completes() -> None:
    none: frozenset[Role] = frozenset()
    authorize_action(rel(Relation.line_manager), none, "agree", OBJECTIVE_ACTIONS)
    authorize_action(rel(Relation.self), none, "complete", OBJECTIVE_ACTIONS)
    for relation in (Relation.self, Relation.chain, Relation.coach):
        with pytest.raises(Forbidden):
            authorize_action(rel(relation), none, "agree", OBJECTIVE_ACTIONS)
    for relation in (Relation.line_manager, Relation.chain):
        with pytest.raises(Forbidden):
            authorize_action(rel(relation), none, "complete", OBJECTIVE_ACTIONS)


def test_objectives_are_written_by_their_owner_only() -> None:
    authorize(PLAIN, Record.objective, Action.write, rel(Relation.self), what="o")
    for relation in (Relation.line_manager, Relation.chain, Relation.coach, Relation.buddy):
        with pytest.raises(Forbidden) as refused:
            authorize(PLAIN, Record.objective, Action.write, rel(relation), what="o")
        assert refused.value.extra["rule"] == OBJECTIVE_OWNER_WRITES
    authorize(PLAIN, Record.objective, Action.comment, rel(Relation.line_manager), what="o")
    with pytest.raises(Forbidden):
        authorize(PLAIN, Record.objective, Action.comment, rel(Relation.chain), what="o")


def test_the_actions_shown_are_exactly_those_allowed() -> None:
    lifecycle = ["agree", "request_changes", "drop"]  # a draft's
    none: frozenset[Role] = frozenset()
    admin = frozenset({Role.admin})
    assert actions_for(rel(Relation.self), none, lifecycle, OBJECTIVE_ACTIONS) == ["drop"]
    assert actions_for(rel(Relation.line_manager), none, lifecycle, OBJECTIVE_ACTIONS) == [
        "agree", "request_changes"]
    assert actions_for(rel(Relation.chain), none, lifecycle, OBJECTIVE_ACTIONS) == []
    assert actions_for(NOBODY, admin, lifecycle, OBJECTIVE_ACTIONS) == ["drop"]
    assert actions_for(rel(Relation.self), none, ["agree", "decline"],
                       INTERVENTION_ACTIONS) == ["agree", "decline"]
    assert actions_for(rel(Relation.line_manager), none, ["agree", "decline"],
                       INTERVENTION_ACTIONS) == []
    for rules, actions in ((OBJECTIVE_ACTIONS, [*lifecycle, "complete", "reopen", "edit"]),
                           (INTERVENTION_ACTIONS, ["agree", "decline", "start", "complete"])):
        for relations in (rel(Relation.self), rel(Relation.line_manager), rel(Relation.chain),
                          NOBODY):
            for roles in (none, admin):
                shown = actions_for(relations, roles, actions, rules)
                for action in actions:
                    if action in shown:
                        authorize_action(relations, roles, action, rules)
                    else:
                        with pytest.raises(Forbidden):
                            authorize_action(relations, roles, action, rules)


def test_evidence_is_written_by_the_person_only() -> None:
    authorize(PLAIN, Record.evidence, Action.write, rel(Relation.self), what="e")
    with pytest.raises(Forbidden):
        authorize(PLAIN, Record.evidence, Action.write, rel(Relation.line_manager), what="e")


def test_one_to_one_notes_are_for_the_two_participants_only() -> None:
    me = Actor(scopes=frozenset(), person_id=5)
    assert one_to_one_participant(me, person_id=5, manager_id=9)
    assert one_to_one_participant(me, person_id=1, manager_id=5)
    assert not one_to_one_participant(me, person_id=1, manager_id=9)
    assert not one_to_one_participant(ADMIN, person_id=1, manager_id=9)


def test_only_the_line_manager_raises_a_concern_and_only_admins_override_line_rules() -> None:
    from app.domain.access import may_override_line_rules, may_raise_concern

    assert may_raise_concern(rel(Relation.line_manager))
    for relation in (Relation.chain, Relation.self, Relation.coach, Relation.team_lead):
        assert not may_raise_concern(rel(relation))
    assert may_override_line_rules(ADMIN)
    assert not may_override_line_rules(PLAIN)

"""Who may line manage whom: the PEOPLE row of the responsibility matrix, plus structure.

Structural rules (self, inactive manager, cycles) can never be overridden. Matrix rules can be
overridden by an admin who records a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.domain.errors import RuleViolation
from app.domain.vocabulary import Band, PersonKind


class LineRule(StrEnum):
    self_managed = "LM-SELF"
    inactive_manager = "LM-ACTIVE"
    cycle = "LM-CYCLE"
    developers = "LM-MATRIX-BAND-6-7"
    seniors = "LM-MATRIX-BAND-8A"
    principals = "LM-MATRIX-BAND-8B"
    contractors = "LM-MATRIX-CONTRACTOR"
    buddy_for_apprentices = "BUDDY-APPRENTICE-ONLY"
    buddy_self = "BUDDY-SELF"
    buddy_inactive = "BUDDY-ACTIVE"
    buddy_band = "BUDDY-BAND-6-7"


OVERRIDABLE = frozenset({LineRule.developers, LineRule.seniors, LineRule.principals,
                         LineRule.contractors, LineRule.buddy_band})

_EXPLANATIONS: dict[LineRule, str] = {
    LineRule.self_managed: "a person cannot be their own line manager",
    LineRule.inactive_manager: "a line manager must be an active person",
    LineRule.cycle: "a line manager cannot be someone the person manages, directly or "
                    "through the chain (that would make a cycle)",
    LineRule.developers: "bands 6 and 7 are line managed by band 8a (Senior Developer: "
                         "Line Management and Recruitment of Band 6/7)",
    LineRule.seniors: "band 8a is line managed by band 8b (Principal Engineer: "
                      "Line Management and Recruitment of Band 8a and Contractors)",
    LineRule.principals: "band 8b is line managed by band 8c (Development & Test Manager: "
                         "Line Management and Recruitment of Band 8b and Contractors)",
    LineRule.contractors: "contractors are line managed by band 8b or 8c",
    LineRule.buddy_for_apprentices: "only apprentices have a buddy",
    LineRule.buddy_self: "a person cannot be their own buddy",
    LineRule.buddy_inactive: "a buddy must be an active person",
    LineRule.buddy_band: "a buddy is a band 6 or 7 developer (Developer: Buddy to Apprentice)",
}


def explain(rule: LineRule) -> str:
    return _EXPLANATIONS[rule]


@dataclass(frozen=True)
class PersonFacts:
    """What the rules need to know about a person."""

    id: int | None  # None for someone not yet created
    kind: PersonKind
    band: Band | None
    active: bool = True


def _required_manager_bands(report: PersonFacts) -> tuple[LineRule, frozenset[Band]] | None:
    if report.kind is PersonKind.contractor:
        return LineRule.contractors, frozenset({Band.b8b, Band.b8c})
    if report.band in (Band.b6, Band.b7):
        return LineRule.developers, frozenset({Band.b8a})
    if report.band is Band.b8a:
        return LineRule.seniors, frozenset({Band.b8b})
    if report.band is Band.b8b:
        return LineRule.principals, frozenset({Band.b8c})
    return None  # band 8c and people outside the banded structure: no matrix rule


def line_manager_violations(report: PersonFacts, manager: PersonFacts,
                            managers_chain: list[int]) -> list[LineRule]:
    """Return every rule that making `manager` the line manager of `report` would break.

    `managers_chain` is the ids above the proposed manager, nearest first.
    """
    broken: list[LineRule] = []
    if report.id is not None and manager.id == report.id:
        return [LineRule.self_managed]
    if not manager.active:
        broken.append(LineRule.inactive_manager)
    if report.id is not None and report.id in managers_chain:
        broken.append(LineRule.cycle)
    required = _required_manager_bands(report)
    if required is not None:
        rule, bands = required
        if manager.band not in bands:
            broken.append(rule)
    return broken


def buddy_violations(person: PersonFacts, buddy: PersonFacts) -> list[LineRule]:
    """Return every rule that making `buddy` the buddy of `person` would break."""
    broken: list[LineRule] = []
    if person.kind is not PersonKind.apprentice:
        broken.append(LineRule.buddy_for_apprentices)
    if person.id is not None and buddy.id == person.id:
        broken.append(LineRule.buddy_self)
    if not buddy.active:
        broken.append(LineRule.buddy_inactive)
    if buddy.band not in (Band.b6, Band.b7):
        broken.append(LineRule.buddy_band)
    return broken


def enforce(broken: list[LineRule], *, override_reason: str | None, may_override: bool,
            field: str) -> bool:
    """Raise for broken rules unless every one may be, and is, overridden.

    Returns True when an override was used (so the caller records it).
    """
    if not broken:
        return False
    structural = [r for r in broken if r not in OVERRIDABLE]
    overridable_only = not structural
    if overridable_only and override_reason and may_override:
        return True
    rule = (structural or broken)[0]
    detail = f"{field}: {explain(rule)} (rule {rule.value})."
    if overridable_only and not override_reason:
        detail += " An admin may override this rule by sending `override_reason`."
    elif overridable_only and not may_override:
        detail += " Only an admin may override this rule."
    raise RuleViolation(detail=detail, rule=rule.value,
                        extra={"rules": [r.value for r in broken], "field": field})

"""Checklists (policy: "Checklists"; SPEC section 6): which apply to whom, their periods, and
the rules by which an item ticks itself.

Pure: no database. The service gathers facts (with a fixed number of queries) and the rules
here decide, from those facts alone, whether an item is done and the figure behind it. Because
the answer is worked out from the data each time, an item unticks itself when the data goes
(evidence deleted, an objective sent back to draft).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Protocol, TypeVar

from app.domain import periods
from app.domain.quarters import EXPECTED_TWENTY_PERCENT_OBJECTIVES, MAX_YEAR, MIN_YEAR
from app.domain.vocabulary import (UNAGREED_OBJECTIVE_STATUSES, ObjectiveStatus, PersonKind,
                                   Role)


class Situation(StrEnum):
    weekly_developer = "weekly-developer"
    weekly_line_manager = "weekly-line-manager"
    quarter_start_senior = "quarter-start-senior"
    monthly_principal = "monthly-principal"
    monthly_head_of_department = "monthly-head-of-department"
    new_starter = "new-starter"
    apprentice_buddy = "apprentice-buddy"


class ChecklistPeriodType(StrEnum):
    week = "week"
    month = "month"
    quarter = "quarter"
    once = "once"


DEVELOPER_BANDS = frozenset({"6", "7", "8a", "8b"})
NEW_STARTER_DAYS = 30
SUPPORT_RESPONSE_DAYS = 7
WEEKLY_TRAINING_HOURS = Decimal(2)
ONCE_KEY = "once"


# --- who gets which checklist ------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """What applicability and the profile rule need to know about a person."""

    id: int
    band: str | None
    roles: frozenset[str]
    kind: str
    created_on: date
    jira_account_id: str | None = None
    github_login: str | None = None


def applicable_situations(subject: Subject, *, has_reports: bool, buddies_apprentice: bool,
                          today: date) -> list[Situation]:
    """The situations a person is in, in the order their checklists are shown."""
    found: list[Situation] = []
    if subject.band in DEVELOPER_BANDS:
        found.append(Situation.weekly_developer)
    if has_reports:
        found.append(Situation.weekly_line_manager)
    if subject.band == "8a" and has_reports:
        found.append(Situation.quarter_start_senior)
    if subject.band == "8b":
        found.append(Situation.monthly_principal)
    if Role.head_of_department.value in subject.roles:
        found.append(Situation.monthly_head_of_department)
    if (today - subject.created_on).days < NEW_STARTER_DAYS:
        found.append(Situation.new_starter)
    if buddies_apprentice:
        found.append(Situation.apprentice_buddy)
    return found


def is_apprentice(kind: str) -> bool:
    return kind == PersonKind.apprentice.value


# --- periods -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistPeriod:
    type: ChecklistPeriodType
    key: str
    start: date
    end: date  # inclusive


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def month(key: str) -> ChecklistPeriod:
    match = _MONTH.match(key)
    if match is None or not 1 <= int(match[2]) <= 12:
        raise ValueError(f"{key!r} is not a month: write it as YYYY-MM (e.g. 2026-11)")
    year, number = int(match[1]), int(match[2])
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"{key!r} is not a month GPS can hold: the year must be between "
                         f"{MIN_YEAR} and {MAX_YEAR}")
    start = date(year, number, 1)
    following = date(year + number // 12, number % 12 + 1, 1)
    return ChecklistPeriod(ChecklistPeriodType.month, key, start, following - timedelta(days=1))


def month_containing(day: date) -> ChecklistPeriod:
    return month(f"{day.year:04d}-{day.month:02d}")


def period_type_of_key(key: str) -> ChecklistPeriodType:
    """Tell a period's type from its key (2026-W48, 2026-11, 2026-Q4, once), checking the
    key names a real period (ValueError saying what is wrong otherwise)."""
    if key == ONCE_KEY:
        return ChecklistPeriodType.once
    if "-W" in key:
        periods.week(key)  # raises ValueError saying what is wrong
        return ChecklistPeriodType.week
    if "-Q" in key:
        periods.quarter(key)
        return ChecklistPeriodType.quarter
    if _MONTH.match(key):
        month(key)
        return ChecklistPeriodType.month
    raise ValueError(f"{key!r} is not a period key: write a week as 2026-W48, a month as "
                     "2026-11, a quarter as 2026-Q4")


def resolve_period(period_type: ChecklistPeriodType, key: str | None, *, today: date,
                   joined_on: date) -> ChecklistPeriod:
    """The period a key names (the current one when there is no key). Raises ValueError
    saying what a key of that type looks like."""
    if period_type is ChecklistPeriodType.once:
        if key not in (None, ONCE_KEY):
            raise ValueError(f"{key!r}: a one-off checklist's period key is {ONCE_KEY!r}")
        return ChecklistPeriod(period_type, ONCE_KEY, joined_on, max(today, joined_on))
    if period_type is ChecklistPeriodType.month:
        return month(key) if key is not None else month_containing(today)
    found = ((periods.week(key) if key is not None else periods.week_containing(today))
             if period_type is ChecklistPeriodType.week else
             (periods.quarter(key) if key is not None else periods.quarter_containing(today)))
    return ChecklistPeriod(period_type, found.key, found.start, found.end)


class Versioned(Protocol):
    version: int
    effective_from: date


V = TypeVar("V", bound=Versioned)


def in_force(versions: Sequence[V], start: date) -> V | None:
    """The version in force for a period: the latest version effective on its first day."""
    candidates = [v for v in versions if v.effective_from <= start]
    return max(candidates, key=lambda v: v.version) if candidates else None


def quarters_overlapping(period: ChecklistPeriod) -> list[str]:
    return [p.key for p in periods.quarters_between(period.start, period.end)]


# --- facts and auto-tick rules -----------------------------------------------------------


class Fact(StrEnum):
    """What a rule needs gathered (the service runs one query per fact, however many people)."""

    reports = "reports"
    apprentices = "apprentices"
    seniors = "seniors"  # reports who manage people, with their own reports
    accomplishments = "accomplishments"
    training_hours = "training_hours"
    one_to_ones = "one_to_ones"
    check_ins = "check_ins"
    objectives = "objectives"
    proposals = "proposals"
    digest_views = "digest_views"


@dataclass(frozen=True)
class ObjectiveFact:
    status: str
    twenty_percent_time: bool


@dataclass(frozen=True)
class Facts:
    """Everything the rules may look at, for one person and one period. Mappings are keyed by
    person id and cover the subject, their reports, apprentices and seniors' reports."""

    subject: Subject
    period: ChecklistPeriod
    as_of: date  # today, or the period's last day if it is over
    reports: tuple[int, ...] = ()
    apprentices: tuple[int, ...] = ()
    seniors: Mapping[int, tuple[int, ...]] = field(default_factory=dict)
    accomplishments: Mapping[int, int] = field(default_factory=dict)  # in the period
    training_hours: Mapping[int, Decimal] = field(default_factory=dict)  # in the period
    one_to_ones: Mapping[int, tuple[date, ...]] = field(default_factory=dict)  # held, in period
    check_ins: Mapping[int, int] = field(default_factory=dict)  # on own 20%-time objectives
    objectives: Mapping[int, tuple[ObjectiveFact, ...]] = field(default_factory=dict)
    proposals: Mapping[int, tuple[date, ...]] = field(default_factory=dict)  # still proposed
    digest_views: Mapping[int, int] = field(default_factory=dict)  # in the period


@dataclass(frozen=True)
class AutoResult:
    done: bool
    figure: str


@dataclass(frozen=True)
class Rule:
    name: str
    needs: frozenset[Fact]
    check: Callable[[Facts], AutoResult]


def _plural(n: int | Decimal, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _every(people: tuple[int, ...], ok: Callable[[int], bool], noun: str,
           nouns: str | None = None) -> AutoResult:
    met = sum(1 for p in people if ok(p))
    if not people:
        return AutoResult(True, f"No {nouns or noun + 's'} to check")
    return AutoResult(met == len(people), f"{met} of {_plural(len(people), noun, nouns)}")


def _hours(value: Decimal) -> str:
    text = f"{value.normalize():f}" if value else "0"
    return f"{text} hour" if value == 1 else f"{text} hours"


def accomplishment_logged(f: Facts) -> AutoResult:
    n = f.accomplishments.get(f.subject.id, 0)
    return AutoResult(n > 0, f"{_plural(n, 'accomplishment')} logged")


def training_hours(f: Facts) -> AutoResult:
    hours = f.training_hours.get(f.subject.id, Decimal(0))
    return AutoResult(hours >= WEEKLY_TRAINING_HOURS,
                      f"{_hours(hours)} of {_hours(WEEKLY_TRAINING_HOURS)} recorded")


def one_to_one_held(f: Facts) -> AutoResult:
    n = len(f.one_to_ones.get(f.subject.id, ()))
    return AutoResult(n > 0, f"{_plural(n, 'one-to-one')} held")


def objective_check_in(f: Facts) -> AutoResult:
    n = f.check_ins.get(f.subject.id, 0)
    return AutoResult(n > 0, f"{_plural(n, 'check-in')} on your 20%-time objectives")


def reports_one_to_ones(f: Facts) -> AutoResult:
    return _every(f.reports, lambda p: bool(f.one_to_ones.get(p)), "report")


def reports_accomplishments(f: Facts) -> AutoResult:
    return _every(f.reports, lambda p: f.accomplishments.get(p, 0) > 0, "report")


def _overdue(f: Facts, person_id: int) -> int:
    return sum(1 for proposed_on in f.proposals.get(person_id, ())
               if (f.as_of - proposed_on).days > SUPPORT_RESPONSE_DAYS)


def support_responded(f: Facts) -> AutoResult:
    waiting = sum(_overdue(f, p) for p in f.reports)
    if waiting == 0:
        return AutoResult(True, f"No proposed support waiting more than "
                                f"{SUPPORT_RESPONSE_DAYS} days")
    return AutoResult(False, f"{_plural(waiting, 'proposal')} of support waiting more than "
                             f"{SUPPORT_RESPONSE_DAYS} days")


def _twenty_percent(f: Facts, person_id: int) -> list[ObjectiveFact]:
    return [o for o in f.objectives.get(person_id, ())
            if o.twenty_percent_time and o.status != ObjectiveStatus.dropped.value]


def _agreed(objectives: list[ObjectiveFact]) -> bool:
    settled = {ObjectiveStatus.agreed.value, ObjectiveStatus.completed.value}
    return bool(objectives) and all(o.status in settled for o in objectives)


def reports_objectives_drafted(f: Facts) -> AutoResult:
    return _every(f.reports, lambda p: len(_twenty_percent(f, p))
                  >= EXPECTED_TWENTY_PERCENT_OBJECTIVES, "report")


def reports_objectives_agreed(f: Facts) -> AutoResult:
    return _every(f.reports, lambda p: _agreed(_twenty_percent(f, p)), "report")


def own_objectives_agreed(f: Facts) -> AutoResult:
    own = _twenty_percent(f, f.subject.id)
    settled = sum(1 for o in own if o.status not in UNAGREED_OBJECTIVE_STATUSES)
    return AutoResult(_agreed(own), f"{settled} of {_plural(len(own), 'objective')} agreed")


def _seniors_reports(f: Facts) -> tuple[int, ...]:
    return tuple(p for senior in sorted(f.seniors) for p in f.seniors[senior])


def seniors_reports_objectives_agreed(f: Facts) -> AutoResult:
    return _every(_seniors_reports(f), lambda p: _agreed(_twenty_percent(f, p)), "person",
                  "people")


def weeks_so_far(period: ChecklistPeriod, as_of: date) -> list[periods.Period]:
    """The weeks that start in the period, up to `as_of`."""
    return [w for w in periods.weeks_between(period.start, min(period.end, as_of))
            if w.start >= period.start]


def seniors_one_to_ones_weekly(f: Facts) -> AutoResult:
    weeks = weeks_so_far(f.period, f.as_of)
    people = _seniors_reports(f)
    if not weeks:
        return AutoResult(False, "No week of this period has started yet")
    if not people:
        return AutoResult(True, "No senior developers' reports to check")
    held = sum(1 for p in people for w in weeks
               if any(w.contains(d) for d in f.one_to_ones.get(p, ())))
    return AutoResult(held == len(people) * len(weeks),
                      f"{held} of {len(people) * len(weeks)} weekly one-to-ones held "
                      f"({_plural(len(people), 'person', 'people')}, "
                      f"{_plural(len(weeks), 'week')})")


def digest_viewed(f: Facts) -> AutoResult:
    n = f.digest_views.get(f.subject.id, 0)
    return AutoResult(n > 0, "Viewed" if n else "Not viewed yet")


def profile_complete(f: Facts) -> AutoResult:
    missing = [label for label, value in (("Jira account id", f.subject.jira_account_id),
                                          ("GitHub login", f.subject.github_login)) if not value]
    return AutoResult(not missing, "Both recorded" if not missing
                      else "Still to add: " + " and ".join(missing))


def first_objectives_drafted(f: Facts) -> AutoResult:
    n = sum(1 for o in f.objectives.get(f.subject.id, ())
            if o.status != ObjectiveStatus.dropped.value)
    return AutoResult(n > 0, f"{_plural(n, 'objective')} drafted")


def first_one_to_one_held(f: Facts) -> AutoResult:
    n = len(f.one_to_ones.get(f.subject.id, ()))
    return AutoResult(n > 0, f"{_plural(n, 'one-to-one')} held")


def apprentice_accomplishments(f: Facts) -> AutoResult:
    return _every(f.apprentices, lambda p: f.accomplishments.get(p, 0) > 0, "apprentice")


def _rule(check: Callable[[Facts], AutoResult], *needs: Fact) -> Rule:
    return Rule(check.__name__, frozenset(needs), check)


RULES: dict[str, Rule] = {r.name: r for r in (
    _rule(accomplishment_logged, Fact.accomplishments),
    _rule(training_hours, Fact.training_hours),
    _rule(one_to_one_held, Fact.one_to_ones),
    _rule(objective_check_in, Fact.check_ins),
    _rule(reports_one_to_ones, Fact.reports, Fact.one_to_ones),
    _rule(reports_accomplishments, Fact.reports, Fact.accomplishments),
    _rule(support_responded, Fact.reports, Fact.proposals),
    _rule(reports_objectives_drafted, Fact.reports, Fact.objectives),
    _rule(reports_objectives_agreed, Fact.reports, Fact.objectives),
    _rule(own_objectives_agreed, Fact.objectives),
    _rule(seniors_reports_objectives_agreed, Fact.seniors, Fact.objectives),
    _rule(seniors_one_to_ones_weekly, Fact.seniors, Fact.one_to_ones),
    _rule(digest_viewed, Fact.digest_views),
    _rule(profile_complete),
    _rule(first_objectives_drafted, Fact.objectives),
    _rule(first_one_to_one_held, Fact.one_to_ones),
    _rule(apprentice_accomplishments, Fact.apprentices, Fact.accomplishments),
)}


def needs_of(rule_names: list[str]) -> frozenset[Fact]:
    return frozenset().union(*(RULES[name].needs for name in rule_names if name in RULES))


def evaluate(rule_name: str, facts: Facts) -> AutoResult:
    return RULES[rule_name].check(facts)


# --- items -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemState:
    key: str
    text: str
    rule: str | None
    done: bool
    source: str  # "auto" (worked out from the data) or "hand" (ticked by the person)
    figure: str | None


def item_state(item: Mapping[str, object], facts: Facts,
               hand_ticks: Mapping[str, bool]) -> ItemState:
    """An auto item is what the data says (a hand tick never overrides it); a manual item is
    what the person last ticked, not done until they do."""
    key, text, rule = str(item["key"]), str(item["text"]), item.get("auto")
    if isinstance(rule, str) and rule in RULES:
        result = evaluate(rule, facts)
        return ItemState(key, text, rule, result.done, "auto", result.figure)
    return ItemState(key, text, None, hand_ticks.get(key, False), "hand", None)


def unknown_rules(items: Sequence[Mapping[str, object]]) -> list[str]:
    return [str(i["auto"]) for i in items if i.get("auto") is not None and i["auto"] not in RULES]

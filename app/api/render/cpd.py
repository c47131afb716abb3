"""The CPD record as Markdown: a document to read when preparing for promotion, and to share.

`app.services.growth.cpd` builds the record; this writes it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from app.api.render.markdown import day as _day, text as _text
from app.domain.evidence import KINDS as EVIDENCE_KINDS
from app.domain.vocabulary import EvidenceKind
from app.services.growth.cpd import CpdRecord, EvidenceEntry, ObjectiveEntry, iso_week

# The kinds without a section of their own, under the domain's labels.
_OTHER_KINDS = tuple((kind, rules.label) for kind, rules in EVIDENCE_KINDS.items()
                     if kind not in (EvidenceKind.training, EvidenceKind.qualification,
                                     EvidenceKind.accomplishment))


def _hours(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01")).normalize(), "f")


def _count(n: int, singular: str, plural: str | None = None) -> str:
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


def cpd_markdown(record: CpdRecord) -> str:
    """The record as a document to read when preparing for promotion."""
    p = record.person
    lines = [f"# CPD record: {_text(p.name)}", ""]
    who = f"{record.band_title} (band {p.band})" if p.band else "Not in a banded role"
    lines += [f"{_day(record.start)} to {_day(record.end)} · {who}", ""]
    lines += [_summary(record), ""]
    lines += _objectives_section(record)
    lines += _training_section(record)
    lines += _qualifications_section(record)
    lines += _accomplishments_section(record)
    lines += _coaching_section(record)
    lines += _recognitions_section(record)
    lines += _other_section(record)
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + "\n"


def _summary(record: CpdRecord) -> str:
    t = record.totals
    twenty = (f" ({t.twenty_percent_objectives_completed} of them in 20% time)"
              if t.objectives_completed else "")
    clauses = [f"completed {_count(t.objectives_completed, 'objective')}{twenty}",
               f"logged {_count(t.accomplishments_logged, 'accomplishment')} across "
               f"{_count(t.weeks_with_accomplishments, 'week')}",
               f"documented {_hours(t.training_hours)} hours of training",
               f"recorded {_count(t.qualifications, 'qualification')}",
               f"attended {_count(t.coaching_sessions_held, 'coaching session')}"]
    if t.coaching_sessions_given:
        clauses.append(f"gave {_count(t.coaching_sessions_given, 'coaching session')} as a "
                       f"coach ({_hours(t.coaching_hours_given)} hours)")
    return (f"In this period {_text(record.person.name)} " + ", ".join(clauses[:-1])
            + " and " + clauses[-1] + ".")


def _objectives_section(record: CpdRecord) -> list[str]:
    p = record.person
    lines = ["## Objectives", ""]
    if not record.objectives:
        return lines + ["No objectives in this period.", ""]
    by_quarter: dict[str, list[ObjectiveEntry]] = defaultdict(list)
    for o in record.objectives:
        by_quarter[o.quarter].append(o)
    for quarter, objectives in by_quarter.items():
        lines += [f"### {quarter}", ""]
        for o in objectives:
            facts = [o.status]
            if o.completed_at is not None:
                facts[0] = f"completed on {_day(o.completed_at.date())}"
            if o.twenty_percent_time:
                facts.append("20% time")
            if o.quality_dashboard_outcome:
                facts.append(f"quality dashboard outcome: {_text(o.quality_dashboard_outcome)}")
            lines.append(f"- **{_text(o.title)}** — {'; '.join(facts)}")
            if o.completion_note:
                lines.append(f"  - Completion note: {_text(o.completion_note)}")
            for c in o.check_ins:
                progress = f" ({c.progress}%)" if c.progress is not None else ""
                by = "you" if c.author_id == p.id else _text(c.author_name)
                lines.append(f"  - Check-in {c.on.isoformat()}{progress} by {by}: "
                             f"{_text(c.note)}")
        lines.append("")
    return lines


def _training_section(record: CpdRecord) -> list[str]:
    lines = ["## Training", ""]
    training = record.evidence_of(EvidenceKind.training)
    if not training:
        return lines + ["No training recorded in this period.", ""]
    lines += ["| Date | Topic | Hours |", "| --- | --- | ---: |"]
    for e in training:
        topic = _text(e.topic) + " — " + _text(e.title) if e.topic else _text(e.title)
        lines.append(f"| {e.occurred_on.isoformat()} | {topic} | "
                     f"{_hours(e.hours) if e.hours is not None else '—'} |")
    lines += [f"| **Total** | | **{_hours(record.totals.training_hours)}** |", ""]
    return lines


def _qualifications_section(record: CpdRecord) -> list[str]:
    lines = ["## Qualifications", ""]
    found = record.evidence_of(EvidenceKind.qualification)
    if not found:
        return lines + ["No qualifications recorded in this period.", ""]
    for e in found:
        topic = f" ({_text(e.topic)})" if e.topic else ""
        lines.append(f"- {e.occurred_on.isoformat()} — {_text(e.title)}{topic}")
    return lines + [""]


def _accomplishments_section(record: CpdRecord) -> list[str]:
    lines = ["## Accomplishments", ""]
    found = record.evidence_of(EvidenceKind.accomplishment)
    if not found:
        return lines + ["No accomplishments logged in this period.", ""]
    by_week: dict[str, list[EvidenceEntry]] = defaultdict(list)
    for e in found:
        by_week[iso_week(e.occurred_on)].append(e)
    for week, entries in by_week.items():
        monday = date.fromisocalendar(int(week[:4]), int(week[-2:]), 1)
        lines += [f"### {week} (week of {_day(monday)})", ""]
        lines += [f"- {e.occurred_on.isoformat()} — {_text(e.title)}" for e in entries]
        lines.append("")
    return lines


def _coaching_section(record: CpdRecord) -> list[str]:
    lines = ["## Coaching", ""]
    if not (record.enrolments or record.sessions_held or record.sessions_given):
        return lines + ["No coaching in this period.", ""]
    if record.enrolments or record.sessions_held:
        lines += ["### As coachee", ""]
        for e in record.enrolments:
            state = "" if e.active else " (withdrawn)"
            lines.append(f"- {_text(e.programme_name)}, coached by {_text(e.coach_name)}: "
                         f"{e.sessions_held} of {e.sessions_planned} sessions held{state}")
        if record.enrolments:
            lines.append("")
        if record.sessions_held:
            lines += ["Sessions held in this period:", ""]
            for s in record.sessions_held:
                topics = f": {', '.join(_text(t) for t in s.topics)}" if s.topics else ""
                lines.append(f"- {s.held_on.date().isoformat()} — {_text(s.programme_name)} "
                             f"({s.minutes} minutes){topics}")
            lines.append("")
        else:
            lines += ["No sessions held in this period.", ""]
    if record.sessions_given:
        t = record.totals
        lines += ["### As coach", "",
                  f"{_count(t.coaching_sessions_given, 'session')} given "
                  f"({_hours(t.coaching_hours_given)} hours).", ""]
        for s in record.sessions_given:
            lines.append(f"- {s.held_on.date().isoformat()} — {_text(s.programme_name)} "
                         f"({s.minutes} minutes)")
        lines.append("")
    return lines


def _recognitions_section(record: CpdRecord) -> list[str]:
    lines = ["## Recognitions", ""]
    if not record.recognitions:
        return lines + ["No recognitions in this period.", ""]
    lines += [f"- {r.recognised_on.isoformat()} — {_text(r.summary)}" for r in record.recognitions]
    return lines + [""]


def _other_section(record: CpdRecord) -> list[str]:
    lines = ["## Other evidence", ""]
    groups = [(label, record.evidence_of(kind)) for kind, label in _OTHER_KINDS]
    groups = [(label, entries) for label, entries in groups if entries]
    if not groups:
        return lines + ["No other evidence in this period.", ""]
    for label, entries in groups:
        lines += [f"### {label} ({len(entries)})", ""]
        lines += [f"- {e.occurred_on.isoformat()} — {_text(e.title)}" for e in entries]
        lines.append("")
    return lines

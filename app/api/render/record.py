"""Everything about me as Markdown: all GPS holds about the caller, to read and keep.

`app.services.identity.record` builds the record; this writes it.
"""

from __future__ import annotations

from datetime import datetime

from app.api.render.markdown import day as _day, text as _text
from app.services.identity.record import MyRecord, Named


def _when(value: datetime) -> str:
    return f"{_day(value.date())} {value.strftime('%H:%M')} UTC"


def _who(n: Named) -> str:
    return f"{_text(n.name)} ({_text(n.email)})" if n.email else _text(n.name)


def _section(title: str, lines: list[str], empty: str) -> list[str]:
    return [f"## {title}", ""] + (lines or [empty]) + [""]


def record_markdown(r: MyRecord) -> str:
    """The caller's whole record, section by section."""
    p = r.person
    me = p.id
    out = [f"# Everything GPS holds about {_text(p.name)}", "",
           "This is your whole record: what a UK GDPR subject access request returns.", ""]
    profile = [f"- E-mail: {_text(p.email)}", f"- Kind: {p.kind}",
               f"- Band: {p.band or 'none'}",
               f"- Line manager: {_who(r.line_manager) if r.line_manager else 'none'}",
               f"- Started on {_day(p.started_on)}"
               + (f", left on {_day(p.left_on)}" if p.left_on else ""),
               f"- Roles: {', '.join(p.roles) if p.roles else 'none'}",
               f"- HR number: {_text(p.employee_number or 'none')}; Jira account: "
               f"{_text(p.jira_account_id or 'none')}; GitHub: {_text(p.github_login or 'none')}",
               f"- Left out of public praise: {'yes' if p.praise_opt_out else 'no'}"]
    out += _section("Profile", profile, "")
    out += _section("Band history", [
        f"- {_day(b.started_on)} to {_day(b.ended_on) if b.ended_on else 'now'}: "
        f"band {b.band or 'none'} ({b.kind})" for b in r.band_periods], "No band history.")
    out += _section("Line managers", [
        f"- {_day(s.started_at.date())} to "
        f"{_day(s.ended_at.date()) if s.ended_at else 'now'}: {_who(n)}"
        + (f" (rule overridden: {_text(s.override_reason)})" if s.override_reason else "")
        for s, n in r.line_management], "No line-management history.")
    out += _section("Teams", [
        f"- {_text(m.team_name)}: {_day(m.membership.started_on)} to "
        f"{_day(m.membership.ended_on) if m.membership.ended_on else 'now'}"
        for m in r.teams], "No team memberships.")
    out += _section("Absences", [
        f"- {_day(a.start_date)} to {_day(a.end_date)}: {a.kind}"
        + (f" ({_text(a.note)})" if a.note else "") for a in r.absences], "No absences.")
    objectives: list[str] = []
    for o in r.objectives:
        objectives.append(f"- {o.quarter} **{_text(o.title)}** — {o.status}")
        for c in r.check_ins.get(o.id or 0, []):
            by = "you" if c.check_in.author_id == me else _text(c.author_name)
            progress = f" ({c.check_in.progress}%)" if c.check_in.progress is not None else ""
            objectives.append(f"  - Check-in {c.check_in.on.isoformat()}{progress} by {by}: "
                              f"{_text(c.check_in.note)}")
    out += _section("Objectives", objectives, "No objectives.")
    out += _section("Evidence", [
        f"- {e.occurred_on.isoformat()} — {e.kind}: {_text(e.title)}"
        + (" (retracted)" if e.retracted_at else "") for e in r.evidence], "No evidence.")
    out += _section("One-to-ones", [
        f"- {o.on.isoformat()} with {_text(n.name)}: {o.status}"
        + (f" — {_text(o.notes)}" if o.notes else "") for o, n in r.one_to_ones],
        "No one-to-ones.")
    out += _section("Target results", [
        f"- {t.period_key} {t.metric}: {t.outcome} ({t.measured} of {t.threshold})"
        for t in r.target_results], "No target results.")
    out += _section("Triggers", [
        f"- {t.fired_at.date().isoformat()} ({t.direction}): {_text(t.summary)}"
        + (f" — withdrawn: {_text(t.withdrawn_reason or '')}" if t.withdrawn_at else "")
        for t in r.triggers], "No triggers.")
    out += _section("Support", [
        f"- {i.created_at.date().isoformat()} {i.kind}: {i.status} — {_text(i.summary)}"
        + (" (you asked for it" + (", shared)" if i.shared else ", private to you and your "
                                   "line manager)") if i.requested_by_id == me else "")
        for i in r.support], "No support recorded.")
    out += _section("Recognitions", [
        f"- {i.completed_at.date().isoformat() if i.completed_at else '—'}: {_text(i.summary)}"
        + (" (withdrawn)" if i.status == "withdrawn" else "") for i in r.recognitions],
        "No recognitions.")
    coaching = [f"- {_text(e.programme.name)}: "
                + (f"coached by {_text(n.name)}" if e.enrolment.coachee_id == me
                   else f"coaching {_text(n.name)}")
                + ("" if e.enrolment.active else " (withdrawn)") for e, n in r.enrolments]
    coaching += [f"- Session {_when(s.session.scheduled_for)} with {_text(n.name)}: "
                 f"{s.session.status}"
                 + (f" — {', '.join(_text(t) for t in s.session.topics)}"
                    if s.session.topics else "") for s, n in r.sessions]
    out += _section("Coaching", coaching, "No coaching.")
    out += _section("Concerns raised about you", [
        f"- {_day(c.raised_at.date())}: {_text(c.summary)} — {c.status.replace('_', ' ')}"
        + (f" (case {c.case_id})" if c.case_id else "") for c in r.concerns],
        "No concerns have been raised about you.")
    cases: list[str] = []
    for entry in r.cases:
        f = entry.case
        cases.append(f"- Case {f.id} ({f.kind}), opened {_day(f.opened_at.date())}: {f.status}")
        if f.consent_at:
            cases.append(f"  - You consented on {_when(f.consent_at)}")
        if f.outcome:
            cases.append(f"  - Outcome: {_text(f.outcome)}")
        if entry.case_managers:
            cases.append("  - Contact: " + "; ".join(_who(n) for n in entry.case_managers))
        cases += [f"  - Note {_day(n.created_at.date())}: {_text(n.body)}"
                  for n in entry.shared_notes]
        if entry.internal_notes:
            cases.append(f"  - Its case managers keep {entry.internal_notes} internal "
                         f"note{'s' if entry.internal_notes != 1 else ''}, not shown here")
    out += _section("Formal cases about you", cases, "No formal cases are about you.")
    out += _section("Who read or worked on your cases", [
        f"- {_when(a.at)}: {_text(a.who.name) if a.who else a.actor}, {a.action} "
        f"(case {a.case_id})" for a in r.case_audit], "Nobody.")
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"

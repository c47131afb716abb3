"""The recognition digest as Markdown: a few paragraphs of good news, team by team, ready to
paste into the head of department's update.

`app.services.oversight.digest` gathers the recognitions; this writes them.
"""

from __future__ import annotations

from datetime import date

# One way to write dates and to escape recorded text in Markdown, the CPD record's too.
from app.api.render.markdown import MONTHS as _MONTHS, day as _day, text as _text
from app.services.oversight.digest import (ACROSS_THE_DEPARTMENT, Digest, Recognition,
                                           TeamRecognitions)

_SENTENCE = 3  # people per sentence, so a busy team still reads easily


def range_words(start: date, end: date) -> str:
    """'1–30 November 2026', '3 October – 1 November 2026', or each day in full."""
    if start == end:
        return _day(start)
    if start.year == end.year and start.month == end.month:
        return f"{start.day}–{end.day} {_MONTHS[end.month - 1]} {end.year}"
    if start.year == end.year:
        return f"{start.day} {_MONTHS[start.month - 1]} – {_day(end)}"
    return f"{_day(start)} – {_day(end)}"


def _deed(r: Recognition) -> str:
    """What the person did, to follow their name: a trigger's summary says it that way (e.g.
    "completed the objective “…”"); a line manager's own words are quoted unless they do too."""
    name, summary = _text(r.name), _text(r.summary).rstrip(".")
    if summary.casefold().startswith(name.casefold() + " "):
        return summary[len(name) + 1:]
    if r.rule is not None or summary[:1].islower():
        return summary
    return f"was recognised for “{summary}”"


def _and(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" and {items[-1]}"


def _listed(clauses: list[str]) -> str:
    """'A', 'A, and B', 'A, B, and C': the serial comma keeps each person's clause apart."""
    return clauses[0] if len(clauses) == 1 else ", ".join(clauses[:-1]) + f", and {clauses[-1]}"


def _paragraph(team: TeamRecognitions) -> str:
    # One clause per person, in the order of their first recognition: "Ada completed … and
    # shipped …", never the same name twice in a row.
    deeds: dict[int, tuple[str, list[str]]] = {}
    for r in team.recognitions:
        deeds.setdefault(r.person_id, (_text(r.name), []))[1].append(_deed(r))
    clauses = [f"{name} {_and(done)}" for name, done in deeds.values()]
    chunks = [clauses[i:i + _SENTENCE] for i in range(0, len(clauses), _SENTENCE)]
    opening = (ACROSS_THE_DEPARTMENT if team.team_id is None
               else f"In **{_text(team.team_name)}**")
    sentences = [f"{opening}, {_listed(chunks[0])}."]
    sentences += [f"{_listed(chunk)}." for chunk in chunks[1:]]
    return " ".join(sentences)


def digest_markdown(digest: Digest) -> str:
    """The digest as a few paragraphs of good news, ready to paste into an update."""
    lines = [f"## Recognition, {range_words(digest.start, digest.end)}", ""]
    if not digest.teams:
        lines.append("No recognitions to share for this period yet. Completed objectives, new "
                     "qualifications and streaks of shipping to production will appear here as "
                     "they happen.")
    for team in digest.teams:
        lines += [_paragraph(team), ""]
    while lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + "\n"

"""iCalendar (RFC 5545): the calendar's events written as a feed for Outlook or Google
Calendar.

`app.services.oversight.calendar` finds the events; this writes them.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from app.services.oversight.calendar import Event

PRODID = "-//GPS//Grow Perform Succeed//EN"
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and newlines escaped; other
    control characters dropped."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
             .replace("\n", "\\n"))
    return _CONTROL.sub("", value)


def _fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 3.1), never inside a UTF-8 character."""
    if len(line.encode("utf-8")) <= 75:
        return line
    parts: list[str] = []
    current: list[str] = []
    size, limit = 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append("".join(current))
            current, size, limit = [], 0, 74  # a continuation line starts with a space
        current.append(char)
        size += width
    parts.append("".join(current))
    return "\r\n ".join(parts)


def _when(name: str, value: date | datetime) -> str:
    if isinstance(value, datetime):
        return f"{name}:{value.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}"
    return f"{name};VALUE=DATE:{value.strftime('%Y%m%d')}"


def to_ical(events: list[Event], *, name: str, stamp: datetime) -> str:
    stamp_text = stamp.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{_text(name)}",
             "X-WR-CALDESC:Grow Perform Succeed: the programme's key dates and your meetings",
             "REFRESH-INTERVAL;VALUE=DURATION:PT6H", "X-PUBLISHED-TTL:PT6H"]
    for event in events:
        lines += ["BEGIN:VEVENT", f"UID:{event.uid}", f"DTSTAMP:{stamp_text}",
                  _when("DTSTART", event.start), _when("DTEND", event.end),
                  f"SUMMARY:{_text(event.title)}", f"DESCRIPTION:{_text(event.description)}",
                  f"CATEGORIES:{_text(event.kind.value)}"]
        if event.all_day:
            lines.append("TRANSP:TRANSPARENT")  # key dates do not make anyone look busy
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)

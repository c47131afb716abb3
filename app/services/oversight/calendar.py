"""The programme's calendar: key dates for everyone, plus a person's own meetings, as events;
the edge writes them as JSON, or as an RFC 5545 iCalendar feed behind a secret link
(`app/api/render/ical.py`).

Calendar apps cannot send bearer tokens, so the feed is reached with a secret in the link's
query string (GPS's access log writes paths without query strings). Only the SHA-256 of the
secret is stored; it is shown once, when made or rotated.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy import or_
from sqlmodel import Session, col, select

from app.db.growth import CoachingEnrolment, CoachingProgramme, CoachingSession, OneToOne
from app.db.models import Person, id_column
from app.db.oversight import CalendarLink, PolicyConsultation
from app.db.support import PolicyVersion
from app.db.types import utcnow
from app.domain.errors import NotFound, RuleViolation
from app.domain.periods import check_range
from app.domain.access import SERVICE_ACCOUNTS_HAVE_NO_CALENDAR, Actor, require_scope
from app.domain.quarters import Quarter
from app.domain.scopes import Scope
from app.domain.vocabulary import OneToOneStatus, SessionStatus
from app.services.kit import audit

DEFAULT_DAYS = 90
MAX_DAYS = 400
FEED_DAYS_BACK = 60
FEED_DAYS_AHEAD = 365
FEED_PATH = "/v1/calendar.ics"
UID_DOMAIN = "gps"


class EventKind(StrEnum):
    objective_setting = "objective_setting"
    check_in_deadline = "check_in_deadline"
    corporate_system_deadline = "corporate_system_deadline"
    evaluation = "evaluation"
    policy_review = "policy_review"
    consultation = "consultation"
    coaching_session = "coaching_session"
    one_to_one = "one_to_one"


@dataclass(frozen=True)
class Event:
    """One event. All-day events have dates and an exclusive `end` (the day after the last
    day, as in iCalendar); timed events have UTC datetimes."""

    uid: str
    title: str
    start: date | datetime
    end: date | datetime
    kind: EventKind
    description: str

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, datetime)

    def overlaps(self, first: date, last: date) -> bool:
        if isinstance(self.start, datetime):
            assert isinstance(self.end, datetime)  # a timed event ends at a time
            start_day, end_day = self.start.date(), self.end.date()
            return start_day <= last and end_day >= first
        return self.start <= last and self.end > first


# --- the programme's key dates (the same for everyone) ---------------------------------------


def _working_day_on_or_before(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _working_day_after(day: date) -> date:
    day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _day(uid: str, title: str, day: date, kind: EventKind, description: str,
         *, days: int = 1) -> Event:
    return Event(uid=f"{uid}@{UID_DOMAIN}", title=title, start=day,
                 end=day + timedelta(days=days), kind=kind, description=description)


def _quarter_events(quarter: Quarter) -> list[Event]:
    first, last = quarter.first_day, quarter.last_day
    length = (last - first).days + 1
    mid = _working_day_on_or_before(first + timedelta(days=length // 2))
    late = _working_day_on_or_before(last - timedelta(days=14))
    record_by = _working_day_on_or_before(last)
    evaluate_on = _working_day_after(last)
    q = str(quarter)
    return [
        _day(f"objective-setting-{q}", f"Objective setting for {q}", first,
             EventKind.objective_setting,
             f"The first two weeks of {q}: agree this quarter's objectives with your line "
             "manager (including three 20%-time objectives).", days=14),
        _day(f"check-in-mid-{q}", f"Mid-quarter check-in deadline ({q})", mid,
             EventKind.check_in_deadline,
             f"Check in on each of your {q} objectives by today: progress, blockers, help "
             "needed."),
        _day(f"check-in-late-{q}", f"Final check-in deadline ({q})", late,
             EventKind.check_in_deadline,
             f"Two weeks before {q} ends: check in on each objective, and agree with your line "
             "manager what will be completed and what will be dropped."),
        _day(f"corporate-system-{q}", f"Record completed objectives in the corporate system "
             f"({q})", record_by, EventKind.corporate_system_deadline,
             f"The last working day of {q}: make sure every objective you completed this "
             "quarter is recorded in the corporate system."),
        _day(f"evaluation-quarter-{q}", f"Quarterly evaluation of {q}", evaluate_on,
             EventKind.evaluation,
             f"The first working day after {q}: quarterly targets (objectives completed) are "
             "evaluated against the policy in force."),
    ]


def programme_events(first: date, last: date) -> list[Event]:
    """The programme's key dates from `first` to `last` (inclusive)."""
    events: list[Event] = []
    quarter = Quarter.containing(first - timedelta(days=7))  # its evaluation may fall in range
    while quarter.first_day <= last:
        events.extend(_quarter_events(quarter))
        quarter = Quarter.containing(quarter.last_day + timedelta(days=1))
    monday = first + timedelta(days=(7 - first.weekday()) % 7)
    while monday <= last:
        year, week, _ = (monday - timedelta(days=7)).isocalendar()
        key = f"{year}-W{week:02d}"
        events.append(_day(f"evaluation-week-{key}", f"Weekly evaluation of {key}", monday,
                           EventKind.evaluation,
                           f"Last week ({key}) is evaluated: accomplishments logged, training "
                           "hours, tickets done and production changes. Log last week's "
                           "accomplishments before today."))
        monday += timedelta(days=7)
    for year in range(first.year, last.year + 1):
        events.append(_day(f"policy-review-{year}", f"Annual policy review ({year})",
                           date(year, 4, 1), EventKind.policy_review,
                           "The performance management policy is reviewed: targets reviewed, "
                           "possibly ratcheted up. A new iteration of the policy begins."))
    return [e for e in events if e.overlaps(first, last)]


# --- a person's own events -----------------------------------------------------------------


def _bounds(first: date, last: date) -> tuple[datetime, datetime]:
    return (datetime.combine(first, time.min, UTC),
            datetime.combine(last + timedelta(days=1), time.min, UTC))


def _consultations(session: Session, first: date, last: date) -> list[Event]:
    since, until = _bounds(first, last)
    rows = session.exec(select(PolicyConsultation, PolicyVersion)
                        .join(PolicyVersion,
                              col(PolicyVersion.id) == col(PolicyConsultation.policy_version_id))
                        .where(col(PolicyConsultation.opens_at) < until,
                               col(PolicyConsultation.closes_at) > since)
                        .order_by(col(PolicyConsultation.id))).all()
    return [Event(uid=f"consultation-{c.id}@{UID_DOMAIN}",
                  title=f"Consultation open: policy '{v.name}'", start=c.opens_at,
                  end=c.closes_at, kind=EventKind.consultation,
                  description=f"Comment on the policy version '{v.name}' (to take effect on "
                              f"{v.effective_from.isoformat()}) until "
                              f"{c.closes_at.isoformat()}: GET /v1/policies/{v.id}/consultation."
                  ) for c, v in rows]


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.exec(select(id_column(Person.id), Person.name)
                             .where(col(Person.id).in_(ids))).all())


def _coaching(session: Session, person_id: int, first: date, last: date) -> list[Event]:
    """Sessions where the person is coachee or coach: when and with whom, never the topics
    or notes."""
    since, until = _bounds(first, last)
    rows = session.exec(
        select(CoachingSession, CoachingEnrolment, CoachingProgramme)
        .join(CoachingEnrolment, col(CoachingEnrolment.id) == col(CoachingSession.enrolment_id))
        .join(CoachingProgramme,
              col(CoachingProgramme.id) == col(CoachingEnrolment.programme_id))
        .where(or_(col(CoachingEnrolment.coachee_id) == person_id,
                   col(CoachingEnrolment.coach_id) == person_id),
               col(CoachingSession.status) != SessionStatus.cancelled.value,
               col(CoachingSession.scheduled_for) >= since - timedelta(days=1),
               col(CoachingSession.scheduled_for) < until)
        .order_by(col(CoachingSession.scheduled_for), col(CoachingSession.id))).all()
    names = _names(session, {e.coachee_id for _, e, _ in rows} | {e.coach_id for _, e, _ in rows})
    events = []
    for s, enrolment, programme in rows:
        if enrolment.coachee_id == person_id:
            title = f"Coaching session with {names.get(enrolment.coach_id, 'your coach')}"
        else:
            title = f"Coaching {names.get(enrolment.coachee_id, 'your coachee')}"
        events.append(Event(
            uid=f"coaching-session-{s.id}@{UID_DOMAIN}", title=title, start=s.scheduled_for,
            end=s.scheduled_for + timedelta(minutes=programme.session_minutes),
            kind=EventKind.coaching_session,
            description=f"{programme.name}: a {programme.session_minutes}-minute coaching "
                        f"session ({s.status})."))
    return events


def _one_to_ones(session: Session, person_id: int, first: date, last: date) -> list[Event]:
    """One-to-ones where the person is the report or the manager: the date and who, never
    the notes."""
    rows = session.exec(select(OneToOne).where(
        or_(col(OneToOne.person_id) == person_id, col(OneToOne.manager_id) == person_id),
        col(OneToOne.status) != OneToOneStatus.cancelled.value,
        col(OneToOne.on) >= first, col(OneToOne.on) <= last)
        .order_by(col(OneToOne.on), col(OneToOne.id))).all()
    names = _names(session, {o.person_id for o in rows} | {o.manager_id for o in rows})
    events = []
    for o in rows:
        other = o.manager_id if o.person_id == person_id else o.person_id
        events.append(_day(f"one-to-one-{o.id}", f"One-to-one with {names.get(other, '')}"
                           .strip(), o.on, EventKind.one_to_one,
                           "Weekly one-to-one: progress on objectives, support, wellbeing."))
    return events


def events_for(session: Session, person_id: int, first: date, last: date) -> list[Event]:
    events = (programme_events(first, last) + _consultations(session, first, last)
              + _coaching(session, person_id, first, last)
              + _one_to_ones(session, person_id, first, last))
    events = [e for e in events if e.overlaps(first, last)]

    def key(e: Event) -> tuple[datetime, str]:
        start = e.start if isinstance(e.start, datetime) else datetime.combine(e.start, time.min,
                                                                               UTC)
        return start, e.uid
    return sorted(events, key=key)


def _window(start: date | None, end: date | None) -> tuple[date, date]:
    first = start if start is not None else date.today()
    for name, day in (("from", first), ("to", end or first)):
        try:
            check_range(day, day)
        except ValueError as exc:
            raise RuleViolation(detail=f"{name}: {exc}.", rule="DATE-RANGE",
                                extra={"field": name}) from None
    last = end if end is not None else first + timedelta(days=DEFAULT_DAYS)
    if last < first:
        raise RuleViolation(detail=f"to ({last.isoformat()}) is before from "
                                   f"({first.isoformat()}).", rule="DATE-RANGE",
                            extra={"field": "to"})
    if (last - first).days > MAX_DAYS:
        raise RuleViolation(detail=f"from..to spans {(last - first).days} days; ask for at "
                                   f"most {MAX_DAYS} days at a time.", rule="DATE-RANGE",
                            extra={"field": "to"})
    return first, last


def my_calendar(session: Session, actor: Actor, *, start: date | None,
                end: date | None) -> tuple[date, date, list[Event]]:
    """The caller's calendar from `start` (default today) to `end` (default 90 days on)."""
    require_scope(actor, Scope.growth)
    if actor.person_id is None:
        raise NotFound(detail=SERVICE_ACCOUNTS_HAVE_NO_CALENDAR)
    first, last = _window(start, end)
    return first, last, events_for(session, actor.person_id, first, last)


# --- the secret link and the feed ----------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def rotate_link(session: Session, actor: Actor) -> str:
    """Make or replace the caller's secret link; the old one stops working at once. Returns
    the secret, which is never stored or shown again."""
    require_scope(actor, Scope.growth)
    if actor.person_id is None:
        raise NotFound(detail=SERVICE_ACCOUNTS_HAVE_NO_CALENDAR)
    token = secrets.token_urlsafe(32)
    link = session.get(CalendarLink, actor.person_id, with_for_update=True)
    rotated = link is not None
    if link is None:
        link = CalendarLink(person_id=actor.person_id, token_hash=_hash(token))
    else:
        link.token_hash = _hash(token)
        link.created_at = utcnow()
    session.add(link)
    audit.record(session, actor=actor, action="calendar.link.rotate" if rotated
                 else "calendar.link.create", target_type="person", target_id=actor.person_id)
    session.flush()
    return token


def revoke_link(session: Session, actor: Actor) -> None:
    """Revoke the caller's secret link (nothing to do if there is none)."""
    require_scope(actor, Scope.growth)
    if actor.person_id is None:
        raise NotFound(detail=SERVICE_ACCOUNTS_HAVE_NO_CALENDAR)
    link = session.get(CalendarLink, actor.person_id)
    if link is not None:
        session.delete(link)
        audit.record(session, actor=actor, action="calendar.link.revoke", target_type="person",
                     target_id=actor.person_id)
        session.flush()


@dataclass(frozen=True)
class Feed:
    """What the secret link's feed shows: its owner's events from 60 days ago to a year
    ahead."""

    owner_name: str
    events: list[Event]


def feed(session: Session, token: str, *, today: date | None = None) -> Feed:
    """The feed of the secret link's owner; an unknown, rotated or revoked link (or an
    inactive owner) does not exist."""
    link = session.exec(select(CalendarLink).where(CalendarLink.token_hash == _hash(token))).first()
    owner = session.get(Person, link.person_id) if link is not None else None
    if link is None or owner is None or not owner.active:
        raise NotFound(detail="No calendar at this link: it may have been replaced or revoked. "
                              "Make a new link at POST /v1/calendar/link.")
    today = today or date.today()
    first, last = today - timedelta(days=FEED_DAYS_BACK), today + timedelta(days=FEED_DAYS_AHEAD)
    return Feed(owner_name=owner.name, events=events_for(session, link.person_id, first, last))

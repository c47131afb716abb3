"""Consultation on policy changes: a draft policy version is open for comment for a window
(the policy itself was open for a whole month), and cannot take effect before it closes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, col, select

from app.db.models import Person, id_of
from app.db.oversight import PolicyComment, PolicyConsultation
from app.db.support import PolicyVersion
from app.db.types import utcnow
from app.domain.errors import Conflict, NotFound, RuleViolation
from app.domain.access import (ONLY_PEOPLE_COMMENT, Actor, consultation_actions, require_scope,
                               sees_anonymous_authors)
from app.domain.consultations import ConsultationAction
from app.domain.scopes import Scope
from app.services.kit import audit

DEFAULT_DAYS = 30
MAX_DAYS = 90
# How far in the past `opens_at` may be (clock skew); a window cannot be back-dated.
OPENS_AT_TOLERANCE = timedelta(minutes=5)
# How far ahead a window may be opened.
MAX_LEAD = timedelta(days=366)


@dataclass(frozen=True)
class CommentView:
    comment: PolicyComment
    author_id: int | None  # None when anonymous and the reader is not an admin
    author_name: str | None
    mine: bool


@dataclass(frozen=True)
class ConsultationView:
    consultation: PolicyConsultation
    version: PolicyVersion
    state: str  # upcoming | open | closed
    comments: list[CommentView]
    allowed_actions: list[str]


def earliest_effective_from(closes_at: datetime) -> date:
    """The first day a version may take effect: the first whole day after the window."""
    closes = closes_at.astimezone(UTC)
    return closes.date() if closes.time() == time.min else closes.date() + timedelta(days=1)


def _window_text(c: PolicyConsultation) -> str:
    return f"{c.opens_at.astimezone(UTC).isoformat()} to {c.closes_at.astimezone(UTC).isoformat()}"


def _too_early(version: PolicyVersion, consultation_closes: datetime, effective_from: date,
               *, doing: str) -> Conflict:
    earliest = earliest_effective_from(consultation_closes)
    return Conflict(
        detail=f"{doing}: policy version '{version.name}' would take effect on "
               f"{effective_from.isoformat()}, before its consultation closes at "
               f"{consultation_closes.astimezone(UTC).isoformat()}. A version cannot come into "
               f"force before its consultation closes: effective_from must be "
               f"{earliest.isoformat()} or later.",
        code="consultation-not-closed",
        extra={"field": "effective_from",
               "closes_at": consultation_closes.astimezone(UTC).isoformat(),
               "earliest_effective_from": earliest.isoformat()})


def _version_or_404(session: Session, version_id: int, *, lock: bool = False) -> PolicyVersion:
    version = session.get(PolicyVersion, version_id, with_for_update=lock)
    if version is None:
        raise NotFound(detail=f"No policy version with id {version_id}.")
    return version


def _consultation_of(session: Session, version_id: int) -> PolicyConsultation | None:
    return session.exec(select(PolicyConsultation).where(
        PolicyConsultation.policy_version_id == version_id)
        .order_by(col(PolicyConsultation.id))).first()


def _consultation_or_404(session: Session, version: PolicyVersion) -> PolicyConsultation:
    found = _consultation_of(session, id_of(version))
    if found is None:
        raise NotFound(detail=f"Policy version {version.id} ('{version.name}') has not been "
                              "opened for consultation.")
    return found


def guard_effective_from(session: Session, version_id: int, effective_from: date) -> None:
    """Refuse (409) moving a version under consultation so that it would take effect before
    its consultation window closes. Called by the policy versions service on update."""
    consultation = _consultation_of(session, version_id)
    if consultation is None:
        return
    if effective_from < earliest_effective_from(consultation.closes_at):
        raise _too_early(_version_or_404(session, version_id), consultation.closes_at,
                         effective_from, doing="This change is refused")


def _state(c: PolicyConsultation, now: datetime) -> str:
    if now < c.opens_at:
        return "upcoming"
    return "open" if now < c.closes_at else "closed"


def _view(session: Session, actor: Actor, version: PolicyVersion,
          c: PolicyConsultation) -> ConsultationView:
    comments = session.exec(select(PolicyComment).where(PolicyComment.consultation_id == c.id)
                            .order_by(col(PolicyComment.id))).all()
    sees_authors = sees_anonymous_authors(actor)
    shown = {x.author_id for x in comments if sees_authors or not x.anonymous}
    names = dict(session.exec(select(Person.id, Person.name).where(
        col(Person.id).in_(shown))).all()) if shown else {}
    views = []
    for x in comments:
        visible = sees_authors or not x.anonymous
        views.append(CommentView(x, x.author_id if visible else None,
                                 names.get(x.author_id) if visible else None,
                                 mine=actor.person_id == x.author_id))
    state = _state(c, utcnow())
    return ConsultationView(c, version, state, views,
                            consultation_actions(actor, state).allowed)


def open_consultation(session: Session, actor: Actor, version_id: int, *, days: int | None,
                      opens_at: datetime | None) -> ConsultationView:
    """Open a draft policy version for comment (policy admins): one window per version, and
    the version cannot take effect before the window closes."""
    require_scope(actor, Scope.policy_write)
    version = _version_or_404(session, version_id, lock=True)
    now = utcnow()
    if version.locked_at is not None:
        raise Conflict(detail=f"Policy version '{version.name}' was used by a closed evaluation, "
                              "so it is not a draft and cannot be consulted on.",
                       code="policy-locked")
    existing = _consultation_of(session, version_id)
    if existing is not None:
        raise Conflict(detail=f"Policy version '{version.name}' already has a consultation "
                              f"({_window_text(existing)}); each version is consulted on once.",
                       extra={"consultation_id": existing.id})
    start = opens_at.astimezone(UTC) if opens_at is not None else now
    if start < now - OPENS_AT_TOLERANCE:
        raise RuleViolation(detail="opens_at is in the past: a consultation cannot be "
                                   "back-dated.", rule="CONSULTATION-OPENS",
                            extra={"field": "opens_at"})
    if start > now + MAX_LEAD:
        raise RuleViolation(detail=f"opens_at is more than {MAX_LEAD.days} days away: open the "
                                   "consultation nearer the time.", rule="CONSULTATION-OPENS",
                            extra={"field": "opens_at"})
    closes_at = start + timedelta(days=days if days is not None else DEFAULT_DAYS)
    if version.effective_from < earliest_effective_from(closes_at):
        raise _too_early(version, closes_at, version.effective_from,
                         doing="The consultation cannot be opened")
    consultation = PolicyConsultation(policy_version_id=version_id, opens_at=start,
                                      closes_at=closes_at, opened_by_id=actor.person_id)
    session.add(consultation)
    session.flush()
    audit.record(session, actor=actor, action="policy.consultation.open",
                 target_type="policy_version", target_id=version_id,
                 detail={"opens_at": start.isoformat(), "closes_at": closes_at.isoformat()})
    return _view(session, actor, version, consultation)


def view_consultation(session: Session, actor: Actor, version_id: int) -> ConsultationView:
    """The window and its comments (anyone signed in); anonymous comments name their author
    to policy admins only."""
    require_scope(actor, Scope.consultation)
    version = _version_or_404(session, version_id)
    return _view(session, actor, version, _consultation_or_404(session, version))


def add_comment(session: Session, actor: Actor, version_id: int, *, body: str,
                anonymous: bool) -> tuple[ConsultationView, int]:
    """Comment on a version while its window is open (anyone signed in)."""
    require_scope(actor, Scope.consultation)
    if actor.person_id is None:
        raise NotFound(detail=ONLY_PEOPLE_COMMENT)
    version = _version_or_404(session, version_id)
    consultation = _consultation_or_404(session, version)
    state = _state(consultation, utcnow())
    consultation_actions(actor, state).require(
        ConsultationAction.comment, noun="consultation",
        why_not=f"The consultation on '{version.name}' is "
                f"{'not open yet' if state == 'upcoming' else 'closed'}: comments are taken "
                f"from {_window_text(consultation)}.",
        opens_at=consultation.opens_at.astimezone(UTC).isoformat(),
        closes_at=consultation.closes_at.astimezone(UTC).isoformat())
    comment = PolicyComment(consultation_id=id_of(consultation), author_id=actor.person_id,
                            anonymous=anonymous, body=body)
    session.add(comment)
    session.flush()
    return _view(session, actor, version, consultation), id_of(comment)


def reply(session: Session, actor: Actor, version_id: int, comment_id: int, *,
          text: str) -> ConsultationView:
    """Reply to a comment (policy admins); a second reply replaces the first."""
    require_scope(actor, Scope.policy_write)
    version = _version_or_404(session, version_id)
    consultation = _consultation_or_404(session, version)
    consultation_actions(actor, _state(consultation, utcnow())).require(
        ConsultationAction.reply, noun="consultation")
    comment = session.get(PolicyComment, comment_id, with_for_update=True)
    if comment is None or comment.consultation_id != consultation.id:
        raise NotFound(detail=f"No comment with id {comment_id} on this consultation.")
    comment.reply = text
    comment.replied_by_id = actor.person_id
    comment.replied_at = utcnow()
    session.add(comment)
    session.flush()
    return _view(session, actor, version, consultation)

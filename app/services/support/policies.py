"""Policy versions and their targets: exactly one version in force on any date."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlmodel import Session, col, select

from app.db.models import id_of
from app.db.support import Evaluation, PolicyTarget, PolicyVersion
from app.db.types import utcnow
from app.domain.errors import Conflict, NotFound, PreconditionFailed, RuleViolation
from app.domain.access import Actor, require_scope
from app.domain.scopes import Scope
from app.domain.vocabulary import Metric, PeriodType
from app.services.support import consultations
from app.services.kit.pagination import Page, keyset_page
from app.services.kit.patches import UNSET, Unset, given


@dataclass(frozen=True)
class PolicyView:
    version: PolicyVersion
    targets: list[PolicyTarget]


def get_or_404(session: Session, version_id: int) -> PolicyVersion:
    version = session.get(PolicyVersion, version_id)
    if version is None:
        raise NotFound(detail=f"No policy version with id {version_id}.")
    return version


def targets_of(session: Session, version_ids: list[int]) -> dict[int, list[PolicyTarget]]:
    found: dict[int, list[PolicyTarget]] = {i: [] for i in version_ids}
    if version_ids:
        for target in session.exec(select(PolicyTarget).where(
                col(PolicyTarget.policy_version_id).in_(version_ids))
                .order_by(col(PolicyTarget.id))):
            found[target.policy_version_id].append(target)
    return found


def in_force(session: Session, day: date) -> PolicyVersion | None:
    """The version in force on a day (None if no version covers it)."""
    return session.exec(select(PolicyVersion).where(
        PolicyVersion.effective_from <= day,
        (col(PolicyVersion.effective_to).is_(None)) | (col(PolicyVersion.effective_to) >= day))
        .order_by(col(PolicyVersion.effective_from).desc())).first()


def _describe(version: PolicyVersion) -> str:
    end = version.effective_to.isoformat() if version.effective_to else "open-ended"
    return f"'{version.name}' ({version.effective_from.isoformat()} to {end})"


def _check_dates(start: date, end: date | None) -> None:
    if end is not None and end < start:
        raise RuleViolation(detail="effective_to is before effective_from.",
                            rule="POLICY-DATES", extra={"field": "effective_to"})


def _last_closed_day(session: Session, version_id: int) -> date | None:
    return session.exec(select(col(Evaluation.period_end)).where(
        Evaluation.policy_version_id == version_id, Evaluation.status == "closed")
        .order_by(col(Evaluation.period_end).desc()).limit(1)).first()


def _make_room(session: Session, start: date, end: date | None, *, exclude_id: int | None) -> None:
    """Refuse an overlap, except that a new version may end the open-ended version it
    follows (the day before it starts), if no closed evaluation depends on those days."""
    for other in session.exec(select(PolicyVersion)):
        if other.id == exclude_id:
            continue
        other_end = other.effective_to or date.max
        if start <= other_end and (end or date.max) >= other.effective_from:
            superseding = other.effective_to is None and start > other.effective_from
            last_closed = _last_closed_day(session, id_of(other)) if superseding else None
            if superseding and (last_closed is None or last_closed < start):
                other.effective_to = start - timedelta(days=1)
                other.version += 1
                other.updated_at = utcnow()
                session.add(other)
                continue
            raise RuleViolation(
                detail=f"These dates overlap {_describe(other)}: exactly one policy version is "
                       "in force on any date.", rule="POLICY-OVERLAP",
                extra={"field": "effective_from", "overlaps": other.id})


@dataclass(frozen=True)
class TargetSpec:
    """A target of a policy version: `threshold` of `metric` per `period`, for the bands and
    kinds of person listed (none listed: everyone)."""

    metric: Metric
    period: PeriodType
    threshold: Decimal
    bands: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    stretch: bool = False  # reported, never counts against anyone


@dataclass(frozen=True)
class NewPolicy:
    name: str
    effective_from: date
    effective_to: date | None = None
    production_streak_sprints: int = 3
    missed_streak_periods: int = 3
    case_window_days: int = 183
    case_min_interventions: int = 2
    case_min_support_days: int = 28
    absence_confirm_days: int = 14
    excused_share: Decimal = Decimal("0.5")


@dataclass(frozen=True)
class PolicyChanges:
    """What PATCH may change; fields left UNSET keep their value (a None `effective_to`: the
    version runs on with no end)."""

    name: str | Unset = UNSET
    effective_from: date | Unset = UNSET
    effective_to: date | None | Unset = UNSET
    production_streak_sprints: int | Unset = UNSET
    missed_streak_periods: int | Unset = UNSET
    case_window_days: int | Unset = UNSET
    case_min_interventions: int | Unset = UNSET
    case_min_support_days: int | Unset = UNSET
    absence_confirm_days: int | Unset = UNSET
    excused_share: Decimal | Unset = UNSET


def _targets(session: Session, version: PolicyVersion, targets: list[TargetSpec]) -> None:
    seen = set()
    for target in targets:
        key = (target.metric.value, target.period.value)
        if key in seen:
            raise RuleViolation(detail=f"targets: {key[0]} per {key[1]} appears twice.",
                                rule="POLICY-TARGET-TWICE", extra={"field": "targets"})
        seen.add(key)
        session.add(PolicyTarget(
            policy_version_id=id_of(version), metric=target.metric.value,
            period=target.period.value, threshold=target.threshold,
            bands=sorted(target.bands), kinds=sorted(target.kinds), stretch=target.stretch))


def create(session: Session, actor: Actor, *, values: NewPolicy,
           targets: list[TargetSpec]) -> PolicyVersion:
    """Add a policy version; one that starts inside the open-ended current version ends it."""
    require_scope(actor, Scope.policy_write)
    _check_dates(values.effective_from, values.effective_to)
    if session.exec(select(PolicyVersion.id).where(PolicyVersion.name == values.name)).first():
        raise Conflict(detail=f"A policy version called {values.name!r} exists.",
                       extra={"field": "name"})
    _make_room(session, values.effective_from, values.effective_to, exclude_id=None)
    version = PolicyVersion(**asdict(values))
    session.add(version)
    session.flush()
    _targets(session, version, targets)
    session.flush()
    return version


def update(session: Session, actor: Actor, version_id: int, *, changes: PolicyChanges,
           targets: list[TargetSpec] | None, expected_version: int | None) -> PolicyVersion:
    """Change a version that no closed evaluation has used."""
    require_scope(actor, Scope.policy_write)
    version = get_or_404(session, version_id)
    if expected_version is not None and version.version != expected_version:
        raise PreconditionFailed(detail="This policy version was changed since you read it; "
                                        "fetch it again and resend with the new ETag.")
    if version.locked_at is not None:
        raise Conflict(detail=f"{_describe(version)} was used by a closed evaluation on "
                              f"{version.locked_at.date().isoformat()}, so it cannot change: "
                              "create a new version instead.", code="policy-locked")
    if not isinstance(changes.effective_from, Unset):
        consultations.guard_effective_from(session, id_of(version), changes.effective_from)
    for name, value in given(changes).items():
        setattr(version, name, value)
    _check_dates(version.effective_from, version.effective_to)
    _make_room(session, version.effective_from, version.effective_to, exclude_id=version.id)
    if targets is not None:
        for old in targets_of(session, [id_of(version)])[id_of(version)]:
            session.delete(old)
        session.flush()
        _targets(session, version, targets)
    version.version += 1
    version.updated_at = utcnow()
    session.add(version)
    session.flush()
    return version


def views(session: Session, versions: list[PolicyVersion]) -> list[PolicyView]:
    """Versions with their targets, read for all of them at once."""
    found = targets_of(session, [id_of(v) for v in versions])
    return [PolicyView(v, found[id_of(v)]) for v in versions]


def list_versions(session: Session, actor: Actor, *, cursor: str | None,
                  limit: int) -> Page[PolicyView]:
    page = keyset_page(session, select(PolicyVersion), PolicyVersion.id, cursor=cursor,
                       limit=limit)
    return Page(items=views(session, page.items), next_cursor=page.next_cursor)

"""GitHub deliveries: commits pushed (or deployed) to production become `production_change`
evidence, one per commit per author, counted once whatever the push or repository."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from app.db.integrations import WebhookDelivery
from app.db.models import Person, id_of
from app.domain import github
from app.domain.vocabulary import EvidenceKind, EvidenceSource
from app.services.integrations import integration_evidence
from app.services.integrations.webhooks import Applier, Outcome
from app.settings import Settings

SOURCE = "github"


def applier(settings: Settings) -> Applier:
    def apply(session: Session, delivery: WebhookDelivery, payload: Any) -> Outcome:
        if delivery.event_type == "ping":
            return Outcome("ignored", "pong")
        if delivery.event_type == "push":
            return _push(session, settings, payload)
        if delivery.event_type == "deployment_status":
            return _deployment(session, settings, payload)
        return Outcome("ignored", f"{delivery.event_type} events are stored, not counted.")
    return apply


def _push(session: Session, settings: Settings, payload: Any) -> Outcome:
    push = github.push(payload)
    if push.branch is None:
        return Outcome("ignored", "Not a branch push (a tag or another ref); nothing counted.")
    if push.deleted:
        return Outcome("ignored", f"Branch {push.branch} was deleted; nothing counted.")
    if push.branch not in settings.production_branches:
        return Outcome("ignored", f"{push.branch} is not a production branch; nothing counted.")
    if settings.github_deploy_signal == "deployment_status" and not _deployed(session,
                                                                              push.head_sha):
        return Outcome("awaiting_deploy", f"Counted once a successful production deployment "
                                          f"names {push.head_sha}.", ref_key=push.head_sha)
    return _count(session, push, ref_key=push.head_sha)


def _count(session: Session, push: github.PushInfo, *, ref_key: str | None) -> Outcome:
    unmatched: list[str] = []
    counted = 0
    # Commits in sha order: two pushes sharing commits (listed in any order) take the
    # evidence rows' locks in the same order, so they queue instead of deadlocking.
    for commit in sorted(push.commits, key=lambda c: c.sha):
        person = _author(session, commit)
        if person is None:
            unmatched += github.subject_keys(commit)
            continue
        at = commit.at
        _, changed = integration_evidence.upsert(
            session, person_id=id_of(person), kind=EvidenceKind.production_change,
            source=EvidenceSource.github, external_id=commit.sha,
            occurred_on=at.date() if at else datetime.now(UTC).date(),
            title=(commit.message or f"Commit {commit.sha[:12]}")[:300],
            details={"sha": commit.sha, "repository": push.repository, "branch": push.branch,
                     "committed_at": at.isoformat() if at else None, "url": commit.url},
            # Nothing in GitHub takes a commit back, so a push never restores evidence that
            # was retracted: a re-sent or late push cannot undo a retraction.
            restore=False)
        counted += changed
    subjects = sorted(set(unmatched))
    if subjects:
        return Outcome("unmatched", f"{counted} commit(s) counted; authors not yet known: "
                                    f"{', '.join(subjects)}.", subjects=subjects, ref_key=ref_key)
    return Outcome("applied", f"{counted} commit(s) counted.", subjects=[], ref_key=ref_key)


def _author(session: Session, commit: github.CommitInfo) -> Person | None:
    if commit.username:
        person = session.exec(select(Person).where(Person.github_login == commit.username)).first()
        if person is not None:
            return person
    if commit.email:
        return session.exec(select(Person).where(
            func.lower(Person.email) == commit.email)).first()
    return None


def _deployed(session: Session, sha: str | None) -> bool:
    if sha is None:
        return False
    return session.exec(select(WebhookDelivery.id).where(
        WebhookDelivery.source == SOURCE, WebhookDelivery.event_type == "deployment_status",
        WebhookDelivery.ref_key == sha, WebhookDelivery.status == "applied")).first() is not None


def _deployment(session: Session, settings: Settings, payload: Any) -> Outcome:
    info = github.deployment_status(payload)
    if settings.github_deploy_signal != "deployment_status":
        return Outcome("ignored", "Deployment statuses are not the production signal "
                                  "(GPS_GITHUB_DEPLOY_SIGNAL=push).")
    if info.state != "success" or info.environment not in settings.production_environments:
        return Outcome("ignored", f"Deployment {info.state} in {info.environment}: not a "
                                  "successful production deployment.")
    waiting = session.exec(select(WebhookDelivery).where(
        WebhookDelivery.source == SOURCE, WebhookDelivery.event_type == "push",
        WebhookDelivery.ref_key == info.sha,
        WebhookDelivery.status == "awaiting_deploy")).all()
    counted = []
    for push_delivery in waiting:
        outcome = _count(session, github.push(json.loads(push_delivery.body)),
                         ref_key=info.sha)
        push_delivery.status, push_delivery.detail = outcome.status, outcome.detail
        push_delivery.subjects = outcome.subjects or []
        session.add(push_delivery)
        counted.append(outcome.detail)
    return Outcome("applied", f"Production deployment of {info.sha}: "
                              + ("; ".join(counted) if counted else "no push waiting yet."),
                   ref_key=info.sha)

"""What a GitHub webhook delivery means for GPS: pure functions over the parsed JSON."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.domain.jira import parse_time


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    username: str | None  # author.username (a GitHub login), lower-cased
    email: str | None  # author.email, lower-cased
    name: str
    message: str
    at: datetime | None  # the commit's own timestamp, with its offset
    url: str | None


@dataclass(frozen=True)
class PushInfo:
    branch: str | None  # None for tags and other refs
    deleted: bool
    head_sha: str | None
    repository: str | None
    commits: list[CommitInfo]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any, limit: int) -> str | None:
    # NUL characters cannot be stored; they are dropped rather than failing the delivery.
    if not isinstance(value, str):
        return None
    value = value.replace("\x00", "").strip()
    return value[:limit] if value else None


def push(payload: Any) -> PushInfo:
    body = _dict(payload)
    ref = found if isinstance(found := body.get("ref"), str) else ""
    branch = ref[len("refs/heads/"):] if ref.startswith("refs/heads/") else None
    commits = []
    raw_commits = listed if isinstance(listed := body.get("commits"), list) else []
    for raw in raw_commits:
        raw = _dict(raw)
        sha = _text(raw.get("id"), 64)
        if sha is None:
            continue
        author = _dict(raw.get("author"))
        username = _text(author.get("username"), 39)
        email = _text(author.get("email"), 320)
        commits.append(CommitInfo(
            sha=sha.lower(), username=username.lower() if username else None,
            email=email.lower() if email else None, name=_text(author.get("name"), 200) or "",
            message=(_text(raw.get("message"), 300) or "").splitlines()[0] if raw.get("message")
            else "", at=parse_time(raw.get("timestamp")), url=_text(raw.get("url"), 500)))
    after = _text(body.get("after"), 64)
    return PushInfo(branch=branch, deleted=body.get("deleted") is True,
                    head_sha=after.lower() if after else None,
                    repository=_text(_dict(body.get("repository")).get("full_name"), 200),
                    commits=commits)


@dataclass(frozen=True)
class DeploymentInfo:
    state: str | None
    environment: str | None
    sha: str | None


def deployment_status(payload: Any) -> DeploymentInfo:
    body = _dict(payload)
    status = _dict(body.get("deployment_status"))
    deployment = _dict(body.get("deployment"))
    sha = _text(deployment.get("sha"), 64)
    return DeploymentInfo(state=_text(status.get("state"), 30),
                          environment=_text(status.get("environment")
                                            or deployment.get("environment"), 100),
                          sha=sha.lower() if sha else None)


def subject_keys(commit: CommitInfo) -> list[str]:
    """How an unmatched commit author can be recognised later."""
    keys = []
    if commit.username:
        keys.append(f"github:{commit.username}")
    if commit.email:
        keys.append(f"email:{commit.email}")
    return keys

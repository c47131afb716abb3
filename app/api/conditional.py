"""ETags on single resources and If-Match on changes (optimistic concurrency)."""

from __future__ import annotations

import re

from fastapi import Response

from app.domain.errors import PreconditionFailed, PreconditionRequired

_ETAG = re.compile(r'^"(?P<kind>[a-z-]+)-(?P<id>\d+)-v(?P<version>\d+)"$')


def etag(kind: str, record_id: int, version: int) -> str:
    return f'"{kind}-{record_id}-v{version}"'


def set_etag(response: Response, kind: str, record_id: int, version: int) -> None:
    response.headers["ETag"] = etag(kind, record_id, version)


def expected_version(if_match: str | None, kind: str, record_id: int) -> int | None:
    """Return the version an If-Match header names (None for `*`), or raise 428 / 412."""
    if if_match is None or not if_match.strip():
        raise PreconditionRequired(detail="Send If-Match with the ETag from your last read of "
                                          "this record, so that no one's change is overwritten.")
    if if_match.strip() == "*":
        return None
    for candidate in (part.strip() for part in if_match.split(",")):
        match = _ETAG.match(candidate)
        if match and match["kind"] == kind and int(match["id"]) == record_id:
            return int(match["version"])
    raise PreconditionFailed(detail="If-Match does not name the current version of this "
                                    "record; fetch it again and use its ETag.")

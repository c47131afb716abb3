"""Per-request context that services may read (the request id, for logs and the audit log)."""

from __future__ import annotations

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("gps_request_id", default=None)


def current_request_id() -> str | None:
    return request_id_var.get()

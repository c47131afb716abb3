"""Logging: one JSON object per line, each carrying the request id. Bodies and headers are
never logged, so passwords, tokens and secrets cannot reach the logs.

Every value is JSON-encoded, so a control character in anything a caller chose (a URL with
`%0a` in it, say) is written escaped (`\\n`) and can never start a line of its own: one event
is exactly one line, and nobody can forge another.
"""

from __future__ import annotations

import json
import logging
import logging.config
import sys
from datetime import UTC, datetime
from typing import IO, Any

from app.services.kit.context import current_request_id

# Attributes every LogRecord has; anything else was passed with `extra=` and is logged too.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "request_id", "taskName"}


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (ASCII only: every control character, and
    every other character a terminal might act on, is written as an escape)."""

    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", None) or current_request_id() or "-",
            "message": record.getMessage(),
        }
        event.update({k: v for k, v in vars(record).items()
                      if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            event["exception"] = self.formatException(record.exc_info)
        return json.dumps(event, ensure_ascii=True, default=str, separators=(",", ":"))


def json_handler(stream: IO[str] | None = None) -> logging.Handler:
    """The handler GPS logs through: JSON lines on `stream` (stderr by default)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    return handler


def configure(level: str = "INFO") -> None:
    logging.config.dictConfig({
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {"stderr": {"()": json_handler}},
        "root": {"handlers": ["stderr"], "level": level.upper()},
        # GPS writes its own access log without query strings; uvicorn's would repeat it.
        "loggers": {"uvicorn.access": {"level": "WARNING"}},
    })

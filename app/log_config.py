"""Logging: one line per event, each carrying the request id. Bodies and headers are never
logged, so passwords, tokens and secrets cannot reach the logs."""

from __future__ import annotations

import logging
import logging.config

from app.services.context import current_request_id


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        return True


def configure(level: str = "INFO") -> None:
    logging.config.dictConfig({
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"line": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "line",
                                "filters": ["request_id"]}},
        "root": {"handlers": ["stderr"], "level": level.upper()},
        # GPS writes its own access log without query strings; uvicorn's would repeat it.
        "loggers": {"uvicorn.access": {"level": "WARNING"}},
    })

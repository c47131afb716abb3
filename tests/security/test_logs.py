"""Logs cannot be forged: each event is one JSON object on one line, whatever the caller sends.

With plain-text lines, `GET /v1/x%0a2026-12-06 INFO gps.access admin signed in` wrote a second,
made-up line into the access log. Now the path is a JSON string, its newline escaped.
"""

from __future__ import annotations

import io
import json
import logging

import pytest

from app import log_config
from app.settings import DEVELOPMENT_JWT_SECRET


@pytest.fixture
def log_lines():
    """What GPS's own handler writes, as the lines of text an operator would read."""
    stream = io.StringIO()
    handler = log_config.json_handler(stream)
    root = logging.getLogger()
    before = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield lambda: stream.getvalue().splitlines()
    finally:
        root.removeHandler(handler)
        root.setLevel(before)


FORGED = ["/v1/people%0a{\"level\":\"INFO\",\"message\":\"GET /v1/admin 200\"}",
          "/v1/people%0d%0aGET%20/v1/cases%20200", "/x%0d", "/healthz%0a%0a%0a",
          "/v1/people%1b[2J%7f%c2%85%e2%80%a8"]


@pytest.mark.parametrize("path", FORGED)
def test_a_newline_in_the_url_makes_exactly_one_log_line(client, log_lines, path):
    answer = client.get(path, headers={"X-Request-ID": "forge-1"})
    assert answer.status_code in (401, 404)
    access = [line for line in log_lines() if '"logger":"gps.access"' in line]
    assert len(access) == 1, log_lines()
    [event] = [json.loads(line) for line in access]
    assert event["request_id"] == "forge-1"
    assert event["method"] == "GET" and event["status"] == answer.status_code
    assert event["path"].startswith("/") and ("\n" in event["path"] or "\r" in event["path"]
                                              or "\x1b" in event["path"])
    for line in log_lines():
        assert all(" " <= ch <= "~" for ch in line), line  # printable ASCII only
        json.loads(line)


def test_every_record_is_one_json_line(log_lines):
    logging.getLogger("gps.test").warning("two\nlines\r\nand a \x00 and \u2028", extra={
        "who": "a\nb"})
    try:
        raise ValueError("boom\nforged line")
    except ValueError:
        logging.getLogger("gps.test").exception("failed")
    lines = log_lines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["message"] == "two\nlines\r\nand a \x00 and \u2028" and first["who"] == "a\nb"
    assert first["level"] == "WARNING" and first["logger"] == "gps.test"
    assert "boom\nforged line" in second["exception"]
    assert DEVELOPMENT_JWT_SECRET not in "".join(lines)

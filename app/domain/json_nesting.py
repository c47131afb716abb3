"""How deeply a JSON text nests, measured as it streams, before anything parses it.

Python's `json` parser recurses once per level: a body of 100,000 `[` exhausts the stack and
the request fails as an error of the server. GPS's bodies nest a few levels, so a body that
nests deeper than `MAX_JSON_DEPTH` is refused as a bad request before it is parsed.
"""

from __future__ import annotations

import re

MAX_JSON_DEPTH = 64
TOO_DEEP = (f"The JSON body nests too deeply (more than {MAX_JSON_DEPTH} levels of arrays "
            "and objects); nothing was read.")

# What changes the depth, or whether we are inside a string: quotes, brackets, and escapes
# (a backslash and the byte after it, or a backslash that ends a chunk).
_TOKEN = re.compile(rb'\\.?|["\[\]{}]', re.DOTALL)


class NestingGauge:
    """Feed it a body chunk by chunk; `feed` says when the body has nested too deeply."""

    def __init__(self, limit: int = MAX_JSON_DEPTH) -> None:
        self.limit = limit
        self.depth = 0
        self.in_string = False
        self._skip_first = False  # the previous chunk ended with a backslash

    def feed(self, chunk: bytes) -> bool:
        start = 0
        if self._skip_first and chunk:
            start, self._skip_first = 1, False
        for token in _TOKEN.finditer(chunk, start):
            text = token.group()
            if text[0] == 0x5C:  # backslash: an escape inside a string
                self._skip_first = len(text) == 1
            elif text == b'"':
                self.in_string = not self.in_string
            elif self.in_string:
                continue
            elif text in (b"[", b"{"):
                self.depth += 1
                if self.depth > self.limit:
                    return True
            elif self.depth:
                self.depth -= 1
        return False


def too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    return NestingGauge(limit).feed(body)

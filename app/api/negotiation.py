"""Content negotiation: which of the media types a route offers the caller prefers."""

from __future__ import annotations

JSON = "application/json"
MARKDOWN = "text/markdown"


def quality(accept: str, offered: str) -> float:
    """The q-value an Accept header gives a media type (the most specific range wins)."""
    kind = offered.split("/")[0]
    best: tuple[int, float] | None = None
    for part in accept.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        media = media.lower()
        if media == offered:
            specificity = 2
        elif media == f"{kind}/*":
            specificity = 1
        elif media == "*/*":
            specificity = 0
        else:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        if best is None or specificity > best[0]:
            best = (specificity, q)
    return best[1] if best else 0.0


def prefers(accept: str | None, offered: str) -> bool:
    """Whether the caller prefers `offered` to JSON; JSON wins a tie or anything unknown."""
    if not accept:
        return False
    wanted = quality(accept, offered)
    return wanted > 0 and wanted > quality(accept, JSON)

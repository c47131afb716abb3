"""Swagger UI and ReDoc, served from GPS itself so they work with no internet access."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
OPENAPI_URL = "/v1/openapi.json"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"

router = APIRouter(include_in_schema=False)

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def console_policy(html: str) -> str:
    """The Content-Security-Policy of a console page: scripts only from GPS itself and the
    page's own inline scripts (by hash), connections only to GPS, never framed.

    Styles may be inline (Swagger UI and ReDoc set them from script); ReDoc searches in a
    worker it makes from a blob.
    """
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(html))
    return ("default-src 'none'; "
            f"script-src 'self'{' ' + hashes if hashes else ''}; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
            "connect-src 'self'; worker-src blob:; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


def _console(page: HTMLResponse) -> HTMLResponse:
    html = bytes(page.body).decode()
    return HTMLResponse(html, headers={"Content-Security-Policy": console_policy(html),
                                       "X-Frame-Options": "DENY"})


@router.get("/docs")
def swagger_ui() -> HTMLResponse:
    return _console(get_swagger_ui_html(
        openapi_url=OPENAPI_URL, title="GPS — API console",
        swagger_js_url="/static/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url="/static/swagger-ui/swagger-ui.css",
        swagger_favicon_url="/static/swagger-ui/favicon-32x32.png",
        oauth2_redirect_url=OAUTH2_REDIRECT_URL,
        swagger_ui_parameters={"persistAuthorization": True, "displayRequestDuration": True,
                               "tryItOutEnabled": True},
        init_oauth={"usePkceWithAuthorizationCodeGrant": False},
    ))


@router.get(OAUTH2_REDIRECT_URL)
def swagger_ui_redirect() -> HTMLResponse:
    return _console(get_swagger_ui_oauth2_redirect_html())


_REDOC_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>GPS — API reference</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/static/swagger-ui/favicon-32x32.png">
<style>body {{ margin: 0; padding: 0; }}</style></head>
<body><redoc spec-url="{spec}"></redoc>
<script src="/static/redoc/redoc.standalone.js"></script></body></html>"""


@router.get("/redoc")
def redoc() -> HTMLResponse:
    return _console(HTMLResponse(_REDOC_PAGE.format(spec=OPENAPI_URL)))

"""Swagger UI and ReDoc, served from GPS itself so they work with no internet access."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
OPENAPI_URL = "/v1/openapi.json"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"

router = APIRouter(include_in_schema=False)


@router.get("/docs")
def swagger_ui() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=OPENAPI_URL, title="GPS — API console",
        swagger_js_url="/static/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url="/static/swagger-ui/swagger-ui.css",
        swagger_favicon_url="/static/swagger-ui/favicon-32x32.png",
        oauth2_redirect_url=OAUTH2_REDIRECT_URL,
        swagger_ui_parameters={"persistAuthorization": True, "displayRequestDuration": True,
                               "tryItOutEnabled": True},
        init_oauth={"usePkceWithAuthorizationCodeGrant": False},
    )


@router.get(OAUTH2_REDIRECT_URL)
def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


_REDOC_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>GPS — API reference</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/static/swagger-ui/favicon-32x32.png">
<style>body {{ margin: 0; padding: 0; }}</style></head>
<body><redoc spec-url="{spec}"></redoc>
<script src="/static/redoc/redoc.standalone.js"></script></body></html>"""


@router.get("/redoc")
def redoc() -> HTMLResponse:
    return HTMLResponse(_REDOC_PAGE.format(spec=OPENAPI_URL))

"""Swagger UI in a real browser: sign in with Authorize and call GET /v1/me, offline.

Starts `gps serve` as a subprocess on its own SQLite database with a bootstrap admin, drives
headless Chromium (Debian's `chromium` package) with Playwright, and refuses every request
that leaves the server, so the page must work with no internet access.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
EMAIL, PASSWORD = "boot@example.org", "bootstrap-password"

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, db_kind: str) -> Iterator[str]:
    if db_kind != "sqlite":
        pytest.skip("the browser test runs once, in the SQLite run")
    port = _free_port()
    folder = tmp_path_factory.mktemp("browser")
    env = {**os.environ, "GPS_DATABASE_URL": f"sqlite:///{folder}/gps.db",
           "GPS_BOOTSTRAP_ADMIN_EMAIL": EMAIL, "GPS_BOOTSTRAP_ADMIN_PASSWORD": PASSWORD}
    process = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("gps serve did not become ready")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        message = "Chromium is not installed (Debian package `chromium`)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield launched
        launched.close()


def test_sign_in_with_authorize_and_call_me(server, browser):
    page = browser.new_page()
    left_the_server: list[str] = []

    def only_local(route):
        if route.request.url.startswith(server):
            route.continue_()
        else:
            left_the_server.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    page.goto(f"{server}/docs")
    page.click(".swagger-ui .btn.authorize")
    page.fill("#oauth_username", EMAIL)
    page.fill("#oauth_password", PASSWORD)
    # The dialog lists the password flow first, then client credentials.
    password_flow = page.locator(".modal-ux .auth-container").first
    password_flow.locator("button.authorize").click()
    password_flow.get_by_text("Authorized").wait_for()
    password_flow.locator("button.btn-done").click()

    operation = page.locator("#operations-identity-get_me")
    operation.locator(".opblock-summary").click()
    # "Try it out" is on from the start (tryItOutEnabled).
    operation.locator(".execute").click()
    answer = operation.locator(".live-responses-table tbody .response").first
    answer.wait_for()
    assert answer.locator(".response-col_status").inner_text().strip() == "200"
    body = answer.locator(".microlight").first.inner_text()
    assert EMAIL in body and '"admin"' in body
    assert left_the_server == []

"""Two real GPS processes on the run's one PostgreSQL database, as replicas would run.

Each is `gps serve` on a free port with a small pool, configured only through `GPS_*`
variables, sharing the test run's JWT secret and webhook secrets. Their output goes to files;
when a test fails, the end of each process's output is added to the failure report. The
processes are always stopped when the module's tests are done.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from app.settings import Settings
from tests.conftest import GITHUB_SECRET, JIRA_SECRET

POOL_SIZE = 2  # per process (plus the engine's overflow): PostgreSQL's connections are shared
READY_WITHIN_SECONDS = 60
OUTPUT_LINES = 80


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gps_command() -> list[str]:
    """The installed `gps` script beside this Python, else the same entry point as a module."""
    script = shutil.which("gps", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "app.cli"]


def gps_environment(settings: Settings) -> dict[str, str]:
    """The environment a replica (or `gps evaluate`) gets: the test run's settings, as
    `GPS_*` variables, and nothing from a developer's own `GPS_*` settings."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("GPS_")}
    return {**inherited,
            "GPS_ENV": "test",
            "GPS_DATABASE_URL": settings.database_url,
            "GPS_DATABASE_POOL_SIZE": str(POOL_SIZE),
            "GPS_JWT_SECRET": settings.jwt_secret.get_secret_value(),
            "GPS_JWT_ISSUER": settings.jwt_issuer,
            "GPS_JWT_AUDIENCE": settings.jwt_audience,
            "GPS_MAX_BODY_BYTES": str(settings.max_body_bytes),
            "GPS_JIRA_WEBHOOK_SECRET": JIRA_SECRET,
            "GPS_GITHUB_WEBHOOK_SECRET": GITHUB_SECRET,
            "GPS_LOG_LEVEL": "INFO"}


@dataclass
class Replica:
    name: str
    port: int
    process: subprocess.Popen
    output: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def tail(self) -> str:
        lines = self.output.read_text(errors="replace").splitlines()
        state = "running" if self.process.poll() is None else f"exited {self.process.returncode}"
        return "\n".join([f"[{state}]", *lines[-OUTPUT_LINES:]])


@dataclass
class Cluster:
    replicas: list[Replica]
    env: dict[str, str]
    workdir: Path

    @property
    def urls(self) -> list[str]:
        return [r.url for r in self.replicas]


def _wait_ready(replica: Replica) -> None:
    deadline = time.monotonic() + READY_WITHIN_SECONDS
    while time.monotonic() < deadline:
        if replica.process.poll() is not None:
            pytest.fail(f"{replica.name} exited before it was ready:\n{replica.tail()}")
        try:
            if httpx.get(f"{replica.url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{replica.name} was not ready within {READY_WITHIN_SECONDS} s:\n"
                f"{replica.tail()}")


def _stop(replica: Replica) -> None:
    if replica.process.poll() is None:
        replica.process.terminate()
        try:
            replica.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            replica.process.kill()
            replica.process.wait(timeout=15)


@pytest.fixture(scope="module")
def cluster(settings: Settings, migrated: None,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Two `gps serve` processes, started together (so they also race to migrate)."""
    workdir = tmp_path_factory.mktemp("replicas")  # no stray .env is read from here
    env = gps_environment(settings)
    replicas: list[Replica] = []
    try:
        for name in ("replica-a", "replica-b"):
            port = _free_port()
            output = workdir / f"{name}.log"
            with output.open("wb") as sink:
                process = subprocess.Popen(
                    [*gps_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
                    cwd=workdir, env=env, stdout=sink, stderr=subprocess.STDOUT)
            replicas.append(Replica(name, port, process, output))
        for replica in replicas:
            _wait_ready(replica)
        yield Cluster(replicas, env, workdir)
    finally:
        for replica in replicas:
            _stop(replica)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """On failure, show what each replica printed."""
    outcome = yield
    report = outcome.get_result()
    running = getattr(item, "funcargs", {}).get("cluster")
    if report.failed and isinstance(running, Cluster):
        for replica in running.replicas:
            report.sections.append((f"{replica.name} (port {replica.port}) output",
                                    replica.tail()))

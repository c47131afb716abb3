"""Starting GPS (`gps serve`) and the bare app, and reading their workers' memory."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def workers(self) -> list[int]:
        """The worker processes: the server itself with one worker, else its children."""
        children = _children(self.process.pid)
        workers = [c for c in children if _is_worker(c)]
        return workers or [self.process.pid]


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            text = Path(f"/proc/{pid}/task/{task}/children").read_text()
            found += [int(c) for c in text.split()]
    except OSError:
        return []
    return found


def _is_worker(pid: int) -> bool:
    """uvicorn's workers are spawned processes (not its resource tracker)."""
    try:
        return "spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False


def rss_mb(pid: int) -> float:
    """Resident memory of a process (VmRSS), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped; see {log}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer in time; see {log}")


@contextmanager
def serving(name: str, command: list[str], *, port: int, env: dict[str, str],
            log_dir: Path) -> Iterator[Server]:
    log = log_dir / f"{name}.log"
    with log.open("ab") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out,
                                   start_new_session=True)
    server = Server(name, port, process)
    try:
        _wait_ready(server.url, process, log)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def gps(workers: int, *, port: int, env: dict[str, str], log_dir: Path, name: str):
    gps_bin = str(Path(sys.executable).with_name("gps"))
    return serving(name, [gps_bin, "serve", "--port", str(port), "--workers", str(workers)],
                   port=port, env=env, log_dir=log_dir)


def bare(workers: int, *, port: int, env: dict[str, str], log_dir: Path, name: str):
    return serving(name, [sys.executable, "-m", "benchmarks.bare", "--port", str(port),
                          "--workers", str(workers)], port=port, env=env, log_dir=log_dir)


class RssSampler:
    """Samples a process's resident memory every few milliseconds, in a thread."""

    def __init__(self, pid: int, every: float = 0.02) -> None:
        self.pid, self.every = pid, every
        self.peak = self.start = rss_mb(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb(self.pid))
            time.sleep(self.every)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mb(self.pid))

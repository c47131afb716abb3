"""Driving load with wrk (Debian's package), pinned to its own core, from a request file."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

LUA = Path(__file__).with_name("lua") / "requests.lua"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: str = ""

    def line(self) -> str:
        fields = [self.method, self.path, self.body]
        for name, value in self.headers.items():
            fields += [name, value]
        if any("\t" in f or "\n" in f for f in fields):
            raise ValueError("a request field holds a tab or a newline")
        return "\t".join(fields)


@dataclass(frozen=True)
class Run:
    """What one wrk run measured (latencies in milliseconds)."""

    command: str
    requests: int
    seconds: float
    rps: float
    p50: float
    p90: float
    p95: float
    p99: float
    mean: float
    errors: int
    figures: dict[str, int]


def write_requests(path: Path, requests: Iterable[Request]) -> int:
    n = 0
    with path.open("w", encoding="utf-8") as f:
        for r in requests:
            f.write(r.line() + "\n")
            n += 1
    return n


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("wrk is not installed: `apt-get install -y wrk` (make bench does it)")
    return found


def pin(core: int | None) -> list[str]:
    """`taskset -c CORE` when the machine has that core and taskset exists."""
    if core is None or shutil.which("taskset") is None or core >= (os.cpu_count() or 1):
        return []
    return ["taskset", "-c", str(core)]


def _shown(command: list[str], core: int | None) -> str:
    """The command as RESULTS.md shows it: `wrk` by name, files by name, no paths of this
    machine (the request file is written afresh by each run)."""
    parts = command[len(pin(core)):]
    shown = ["wrk" if part == wrk_binary() else Path(part).name if part.startswith("/")
             else part for part in parts]
    return " ".join([*(["taskset", "-c", str(core)] if pin(core) else []), *shown])


def wrk(url: str, request_file: Path, *, seconds: float, connections: int, threads: int = 1,
        mode: str = "cycle", core: int | None = None, timeout_s: int = 30,
        until: Callable[[], bool] | None = None) -> Run:
    """Run wrk; with `until`, interrupt it as soon as `until()` is true (checked twice a
    second), else let it run `seconds`."""
    command = [*pin(core), wrk_binary(), f"-t{threads}", f"-c{connections}",
               f"-d{max(1, round(seconds))}s", f"--timeout={timeout_s}s", "--latency",
               "-s", str(LUA), url, "--", str(request_file), mode, str(threads)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    if until is not None:
        deadline = time.monotonic() + seconds
        while process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
            if until():
                process.send_signal(signal.SIGINT)
                break
    out, err = process.communicate(timeout=seconds + 60)
    lines = [line for line in out.splitlines() if line.startswith("BENCH_JSON ")]
    if not lines:
        raise RuntimeError(f"wrk printed no figures:\n{out}\n{err}")
    data = json.loads(lines[-1].removeprefix("BENCH_JSON "))
    secs = data["duration_us"] / 1e6
    return Run(command=_shown(command, core), requests=data["requests"], seconds=secs,
        rps=data["requests"] / secs if secs else 0.0,
        p50=data["p50_us"] / 1000, p90=data["p90_us"] / 1000, p95=data["p95_us"] / 1000,
        p99=data["p99_us"] / 1000, mean=data["mean_us"] / 1000,
        errors=data["connect_errors"] + data["read_errors"] + data["write_errors"]
        + data["timeouts"] + data["non_2xx"],
        figures={k: data[k] for k in ("issued", "answered", "ok", "dup", "err")})

"""Run wrk, bounded in time, and read its numbers."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).with_name("report.lua")
NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")
GRACE = 30  # seconds wrk may take beyond its duration before it is killed


@dataclass(frozen=True)
class Load:
    """How hard to push: wrk threads, open connections, seconds."""

    threads: int
    connections: int
    seconds: int


@dataclass(frozen=True)
class Result:
    """One wrk run: throughput, latency percentiles (ms) and every kind of failure."""

    requests: int
    per_second: float
    mean_ms: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    non_2xx: int  # answers of 4xx or 5xx (wrk's "Non-2xx or 3xx responses")
    socket_errors: int  # connect, read, write errors and timeouts

    @property
    def clean(self) -> bool:
        return self.non_2xx == 0 and self.socket_errors == 0


def available() -> bool:
    return shutil.which("wrk") is not None


def run(url: str, authorization: str | None, load: Load) -> Result:
    """Load ``url`` for ``load.seconds`` s; the credential travels in the environment.

    Raise ``RuntimeError`` if wrk fails or prints no report.
    """
    env = {**os.environ, "WRK_AUTHORIZATION": authorization or ""}
    command = [
        "wrk",
        f"-t{load.threads}",
        f"-c{load.connections}",
        f"-d{load.seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(SCRIPT),
        url,
    ]
    done = subprocess.run(  # noqa: S603  (a fixed argv, no shell)
        command,
        env=env,
        capture_output=True,
        text=True,
        timeout=load.seconds + GRACE,
        check=False,
    )
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("WRKJSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    raw = json.loads(line.removeprefix("WRKJSON "))
    printed = NON_2XX.search(done.stdout)
    return Result(
        requests=raw["requests"],
        per_second=raw["requests"] / (raw["duration_us"] / 1e6),
        mean_ms=raw["mean_us"] / 1000,
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        p999_ms=raw["p999_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        non_2xx=max(raw["status"], int(printed.group(1)) if printed else 0),
        socket_errors=raw["connect"] + raw["read"] + raw["write"] + raw["timeout"],
    )

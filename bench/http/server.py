"""A ``tokenward serve`` process for the HTTP benchmark: start, find its workers, stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

TOKENWARD = Path(sys.executable).parent / "tokenward"
START_TIMEOUT = 60.0
# The caller's configuration must not leak into the server's: only what we set counts.
FOREIGN = ("TOKENWARD_", "DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(data_dir: Path, extra: dict[str, str]) -> dict[str, str]:
    """Return the environment of a server or CLI call on ``data_dir``, with ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN)}
    env.update(TOKENWARD_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1", **extra)
    return env


@dataclass
class Server:
    """A running ``tokenward serve`` (gunicorn's master after its exec) and its log."""

    process: subprocess.Popen[bytes]
    url: str
    env: dict[str, str]
    log: Path

    def cli(self, *args: str, stdin: str | None = None) -> str:
        """Run ``tokenward`` against this server's database; return what it printed."""
        done = subprocess.run(  # noqa: S603  (our own command, no shell)
            [str(TOKENWARD), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"tokenward {args[0]} failed: {done.stderr.strip()}")
        return done.stdout

    def workers(self) -> list[int]:
        """Return the pids of gunicorn's workers: the master's children."""
        pid = self.process.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            return sorted(int(child) for child in children)
        except OSError:
            return sorted(p for p in _all_pids() if _parent(p) == pid)

    def stop(self) -> None:
        """Stop the process group (master and workers); kill it if it lingers."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)


def _all_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _parent(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    """Return ``field`` of /proc/<pid>/status in KiB (``VmRSS``: resident now, ``VmHWM``:
    its peak), 0 if the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def start(data_dir: Path, extra_env: dict[str, str], workers: int) -> Server:
    """Start ``tokenward serve`` on 127.0.0.1 and a free port; wait (bounded) for an answer.

    Raise ``RuntimeError`` with the server's output if it exits or does not answer.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    env = server_env(data_dir, extra_env)
    port = free_port()
    log = data_dir.parent / f"serve-{port}.log"
    command = [str(TOKENWARD), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603  (our own command, no shell)
            [*command, "--workers", str(workers)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=data_dir.parent,
            start_new_session=True,  # its own process group: the workers die with it
        )
    server = Server(process, f"http://127.0.0.1:{port}", env, log)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"tokenward serve exited early:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(server.url + "/api/schema", timeout=5).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    server.stop()
    raise RuntimeError(f"tokenward serve did not answer in {START_TIMEOUT} s")

"""A PostgreSQL server and a Redis server of a test's own, on spare ports, that it may stop.

Tests that stop a database must not stop the one the rest of the suite uses: these start
their own from the binaries on this machine, and skip with the reason when they cannot.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import service_answers
from tests.live_server import free_port

START_SECONDS = 30


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: p.split("/")[4])
    return Path(found[-1]).parent if found else None


@dataclass
class OwnPostgres:
    """A throw-away PostgreSQL cluster (trust authentication) listening on 127.0.0.1:``port``."""

    bin_dir: Path
    root: Path
    port: int
    as_user: str | None  # run pg_ctl as this OS user (we are root: initdb refuses root)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = START_SECONDS) -> subprocess.CompletedProcess:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self.as_user:
            command = ["runuser", "-u", self.as_user, "--", *command]
        return subprocess.run(
            command, capture_output=True, text=True, timeout=timeout + 10, check=False
        )

    def start(self) -> None:
        """Start the server and wait (bounded) until it accepts connections."""
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        done = self._run(
            "pg_ctl",
            "-D",
            str(self.root / "data"),
            "-o",
            options,
            "-l",
            str(self.root / "server.log"),
            "-w",
            "-t",
            str(START_SECONDS),
            "start",
        )
        assert done.returncode == 0, done.stdout + done.stderr + self.log()

    def stop(self) -> None:
        """Stop the server at once, as a crash or a pulled cable would (``-m immediate``)."""
        done = self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop")
        assert done.returncode == 0, done.stdout + done.stderr

    def log(self) -> str:
        with suppress(OSError):
            return (self.root / "server.log").read_text(errors="replace")
        return ""


@contextmanager
def own_postgres() -> Iterator[OwnPostgres]:
    """Yield a running PostgreSQL of this test's own; it is stopped and removed afterwards.

    Skip (with the reason) when the binaries are missing or cannot run here.
    """
    bin_dir = _postgres_bin()
    if bin_dir is None or not (bin_dir / "pg_ctl").exists():
        pytest.skip("no PostgreSQL binaries under /usr/lib/postgresql/*/bin")
    as_user = None
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser: initdb refuses to run as root")
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' OS user to run initdb as")
        as_user = "postgres"
    root = Path(tempfile.mkdtemp(prefix="tokenward-own-pg-"))
    if as_user:
        os.chown(root, account.pw_uid, account.pw_gid)
    server = OwnPostgres(bin_dir, root, free_port(), as_user)
    try:
        made = server._run(
            "initdb", "-D", str(root / "data"), "-A", "trust", "-U", "postgres", "--no-sync"
        )
        if made.returncode != 0:
            pytest.skip(f"initdb failed here: {made.stderr.strip()[:300]}")
        server.start()
        yield server
    finally:
        if (root / "data" / "postmaster.pid").exists():
            server._run("pg_ctl", "-D", str(root / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class OwnRedis:
    """A ``redis-server`` of this test's own, without persistence, on 127.0.0.1:``port``."""

    process: subprocess.Popen
    port: int

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


@contextmanager
def own_redis() -> Iterator[OwnRedis]:
    """Yield a running Redis of this test's own; it is stopped afterwards whatever happened."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("no redis-server binary on this machine")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = OwnRedis(process, port)
    try:
        deadline = time.monotonic() + START_SECONDS
        while not service_answers(port):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.skip(f"redis-server did not start on port {port}")
            time.sleep(0.1)
        yield server
    finally:
        server.stop()

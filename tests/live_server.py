"""A real ``tokenward serve`` process for tests: gunicorn on a free port, its own data folder."""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

TOKENWARD = Path(sys.executable).parent / "tokenward"
START_TIMEOUT = 60.0
SHOWN_ONCE = re.compile(r"Its password, shown only now: (\S+)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A running ``tokenward serve`` process, its data folder, and everything it printed."""

    process: subprocess.Popen[bytes]
    data_dir: Path
    log: Path
    url: str
    env: dict[str, str] = field(default_factory=dict)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def get(self, path: str, **kwargs) -> httpx.Response:
        return httpx.get(self.url + path, timeout=10, **kwargs)

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``tokenward`` on this server's data folder, as its operator would."""
        return subprocess.run(
            [str(TOKENWARD), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env,
            timeout=60,
            check=False,
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)


def server_env(data_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a server (or a CLI call) on ``data_dir``, free of the caller's."""
    skip = ("TOKENWARD_", "DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
    env = {k: v for k, v in os.environ.items() if not k.startswith(skip)}
    env.update(TOKENWARD_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1", **(extra or {}))
    return env


def start(
    data_dir: Path,
    admin_password: str | None,
    extra_env: dict[str, str] | None = None,
    *,
    workers: int = 1,
) -> Server:
    """Start ``tokenward serve`` on a free port and wait (bounded) until it answers."""
    env = server_env(data_dir, extra_env)
    if admin_password:
        env["TOKENWARD_ADMIN_PASSWORD"] = admin_password
    port = free_port()
    log = data_dir.parent / f"serve-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(TOKENWARD),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=data_dir.parent,
            start_new_session=True,  # its own process group: gunicorn's workers die with it
        )
    server = Server(process, data_dir, log, f"http://127.0.0.1:{port}", env)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"tokenward serve exited early:\n{server.output()}")
        try:
            if server.get("/api/schema").status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    server.stop()
    raise AssertionError(f"tokenward serve did not answer in {START_TIMEOUT} s:\n{server.output()}")


# --- Helpers for tests that look inside a running server (additive) -------------------------

SQLITE_FILE = "tokenward.sqlite3"


def suite_postgres_url() -> str | None:
    """Return the suite's ``DATABASE_URL`` if it names PostgreSQL, else None (SQLite run)."""
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


@contextmanager
def throwaway_database(label: str) -> Iterator[str | None]:
    """Yield a ``DATABASE_URL`` for a live server that matches the suite's database.

    On a PostgreSQL run: a new database on the suite's server, dropped afterwards whatever
    happened, so that parallel runs and pytest-django's own test database never meet. On a
    SQLite run: None, and the server keeps its file in its own data folder.
    """
    url = suite_postgres_url()
    if url is None:
        yield None
        return
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    name = f"tw_{label}_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as admin:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            admin.execute(drop.format(sql.Identifier(name)))


def database_rows(server: Server, query: str, params: tuple = ()) -> list[tuple]:
    """Run one read-only ``query`` (``%s`` placeholders) on ``server``'s own database."""
    url = server.env.get("DATABASE_URL")
    if url:
        import psycopg

        with psycopg.connect(url, connect_timeout=5) as conn:
            return conn.execute(query, params).fetchall()
    conn = sqlite3.connect(server.data_dir / SQLITE_FILE, timeout=20)
    try:
        return conn.execute(query.replace("%s", "?"), params).fetchall()
    finally:
        conn.close()


def worker_pids(server: Server) -> list[int]:
    """Return the pids of the server's gunicorn workers: the children of its master."""
    pid = server.process.pid
    children: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            children.update(int(c) for c in (task / "children").read_text().split())
        except OSError:
            continue
    return sorted(children)

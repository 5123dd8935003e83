"""Run `make bench-http`: wrk against ``tokenward serve`` on SQLite, then PostgreSQL.

``python -m bench.http.run`` starts a server per database on a throw-away data folder
(and, for PostgreSQL, a throw-away database), makes a user and credentials, loads one small
endpoint with each credential, prints the table and writes docs/benchmarks-http.md. Every
server is stopped and every database dropped, whatever happens.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.http import fixtures, report, server, wrk

DOCS = Path(__file__).resolve().parents[2] / "docs"
PG_HOST, PG_PORT = "127.0.0.1", 5432
SETTLE_SECONDS = 1.5
PG_ADMIN_URL = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/postgres"


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.http.run", description=__doc__)
    parser.add_argument("--seconds", type=int, default=10, help="measured seconds per run")
    parser.add_argument("--warmup", type=int, default=2, help="warm-up seconds per run")
    parser.add_argument("--rounds", type=int, default=3, help="runs per credential")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--no-write", action="store_true", help="print only")
    return parser.parse_args()


@contextmanager
def postgres_database() -> Iterator[str]:
    """Yield the URL of a new PostgreSQL database; drop it on the way out."""
    import psycopg
    from psycopg import sql

    name = sql.Identifier(f"bench_http_{os.getpid()}")
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(name))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(name))
    try:
        yield f"postgres://postgres@{PG_HOST}:{PG_PORT}/{name.as_string()[1:-1]}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))


def _postgres_answers() -> str | None:
    """Return why PostgreSQL cannot be used, or None if it can."""
    try:
        socket.create_connection((PG_HOST, PG_PORT), timeout=2).close()
    except OSError:
        return f"PostgreSQL: nothing answers at {PG_HOST}:{PG_PORT}"
    try:
        import psycopg

        psycopg.connect(PG_ADMIN_URL, connect_timeout=5).close()
    except Exception as exc:  # any failure is a reason to skip, and is reported
        return f"PostgreSQL at {PG_HOST}:{PG_PORT} refused the connection: {exc}"
    return None


def _one(
    srv: server.Server,
    database: str,
    url: str,
    name: str,
    value: str | None,
    args: argparse.Namespace,
) -> report.Run:
    """Warm up, then measure one credential; sample the workers' memory around both."""
    before = srv.workers()
    rss_before = tuple(server.rss_kib(pid) for pid in before)
    load = wrk.Load(args.threads, args.connections, args.seconds)
    wrk.run(url, value, wrk.Load(args.threads, args.connections, args.warmup))
    result = wrk.run(url, value, load)
    # A request still running when wrk stops may be an Argon2 hash holding 100 MiB for a
    # moment (Basic after its cache entry expired): let it finish before sampling.
    time.sleep(SETTLE_SECONDS)
    after = srv.workers()
    rss_after = tuple(server.rss_kib(pid) for pid in after)
    print(
        f"  {name:<24} {result.per_second:8,.0f} req/s  p50 {result.p50_ms:5.1f} ms  "
        f"p99 {result.p99_ms:6.1f} ms  non-2xx {result.non_2xx}  "
        f"socket errors {result.socket_errors}",
        flush=True,
    )
    return report.Run(database, name, result, rss_before, rss_after, before == after)


def measure(
    database: str, extra_env: dict[str, str], args: argparse.Namespace
) -> tuple[list[report.Run], str, tuple[int, ...]]:
    """Start a server on ``database``, make the fixtures, load every credential, stop it;
    return the runs, the path requested and the workers' peak RSS (KiB)."""
    print(f"== {database} ==", flush=True)
    with tempfile.TemporaryDirectory(prefix="tokenward-bench-http-") as tmp:
        env = {**extra_env, "TOKENWARD_ADMIN_PASSWORD": f"pw-{secrets.token_urlsafe(16)}"}
        srv = server.start(Path(tmp) / "data", env, args.workers)
        try:
            made = fixtures.make(srv)
            url = srv.url + made.path
            # Rounds interleave the credentials, so that a slow spell of the machine does
            # not fall on one credential alone.
            runs = [
                _one(srv, database, url, name, value, args)
                for _ in range(args.rounds)
                for name, value in made.credentials.items()
            ]
            peaks = tuple(server.rss_kib(pid, "VmHWM") for pid in srv.workers())
            return runs, made.path, peaks
        finally:
            srv.stop()


def main() -> int:
    """Measure on every database that answers; print and write the report."""
    args = _arguments()
    # A plain kill must still stop the servers and drop the database: unwind through finally.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not wrk.available():
        print("== wrk is not installed (apt-get install wrk): bench-http skipped ==")
        return 0
    skipped: list[str] = []
    load_before = os.getloadavg()[0]
    runs, path, peak = measure("SQLite", {}, args)
    peaks = {"SQLite": peak}
    if reason := _postgres_answers():
        skipped.append(reason)
        print(f"== {reason}: skipped ==")
    else:
        with postgres_database() as url:
            more, _, peaks["PostgreSQL"] = measure("PostgreSQL", {"DATABASE_URL": url}, args)
            runs += more
    load = wrk.Load(args.threads, args.connections, args.seconds)
    setup = report.Setup(load, args.warmup, args.rounds, args.workers, path, load_before)
    text = report.render(runs, skipped, setup, peaks)
    print()
    print(text)
    if not args.no_write:
        (DOCS / "benchmarks-http.md").write_text(text, encoding="utf-8")
        print(f"Wrote {DOCS / 'benchmarks-http.md'}")
    return 0 if all(run.result.clean for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())

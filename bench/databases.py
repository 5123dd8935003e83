"""The throw-away databases `make bench` runs on: SQLite, then PostgreSQL where it answers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dj_database_url
from django.conf import settings
from django.core.management import call_command
from django.db import connections

# The server `make test` uses; BENCH_PG_URL names another (its database part is ignored).
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def use_default(database: dict[str, Any]) -> None:
    """Point the ``default`` alias at ``database`` from the next query on."""
    connections.close_all()
    settings.DATABASES["default"] = database
    # Forget the configured settings and the open wrappers: rebuilt lazily from DATABASES.
    connections.__dict__.pop("settings", None)
    connections._settings = None
    for alias in list(connections):
        if hasattr(connections._connections, alias):
            del connections[alias]


def postgres_unavailable() -> str | None:
    """Return why PostgreSQL cannot be used, or None if it answers."""
    try:
        import psycopg

        with psycopg.connect(_admin_url(), connect_timeout=3):
            return None
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc).strip() or 'no answer'}"


@contextmanager
def postgres(name: str) -> Iterator[dict[str, Any]]:
    """Create database ``name``, migrate it and make it the default; drop it afterwards."""
    import psycopg

    with psycopg.connect(_admin_url(), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    previous = settings.DATABASES["default"]
    database = dj_database_url.parse(
        _url_for(name), conn_max_age=previous.get("CONN_MAX_AGE", 0), conn_health_checks=True
    )
    try:
        use_default(database)
        call_command("migrate", verbosity=0)
        yield database
    finally:
        use_default(previous)
        with psycopg.connect(_admin_url(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def describe() -> str:
    """Name the database ``default`` points at, with its server version."""
    connection = connections["default"]
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        major, minor = divmod(connection.pg_version, 10000)
        return f"PostgreSQL {major}.{minor}"
    return f"SQLite {connection.Database.sqlite_version}"


def _admin_url() -> str:
    return _url_for("postgres")


def _url_for(name: str) -> str:
    return f"{PG_URL.rsplit('/', 1)[0]}/{name}"

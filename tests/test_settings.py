"""Configuration from the environment: DATABASE_URL and REDIS_URL select real backends."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import service_answers

PROBE = """
from django.core.cache import cache
from django.db import connection
import uuid
key = "probe-" + uuid.uuid4().hex
cache.set(key, "value", 30)
from django.core.cache import caches
print(type(caches["default"]).__name__, cache.get(key), connection.vendor)
cache.delete(key)
"""


def run_probe(tmp_path, **env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    environ.update(TOKENWARD_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="tokenward.settings")
    environ.update(env)
    code = "import django; django.setup()\n" + PROBE
    result = subprocess.run(
        [sys.executable, "-c", code], env=environ, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_defaults_are_sqlite_and_local_memory(tmp_path):
    assert run_probe(tmp_path) == "LocMemCache value sqlite"


@pytest.mark.redis
@pytest.mark.skipif(not service_answers(6379), reason="no Redis answers at 127.0.0.1:6379")
def test_redis_url_uses_redis_for_the_cache(tmp_path):
    assert run_probe(tmp_path, REDIS_URL="redis://127.0.0.1:6379/0") == "RedisCache value sqlite"


@pytest.mark.postgres
@pytest.mark.skipif(not service_answers(5432), reason="no PostgreSQL answers at 127.0.0.1:5432")
def test_database_url_uses_postgresql(tmp_path):
    output = run_probe(tmp_path, DATABASE_URL="postgres://postgres@127.0.0.1:5432/test")
    assert output == "LocMemCache value postgresql"


LOCKOUT_PROBE = """
import django; django.setup()
from tokenward.conf import setting
names = ("ACCOUNT_FAILURES", "ADDRESS_FAILURES", "WINDOW_SECONDS")
print(*(setting(f"LOCKOUT_{name}") for name in names))
"""


def run_lockout_probe(tmp_path, **env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("TOKENWARD_")}
    environ.update(TOKENWARD_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="tokenward.settings")
    environ.update(env)
    result = subprocess.run(
        [sys.executable, "-c", LOCKOUT_PROBE],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_lockout_limits_default_to_10_and_50_failures_in_15_minutes(tmp_path):
    assert run_lockout_probe(tmp_path) == "10 50 900"


def test_the_lockout_limits_come_from_the_environment(tmp_path):
    output = run_lockout_probe(
        tmp_path,
        TOKENWARD_LOCKOUT_ACCOUNT_FAILURES="5",
        TOKENWARD_LOCKOUT_ADDRESS_FAILURES="20",
        TOKENWARD_LOCKOUT_WINDOW_SECONDS="60",
    )
    assert output == "5 20 60"


def test_the_accounts_total_lockout_limit_defaults_to_100_and_comes_from_the_environment(
    tmp_path,
):
    probe = LOCKOUT_PROBE.replace(
        '"WINDOW_SECONDS")', '"WINDOW_SECONDS", "ACCOUNT_TOTAL_FAILURES")'
    )

    def run(**env: str) -> str:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("TOKENWARD_")}
        environ.update(
            TOKENWARD_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="tokenward.settings"
        )
        done = subprocess.run(
            [sys.executable, "-c", probe], env={**environ, **env}, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert run() == "10 50 900 100"
    assert run(TOKENWARD_LOCKOUT_ACCOUNT_TOTAL_FAILURES="400") == "10 50 900 400"


def test_a_bad_lockout_limit_is_kept_for_the_system_check_to_report(tmp_path):
    assert run_lockout_probe(tmp_path, TOKENWARD_LOCKOUT_ACCOUNT_FAILURES="0") == "0 50 900"

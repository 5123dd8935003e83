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

"""The data folder and the SQLite database are private to the server's user, whatever the umask."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_cli import environment, tokenward
from tokenward import datadir
from tokenward.tokens import checks

# Run under umask 022 in a fresh process: open the database, write, and while the
# connection is open (so -wal and -shm exist) report the mode of everything in the folder.
OPEN_AND_WRITE = """
import json, os, django
django.setup()
from django.conf import settings
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE probe (x)")
    cursor.execute("INSERT INTO probe VALUES (1)")
folder = settings.DATA_DIR
modes = {p.name: p.stat().st_mode & 0o777 for p in folder.iterdir() if p.is_file()}
modes["."] = folder.stat().st_mode & 0o777
print(json.dumps(modes))
"""


def modes_after_first_use(data_dir: Path) -> dict[str, int]:
    env = {**environment(data_dir), "DJANGO_SETTINGS_MODULE": "tokenward.settings"}
    done = subprocess.run(
        [sys.executable, "-c", OPEN_AND_WRITE],
        capture_output=True,
        text=True,
        env=env,
        cwd=data_dir.parent.parent,
        umask=0o022,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_sqlite_database_wal_shm_and_data_folder_are_not_readable_by_other_users(tmp_path):
    data = tmp_path / "fresh" / "data"

    modes = modes_after_first_use(data)

    assert modes["."] == 0o700
    for name in ("tokenward.sqlite3", "tokenward.sqlite3-wal", "tokenward.sqlite3-shm"):
        assert modes[name] == 0o600, f"{name} is {modes[name]:04o}"
    assert all(mode == 0o600 for name, mode in modes.items() if name != "."), modes  # keys too


def test_existing_database_and_its_companions_are_tightened(tmp_path):
    database = tmp_path / "old.sqlite3"
    companions = [
        database.with_name(f"old.sqlite3{suffix}") for suffix in ("-wal", "-shm", "-journal")
    ]
    for path in (database, *companions):
        path.write_bytes(b"")
        path.chmod(0o644)

    datadir.protect_sqlite_database(str(database))

    assert {path.name: path.stat().st_mode & 0o777 for path in (database, *companions)} == {
        path.name: 0o600 for path in (database, *companions)
    }


@pytest.mark.parametrize("name", ["", ":memory:", "file:memdb1?mode=memory&cache=shared"])
def test_in_memory_databases_create_no_file(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)

    datadir.protect_sqlite_database(name)

    assert list(tmp_path.iterdir()) == []


def test_existing_loose_data_folder_is_kept_as_found_and_reported_at_start_up(tmp_path, settings):
    tmp_path.chmod(0o755)
    settings.DATA_DIR = tmp_path

    warnings = checks.check_data_dir_mode()

    assert [w.id for w in warnings] == ["tokenward.W050"]
    assert str(tmp_path) in warnings[0].msg and "0755" in warnings[0].msg
    assert tmp_path.stat().st_mode & 0o777 == 0o755


def test_private_data_folder_draws_no_warning(tmp_path, settings):
    tmp_path.chmod(0o700)
    settings.DATA_DIR = tmp_path

    assert checks.check_data_dir_mode() == []
    assert datadir.loose_data_dir_warning(tmp_path) is None


def test_tokenward_prints_the_loose_data_folder_warning_and_starts_anyway(tmp_path):
    data = tmp_path / "shared"
    data.mkdir(mode=0o755)
    data.chmod(0o755)

    done = tokenward(data, "migrate")

    assert done.returncode == 0, done.stderr
    assert f"tokenward: warning: The data folder {data} is open to other users" in done.stderr
    assert "(tokenward.W050)" in done.stderr
    assert data.stat().st_mode & 0o777 == 0o755
    assert (data / "tokenward.sqlite3").stat().st_mode & 0o777 == 0o600

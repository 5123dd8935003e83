"""``tokenward maintain`` as cron runs it: real processes, two at once, on one database.

E-mails go to the console backend (the default), so each process's standard output holds
the messages it sent: across both, every token must be announced exactly once.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import service_answers
from tests.live_server import server_env, suite_postgres_url, throwaway_database

TOKENWARD = Path(sys.executable).parent / "tokenward"
POSTGRES = "postgres://postgres@127.0.0.1:5432/test"
OWNERS, DUE_EACH = 4, 5
SUMMARY = ("expiry notices", "unused tokens", "retention", "oauth")
NOTICE = re.compile(r"^Subject: Your personal access token (\S+) expires on ", re.MULTILINE)
UNUSED = "Subject: Your unused personal access token idle was revoked"

# Run in the installation's own interpreter, on its database: tokens that expire in three
# days, one unused for 400 days, one revoked 100 days ago.
SEED = f"""
import django; django.setup()
from datetime import timedelta
from django.utils import timezone
from tokenward.accounts.services import create_user
from tokenward.audit.services import ClientInfo
from tokenward.tokens.models import PersonalAccessToken
from tokenward.tokens.personal import issue_personal_token

client, now = ClientInfo(method="seed"), timezone.now()
for n in range({OWNERS}):
    owner = create_user(f"owner{{n}}", email=f"owner{{n}}@example.com")
    for t in range({DUE_EACH}):
        issue_personal_token(
            owner, name=f"due-{{n}}-{{t}}", client=client, expires_at=now + timedelta(days=3)
        )
idle = issue_personal_token(owner, name="idle", client=client).record
PersonalAccessToken.objects.filter(pk=idle.pk).update(created_at=now - timedelta(days=400))
old = issue_personal_token(owner, name="old", client=client).record
PersonalAccessToken.objects.filter(pk=old.pk).update(revoked_at=now - timedelta(days=100))
"""


@dataclass(frozen=True)
class Installation:
    data_dir: Path
    env: dict[str, str]

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(TOKENWARD), *args],
            capture_output=True,
            text=True,
            env={**self.env, **env},
            cwd=self.data_dir,
            timeout=120,
            check=False,
        )

    def rows(self, query: str) -> list[tuple]:
        """Run one read-only ``query`` on the installation's database."""
        url = self.env.get("DATABASE_URL")
        if url:
            import psycopg

            with psycopg.connect(url, connect_timeout=5) as conn:
                return conn.execute(query).fetchall()
        with closing(sqlite3.connect(self.data_dir / "tokenward.sqlite3", timeout=20)) as db:
            return db.execute(query).fetchall()


@pytest.fixture(
    scope="module",
    params=[
        "sqlite",
        pytest.param(
            "postgresql",
            marks=[
                pytest.mark.postgres,
                pytest.mark.skipif(
                    not service_answers(5432), reason="no PostgreSQL answers at 127.0.0.1:5432"
                ),
            ],
        ),
    ],
)
def installation(request, tmp_path_factory) -> Iterator[Installation]:
    """A migrated, seeded installation on a SQLite file or its own PostgreSQL database.

    Shared by this module's tests, in order: the dry runs change nothing, the last test runs
    the real thing.
    """
    data_dir = tmp_path_factory.mktemp(f"maintain-{request.param}") / "data"
    data_dir.mkdir(mode=0o700)  # private, as the server makes it: no W050 line
    if request.param == "sqlite":
        yield seeded(data_dir, None)
        return
    # A throw-away database on the local server, whichever database the suite itself uses.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", suite_postgres_url() or POSTGRES)
        with throwaway_database("maintain") as url:
            yield seeded(data_dir, url)


def seeded(data_dir: Path, database_url: str | None) -> Installation:
    env = server_env(data_dir, {"DATABASE_URL": database_url} if database_url else {})
    found = Installation(data_dir, env)
    migrated = found.run("migrate")
    assert migrated.returncode == 0, migrated.stderr
    done = subprocess.run(
        [sys.executable, "-c", SEED],
        capture_output=True,
        text=True,
        env={**env, "DJANGO_SETTINGS_MODULE": "tokenward.settings"},
        cwd=data_dir,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return found


def summary(stdout: str) -> dict[str, str]:
    """Return ``{step: counts}`` from the summary lines of one run's output."""
    lines = [line for line in stdout.splitlines() if line.startswith(SUMMARY)]
    return dict(line.split(": ", 1) for line in lines)


def count(pattern: str, text: str) -> int:
    found = re.search(pattern, text)
    assert found, (pattern, text)
    return int(found.group(1))


def test_a_dry_run_counts_and_sends_nothing(installation):
    done = installation.run("maintain", "--dry-run")

    assert done.returncode == 0, done.stderr
    assert "Subject:" not in done.stdout
    assert summary(done.stdout) == {
        "expiry notices (dry run)": f"{OWNERS * DUE_EACH} due",
        "unused tokens (dry run)": "would revoke 1 personal, 0 offline",
        "retention (dry run)": (
            "would remove 1 personal tokens, 0 session tokens, 0 offline tokens, 0 lockout counters"
        ),
        "oauth (dry run)": "skipped: clear_expired() has no dry run",
    }
    assert installation.rows(
        "SELECT COUNT(*) FROM tokens_personalaccesstoken WHERE expiry_notice_sent_at IS NULL"
        " AND revoked_at IS NULL"
    ) == [(OWNERS * DUE_EACH + 1,)]


def test_settings_come_from_the_environment_and_bad_ones_stop_it(installation):
    shorter = installation.run("maintain", "--dry-run", TOKENWARD_EXPIRY_NOTICE_DAYS="2")
    assert summary(shorter.stdout)["expiry notices (dry run)"] == "0 due"

    bad = installation.run("maintain", TOKENWARD_RETENTION_DAYS="soon")
    assert bad.returncode == 1
    assert bad.stdout == ""
    assert bad.stderr.count("\n") == 1
    assert "RETENTION_DAYS" in bad.stderr and "tokenward.E037" in bad.stderr
    assert "Traceback" not in bad.stderr


@contextmanager
def writes_held(installation: Installation) -> Iterator[Callable[[], None]]:
    """Hold back every write to the personal tokens (reads go on) until the block ends.

    Both runs then read the same tokens due and meet at their first claim, instead of one
    finishing before the other has started. Yield a wait for both runs to reach it.
    """
    url = installation.env.get("DATABASE_URL")
    if url:
        import psycopg

        with psycopg.connect(url, connect_timeout=5) as conn:
            conn.execute("LOCK TABLE tokens_personalaccesstoken IN SHARE MODE")
            with psycopg.connect(url, connect_timeout=5, autocommit=True) as probe:
                yield lambda: wait_for_waiters(probe, 2)
            conn.rollback()
        return
    db = sqlite3.connect(installation.data_dir / "tokenward.sqlite3", isolation_level=None)
    try:
        db.execute("BEGIN IMMEDIATE")  # the write lock; WAL readers are not blocked
        # SQLite cannot say who waits for its lock: give both runs time to start and block.
        yield lambda: time.sleep(6)
        db.execute("ROLLBACK")
    finally:
        db.close()


def wait_for_waiters(probe, count: int, timeout: float = 60) -> None:
    query = "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
    deadline = time.monotonic() + timeout
    while probe.execute(query).fetchone()[0] < count:
        assert time.monotonic() < deadline, "the runs never reached their first claim"
        time.sleep(0.1)


def test_two_runs_at_once_send_one_notice_per_token_and_exit_0(installation):
    with writes_held(installation) as both_waiting:
        runs = [
            subprocess.Popen(
                [str(TOKENWARD), "maintain"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=installation.env,
                cwd=installation.data_dir,
            )
            for _ in range(2)
        ]
        both_waiting()
    outputs = [run.communicate(timeout=120) for run in runs]

    assert [run.returncode for run in runs] == [0, 0], [err for _out, err in outputs]
    stdout = "".join(out for out, _err in outputs)
    assert "Traceback" not in "".join(err for _out, err in outputs)
    notices = Counter(NOTICE.findall(stdout))
    expected = {f"due-{n}-{t}" for n in range(OWNERS) for t in range(DUE_EACH)}
    assert set(notices) == expected
    assert set(notices.values()) == {1}
    assert stdout.count(UNUSED) == 1
    summaries = [summary(out) for out, _err in outputs]
    assert all(list(s) == list(SUMMARY) for s in summaries)
    assert sum(count(r"^(\d+) sent", s["expiry notices"]) for s in summaries) == len(expected)
    assert sum(count(r"^(\d+) personal revoked", s["unused tokens"]) for s in summaries) == 1
    assert sum(count(r"^removed (\d+) personal", s["retention"]) for s in summaries) == 1
    assert installation.rows(
        "SELECT COUNT(*) FROM tokens_personalaccesstoken WHERE expiry_notice_sent_at IS NOT NULL"
    ) == [(len(expected),)]
    assert installation.rows(
        "SELECT name FROM tokens_personalaccesstoken WHERE revoked_at IS NOT NULL"
    ) == [("idle",)]
    assert installation.rows(
        "SELECT COUNT(*) FROM audit_auditevent WHERE action = 'revoked' AND reason = 'unused'"
    ) == [(1,)]

    again = installation.run("maintain")
    assert again.returncode == 0
    assert summary(again.stdout)["expiry notices"].startswith("0 sent")
    assert "Subject:" not in again.stdout

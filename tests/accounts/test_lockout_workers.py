"""The lockout across worker processes: a real ``tokenward serve`` with two gunicorn workers,
whose failed attempts add up to one limit (the default: 10 per account) in the database."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.conftest import basic_header, new_password
from tests.live_server import Server, start

pytestmark = pytest.mark.live

WORKERS = 2
LIMIT = 10  # LOCKOUT_ACCOUNT_FAILURES's default
# gunicorn reads GUNICORN_CMD_ARGS after the config file: the access log gains the worker's pid.
PID_LOG = {"GUNICORN_CMD_ARGS": "--access-logformat='worker=%(p)s %(s)s \"%(r)s\"'"}
ACCESS = re.compile(r'worker=<(\d+)> (\d{3}) "GET /api/users/me HTTP/1.1"')


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[tuple[Server, str]]:
    data_dir = tmp_path_factory.mktemp("lockout-workers") / "data"
    data_dir.mkdir()
    password = new_password()
    running = start(data_dir, password, PID_LOG, workers=WORKERS)
    try:
        yield running, password
    finally:
        running.stop()


def get_me(server: Server, login: str, password: str) -> httpx.Response:
    return server.get("/api/users/me", headers={"Authorization": basic_header(login, password)})


def access_lines(server: Server, count: int) -> list[tuple[str, str]]:
    """Return the access log's (worker, status) lines once ``count`` are written (a worker
    writes its line just after the reply, so the last may lag), or what is there after 10 s."""
    deadline = time.monotonic() + 10
    served = ACCESS.findall(server.output())
    while len(served) < count and time.monotonic() < deadline:
        time.sleep(0.05)
        served = ACCESS.findall(server.output())
    return served


def test_failures_on_both_workers_add_up_to_one_limit(server):
    running, admin_password = server
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:  # two at once: both workers busy
        answers = list(
            pool.map(lambda _: get_me(running, "ghost", "wrong-password-1"), range(LIMIT))
        )
    assert [answer.status_code for answer in answers] == [401] * LIMIT

    locked = get_me(running, "ghost", "wrong-password-1")
    other = get_me(running, "admin", admin_password)

    assert locked.status_code == 429
    assert locked.json()["code"] == "too_many_attempts"
    assert 0 < int(locked.headers["Retry-After"]) <= 900
    assert other.status_code == 200
    served = access_lines(running, LIMIT + 2)
    failures_by_worker = {pid for pid, status in served if status == "401"}
    assert len(failures_by_worker) == WORKERS, served  # both workers counted failures
    assert [status for _pid, status in served] == ["401"] * LIMIT + ["429", "200"]

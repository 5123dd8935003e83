"""A soak at saturation: ``tokenward serve`` (gunicorn, production settings, two workers)
driven over loopback with a mix of every credential kind and some invalid ones.

Issue 8's load check: zero 5xx, stable memory, no leaked database connections. The run lasts
``TOKENWARD_SOAK_SECONDS`` (default 60) after a warm-up of ``WARM_UP_SECONDS``; the client
keeps ``CLIENTS`` requests in flight against two sync workers, so the server always has a
queue (saturation) and the rate printed is what it sustains on this machine.

Stated bounds, and why:

- Memory: each worker's resident set may grow by at most ``RSS_GROWTH_BOUND`` (20 MiB)
  between the end of the warm-up and the end of the soak. After the warm-up every code path
  of the mix has run and every cache the mix can fill is full (the verified-token cache
  holds a dozen entries here); what remains is allocator noise of a few MiB. A leak of
  1 KiB per request shows up as tens of MiB at the rates measured here (the summary prints
  the smallest per-request leak the bound would catch).
- Connections: each worker holds one persistent database connection (``CONN_MAX_AGE``) and
  its last-use flusher thread opens one for a moment every 10 s and closes it; so at most
  ``2 * WORKERS`` at any sample, and no more at the end than at the start of the soak plus
  the flusher's one per worker.
"""

from __future__ import annotations

import logging
import os
import random
import re
import secrets
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.conftest import basic_header, new_password
from tests.live_server import (
    SQLITE_FILE,
    Server,
    database_rows,
    start,
    throwaway_database,
    worker_pids,
)
from tokenward.credentials import format as token_format
from tokenward.credentials.format import TokenType

pytestmark = pytest.mark.live

WORKERS = 2
CLIENTS = 24  # requests in flight: a dozen per sync worker, so neither ever waits for work
SOAK_SECONDS = float(os.environ.get("TOKENWARD_SOAK_SECONDS", "60"))
WARM_UP_SECONDS = 5.0
SAMPLE_SECONDS = 5.0
MAX_REQUESTS = 500_000  # a hard stop whatever the rate
RSS_GROWTH_BOUND = 20 * 1024 * 1024
REQUEST_TIMEOUT = 30.0
ME = "/api/users/me"
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
NEW_OFFLINE_TOKEN = re.compile(r'id="offline-token-value" type="text" value="(two_[^"]+)"')
FORGED_JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c3BvaWx0"


@dataclass(frozen=True)
class Shot:
    """One kind of request of the mix, the answers it may get, and its share of the mix."""

    name: str
    path: str
    expect: frozenset[int]
    weight: int
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)

    def send(self, client: httpx.Client) -> int:
        client.cookies.clear()  # only what the shot carries: no cookie set by another answer
        return client.get(self.path, headers=self.headers, params=self.params).status_code


@dataclass
class Tally:
    """What the client threads saw: answers per (shot, status), and unexpected ones."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    answers: Counter[tuple[str, int]] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)

    def add(self, shot: str, status: int) -> None:
        with self.lock:
            self.answers[(shot, status)] += 1

    def failed(self, what: str) -> None:
        with self.lock:
            self.errors[what] += 1

    def statuses(self) -> Counter[int]:
        out: Counter[int] = Counter()
        for (_, status), n in self.answers.items():
            out[status] += n
        return out

    def total(self) -> int:
        return sum(self.answers.values())


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[tuple[Server, str]]:
    """Start ``tokenward serve`` with two workers on the suite's kind of database."""
    data_dir = tmp_path_factory.mktemp("soak") / "data"
    password = new_password()
    with throwaway_database("soak") as url:
        live = start(data_dir, password, {"DATABASE_URL": url} if url else {}, workers=WORKERS)
        try:
            yield live, password
        finally:
            live.stop()


def expect(answer: httpx.Response, status: int) -> httpx.Response:
    assert answer.status_code == status, answer.text[:500]
    return answer


def make_shots(server: Server, admin_password: str) -> list[Shot]:
    """Make a user and one credential of every kind through the server; return the mix."""
    url = server.url
    admin_basic = {"Authorization": basic_header("admin", admin_password)}
    admin = {"Authorization": "Bearer " + personal_token(url, admin_basic, "soak admin")}
    login, password = f"soak{secrets.token_hex(3)}", new_password()
    user_id = expect(httpx.post(url + "/api/users/", json={"login": login}, headers=admin), 201)
    user_id = user_id.json()["id"]
    set_password = httpx.post(
        f"{url}/api/users/{user_id}/password", json={"password": password}, headers=admin
    )
    expect(set_password, 204)
    basic = {"Authorization": basic_header(login, password)}
    personal = personal_token(url, basic, "soak")
    revoked = personal_token(url, basic, "soak revoked")
    revoked_id = expect(httpx.get(url + "/api/personal-tokens", headers=basic), 200).json()[0]["id"]
    expect(httpx.delete(f"{url}/api/personal-tokens/{revoked_id}", headers=basic), 204)
    service = httpx.get(url + "/api/v1/Authentication", params={"format": "json"}, headers=basic)
    service_token = expect(service, 200).json()["Token"]
    tuleap = httpx.post(url + "/api/tokens", json={"username": login, "password": password})
    tuleap = expect(tuleap, 200).json()
    session_cookie, offline = browser_credentials(url, login, password)
    jwt = httpx.post(url + "/auth/token", data={"refresh_token": offline})
    jwt = expect(jwt, 200).json()["access_token"]
    malformed = "twp_" + secrets.token_urlsafe(30)  # a bad checksum: refused before any read
    unknown = token_format.generate(TokenType.PERSONAL)  # well formed: a read and an audit row
    ok, refused = frozenset({200}), frozenset({401})
    shots = [
        Shot("Basic", ME, ok, 3, headers=basic),
        Shot("Bearer personal", ME, ok, 3, headers={"Authorization": f"Bearer {personal}"}),
        Shot("Token personal", ME, ok, 2, headers={"Authorization": f"Token {personal}"}),
        Shot("X-Auth-AccessKey", ME, ok, 2, headers={"X-Auth-AccessKey": personal}),
        Shot("?access_token=", ME, ok, 2, params={"access_token": personal}),
        Shot(
            "?token= service",
            "/api/v1/Users/LoggedUser",
            ok,
            2,
            params={"token": service_token, "format": "json"},
        ),
        Shot(
            "Tuleap X-Auth-Token",
            ME,
            ok,
            2,
            headers={"X-Auth-Token": tuleap["token"], "X-Auth-UserId": tuleap["user_id"]},
        ),
        Shot("JWT Bearer", ME, ok, 3, headers={"Authorization": f"Bearer {jwt}"}),
        Shot("session cookie", ME, ok, 2, headers=session_cookie),
        Shot("revoked personal", ME, refused, 1, headers={"Authorization": f"Bearer {revoked}"}),
        Shot(
            "malformed personal", ME, refused, 1, headers={"Authorization": f"Bearer {malformed}"}
        ),
        Shot("unknown personal", ME, refused, 1, headers={"Authorization": f"Bearer {unknown}"}),
        Shot("forged JWT", ME, refused, 1, headers={"Authorization": f"Bearer {FORGED_JWT}"}),
        Shot("bad ?token=", ME, refused, 1, params={"token": "bm9ib2R5OjEyMw=="}),
        Shot("no credentials", ME, refused, 1),
    ]
    # Every shot answers as expected before the clock starts.
    with httpx.Client(base_url=url, timeout=REQUEST_TIMEOUT) as client:
        for shot in shots:
            assert shot.send(client) in shot.expect, shot.name
    return shots


def personal_token(url: str, headers: dict[str, str], name: str) -> str:
    made = httpx.post(url + "/api/personal-tokens", json={"name": name}, headers=headers)
    return expect(made, 201).json()["token"]


def browser_credentials(url: str, login: str, password: str) -> tuple[dict[str, str], str]:
    """Log in as a browser does; return the session cookie and a new offline token."""
    with httpx.Client(base_url=url, timeout=REQUEST_TIMEOUT) as browser:
        form = dict(HIDDEN.findall(browser.get("/login/").text))
        expect(browser.post("/login/", data={**form, "username": login, "password": password}), 302)
        form = dict(HIDDEN.findall(browser.get("/profile/confirm-password/").text))
        data = {**form, "password": password, "next": "/auth/offline-token"}
        expect(browser.post("/profile/confirm-password/", data=data), 302)
        form = dict(HIDDEN.findall(browser.get("/auth/offline-token").text))
        page = expect(browser.post("/auth/offline-token", data={**form, "name": "soak"}), 200)
        found = NEW_OFFLINE_TOKEN.search(page.text)
        assert found, page.text[:500]
        cookie = "; ".join(f"{name}={value}" for name, value in browser.cookies.items())
        return {"Cookie": cookie}, found.group(1)


def drive(url: str, shots: list[Shot], seconds: float, tally: Tally) -> float:
    """Keep ``CLIENTS`` requests in flight for ``seconds`` (at most ``MAX_REQUESTS`` in all);
    return the time it took."""
    deadline = time.monotonic() + seconds
    budget = iter(range(MAX_REQUESTS))
    weights = [shot.weight for shot in shots]

    def client_loop(seed: int) -> None:
        pick = random.Random(seed)
        with httpx.Client(base_url=url, timeout=REQUEST_TIMEOUT) as client:
            while time.monotonic() < deadline and next(budget, None) is not None:
                shot = pick.choices(shots, weights)[0]
                try:
                    status = shot.send(client)
                except httpx.HTTPError as exc:
                    tally.failed(f"{shot.name}: {type(exc).__name__}")
                    continue
                tally.add(shot.name, status)

    started = time.monotonic()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(client_loop, range(CLIENTS)))
    return time.monotonic() - started


def rss(pid: int) -> int:
    """Return the resident set size of process ``pid`` in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for {pid}")


def database_connections(server: Server, pids: list[int]) -> int:
    """Count the server's open database connections.

    PostgreSQL: the backends of its (throw-away) database, this query's own excluded.
    SQLite: the workers' open file descriptors on the database file (one per connection).
    """
    if server.env.get("DATABASE_URL"):
        query = (
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return database_rows(server, query)[0][0]
    target = str((server.data_dir / SQLITE_FILE).resolve())
    count = 0
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                count += os.readlink(fd) == target
            except OSError:
                continue
    return count


@dataclass
class Samples:
    rss: list[dict[int, int]] = field(default_factory=list)
    connections: list[int] = field(default_factory=list)


def sample_while(server: Server, pids: list[int], stop: threading.Event, into: Samples) -> None:
    """Every ``SAMPLE_SECONDS`` until ``stop``: the workers' RSS and the connection count."""
    while not stop.wait(SAMPLE_SECONDS):
        into.rss.append({pid: rss(pid) for pid in pids})
        into.connections.append(database_connections(server, pids))


def mib(n: float) -> str:
    return f"{n / 1024 / 1024:.1f} MiB"


def test_soak_at_saturation_has_no_server_error_stable_memory_and_no_leaked_connection(
    server, capsys, caplog
):
    caplog.set_level(logging.WARNING, logger="httpx")  # not thousands of lines on a failure
    live, admin_password = server
    shots = make_shots(live, admin_password)
    pids = worker_pids(live)
    assert len(pids) == WORKERS

    warm_up = Tally()
    drive(live.url, shots, WARM_UP_SECONDS, warm_up)
    rss_before = {pid: rss(pid) for pid in pids}
    connections_before = database_connections(live, pids)
    tally, samples, stop = Tally(), Samples(), threading.Event()
    sampler = threading.Thread(target=sample_while, args=(live, pids, stop, samples))
    sampler.start()
    try:
        took = drive(live.url, shots, SOAK_SECONDS, tally)
    finally:
        stop.set()
        sampler.join()
    rss_after = {pid: rss(pid) for pid in pids}
    connections_after = database_connections(live, pids)

    total, by_status = tally.total(), tally.statuses()
    rate = total / took
    growth = {pid: rss_after[pid] - rss_before[pid] for pid in pids}
    backend = "PostgreSQL" if live.env.get("DATABASE_URL") else "SQLite"
    summary = [
        f"soak on {backend}: {total} requests in {took:.1f} s = {rate:.0f} req/s, "
        f"{CLIENTS} in flight, {WORKERS} workers; warm-up {warm_up.total()} requests",
        f"statuses: {dict(sorted(by_status.items()))}; client errors: {dict(tally.errors)}",
        "RSS per worker after warm-up → after soak: "
        + ", ".join(f"{mib(rss_before[p])} → {mib(rss_after[p])}" for p in pids)
        + f" (bound +{mib(RSS_GROWTH_BOUND)}: a leak of "
        f"{RSS_GROWTH_BOUND / max(total / WORKERS, 1):.0f} B/request would exceed it)",
        f"database connections: {connections_before} before, "
        f"max {max(samples.connections, default=0)} during, {connections_after} after "
        f"(bound {2 * WORKERS})",
    ]
    with capsys.disabled():
        print("\n" + "\n".join(summary))

    assert not tally.errors, tally.errors
    unexpected = {
        (name, status): n
        for (name, status), n in tally.answers.items()
        if status not in next(s.expect for s in shots if s.name == name)
    }
    assert not unexpected, unexpected
    assert not [s for s in by_status if s >= 500]
    assert {shot.name for shot in shots} == {name for name, _ in tally.answers}
    assert worker_pids(live) == pids, "no worker died or was replaced"
    assert all(g < RSS_GROWTH_BOUND for g in growth.values()), summary[2]
    assert max([connections_before, connections_after, *samples.connections]) <= 2 * WORKERS
    assert connections_after <= connections_before + WORKERS
    output = live.output()
    assert "Traceback" not in output, output[-3000:]
    assert not re.search(r'HTTP/1\.[01]" 5\d\d ', output)

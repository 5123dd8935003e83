"""Two ``tokenward serve`` instances sharing PostgreSQL and Redis: a revocation, deactivation
or password change made on one is honoured by the other within one second.

The bound is ``VERIFIED_TOKEN_CACHE_SECONDS`` (1 s): how long a worker trusts a token it
verified without reading its row again. Each server has its own data folder; they share
the secret key and token digest key (environment) and the JWT signing key (copied), as two
hosts behind one load balancer would.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import pytest

from tests.conftest import basic_header, new_password, service_answers
from tests.live_server import TOKENWARD, Server, server_env, start

pytestmark = [
    pytest.mark.live,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.skipif(not service_answers(5432), reason="no PostgreSQL answers at 127.0.0.1:5432"),
    pytest.mark.skipif(not service_answers(6379), reason="no Redis answers at 127.0.0.1:6379"),
]

BOUND = 1.0  # seconds: the stated cross-server bound (VERIFIED_TOKEN_CACHE_SECONDS)
WATCH = BOUND + 0.5  # keep polling past the bound, to see that the refusal holds
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/13"
WORKERS = 2
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
NEW_OFFLINE_TOKEN = re.compile(r'id="offline-token-value" type="text" value="(two_[^"]+)"')


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    """A throw-away PostgreSQL database, dropped at the end whatever happened."""
    psycopg = pytest.importorskip("psycopg")
    from psycopg import sql

    name = f"test_cross_{os.getpid()}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 refused a connection: {exc}")
    with admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"postgres://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
            drop = "DROP DATABASE IF EXISTS {} WITH (FORCE)"
            admin.execute(sql.SQL(drop).format(sql.Identifier(name)))


@dataclass(frozen=True)
class Pair:
    """Server A, where changes are made, server B, where they must be honoured.

    ``admin`` is a Bearer header: a change made with Basic would spend a production-cost
    password hash (about 0.4 s here) before it is made, time in which B's cached entries
    age and which would hide most of the window under test.
    """

    a: Server
    b: Server
    admin: dict[str, str]


@pytest.fixture(scope="module")
def pair(tmp_path_factory, database_url) -> Iterator[Pair]:
    """Start A, then B (its migrate finds nothing to do); both are stopped whatever happens."""
    root = tmp_path_factory.mktemp("cross-server")
    password = new_password()
    shared = {
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "TOKENWARD_SECRET_KEY": secrets.token_urlsafe(50),
        "TOKENWARD_TOKEN_KEY": secrets.token_urlsafe(50),
        "TOKENWARD_ADMIN_PASSWORD": password,
    }
    data_a, data_b = root / "a" / "data", root / "b" / "data"
    env_a = server_env(data_a, shared)
    data_a.mkdir(parents=True)
    made = subprocess.run(
        [str(TOKENWARD), "keys", "rotate"], env=env_a, capture_output=True, timeout=60, check=False
    )
    assert made.returncode == 0, made.stderr
    data_b.mkdir(parents=True)
    shutil.copytree(data_a / "jwt_keys", data_b / "jwt_keys")  # copytree keeps the modes
    servers: list[Server] = []
    try:
        servers.append(start(data_a, password, shared, workers=WORKERS))
        servers.append(start(data_b, password, shared, workers=WORKERS))
        yield Pair(servers[0], servers[1], admin_bearer(servers[0], password))
    finally:
        for server in servers:
            server.stop()


def admin_bearer(server: Server, password: str) -> dict[str, str]:
    """Return a Bearer header with a new personal access token of the administrator."""
    answer = httpx.post(
        server.url + "/api/personal-tokens",
        json={"name": "cross-server admin"},
        headers={"Authorization": basic_header("admin", password)},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


@dataclass(frozen=True)
class Account:
    id: int
    login: str
    password: str
    basic: dict[str, str]


def new_account(pair: Pair) -> Account:
    """Create a user with a password on server A, as the administrator."""
    login = f"cross{secrets.token_hex(4)}"
    created = httpx.post(
        pair.a.url + "/api/users/", json={"login": login}, headers=pair.admin, timeout=10
    )
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    password = new_password()
    answer = httpx.post(
        f"{pair.a.url}/api/users/{user_id}/password",
        json={"password": password},
        headers=pair.admin,
        timeout=10,
    )
    assert answer.status_code == 204, answer.text
    return Account(user_id, login, password, {"Authorization": basic_header(login, password)})


def personal_token(pair: Pair, account: Account) -> tuple[int, dict[str, str]]:
    """Create a personal access token on A; return its id and a Bearer header."""
    answer = httpx.post(
        pair.a.url + "/api/personal-tokens",
        json={"name": "cross-server"},
        headers=account.basic,
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    return body["id"], {"Authorization": f"Bearer {body['token']}"}


def offline_token(server: Server, account: Account) -> str:
    """Make an offline token on ``server`` as a browser does: log in, step up, create."""
    with httpx.Client(base_url=server.url, timeout=10) as browser:
        page = browser.get("/login/")
        form = dict(HIDDEN.findall(page.text))
        data = {**form, "username": account.login, "password": account.password}
        assert browser.post("/login/", data=data).status_code == 302
        page = browser.get("/profile/confirm-password/")
        form = dict(HIDDEN.findall(page.text))
        data = {**form, "password": account.password, "next": "/auth/offline-token"}
        assert browser.post("/profile/confirm-password/", data=data).status_code == 302
        page = browser.get("/auth/offline-token")
        form = dict(HIDDEN.findall(page.text))
        created = browser.post("/auth/offline-token", data={**form, "name": "cross-server"})
        assert created.status_code == 200, created.text
        found = NEW_OFFLINE_TOKEN.search(created.text)
        assert found, created.text
        return found.group(1)


@dataclass(frozen=True)
class Poll:
    """One request to server B: when it was sent and answered (since the change), and how."""

    sent: float
    answered: float
    status: int
    code: str | None


def warm(server: Server, headers: dict[str, str], rounds: int = 3) -> None:
    """Have every worker of ``server`` accept ``headers`` just now, so that its cached entry
    is as fresh as it can be when the change is made: the hardest case for the bound.

    ``WORKERS`` requests at a time: a sync worker busy with one leaves the next to another.
    """

    def accepted(_: int) -> int:
        return server.get("/api/users/me", headers=headers).status_code

    with ThreadPoolExecutor(WORKERS) as pool:
        statuses = list(pool.map(accepted, range(WORKERS * rounds)))
    assert statuses == [200] * len(statuses)


def error_code(answer: httpx.Response) -> str:
    """Return the ``code`` of an error body, or what the body starts with if it has none."""
    try:
        return answer.json()["code"]
    except (ValueError, KeyError, TypeError):
        return answer.text[:80]


def watch(server: Server, headers: dict[str, str], since: float) -> list[Poll]:
    """Poll ``/api/users/me`` on ``server`` back to back until ``WATCH`` s after ``since``."""
    polls = []
    with httpx.Client(base_url=server.url, timeout=5) as client:
        while (sent := time.monotonic()) < since + WATCH:
            answer = client.get("/api/users/me", headers=headers)
            code = None if answer.status_code == 200 else error_code(answer)
            polls.append(Poll(sent - since, time.monotonic() - since, answer.status_code, code))
    return polls


def assert_honoured(polls: list[Poll], refused: tuple[int, str], what: str) -> None:
    """Assert that B answered only acceptances or ``refused``, never an error; that its last
    acceptance was sent within ``BOUND`` of the change; and that every request from one
    sent within ``BOUND`` onwards was refused."""
    answers = {(p.status, p.code) for p in polls}
    assert answers <= {(200, None), refused}, f"{what}: unexpected answers {answers}"
    accepted = [i for i, p in enumerate(polls) if p.status == 200]
    settled = accepted[-1] + 1 if accepted else 0
    assert settled < len(polls), f"{what}: still accepted {polls[-1].answered:.3f} s after"
    stale = polls[accepted[-1]].answered if accepted else 0.0
    print(
        f"\n{what}: B's last acceptance answered {stale:.3f} s after A's answer; "
        f"refusing from a request sent at {polls[settled].sent:.3f} s "
        f"(answered {polls[settled].answered:.3f} s); "
        f"{len(polls)} requests, {len(accepted)} accepted"
    )
    # B decided between sending and answering; only a request sent after the bound is sure
    # to have been decided after it (the answered time includes the poll's own latency).
    last_sent = polls[accepted[-1]].sent if accepted else 0.0
    assert last_sent <= BOUND, f"{what}: B accepted a request sent {last_sent:.3f} s after"
    assert polls[settled].sent <= BOUND, f"{what}: no refusal sent within {BOUND} s"
    assert polls[-1].sent > BOUND  # the refusal was watched past the bound


def test_a_personal_token_revoked_on_a_is_refused_by_b_within_a_second(pair):
    account = new_account(pair)
    token_id, bearer = personal_token(pair, account)
    warm(pair.b, bearer)

    revoked = httpx.delete(
        f"{pair.a.url}/api/personal-tokens/{token_id}", headers=pair.admin, timeout=10
    )
    done = time.monotonic()
    polls = watch(pair.b, bearer, done)

    assert revoked.status_code == 204, revoked.text
    assert_honoured(polls, (401, "token_revoked"), "personal token revoked")
    shown = pair.b.get(f"/api/personal-tokens/{token_id}", headers=pair.admin).json()
    assert shown["revoked_at"] is not None


def test_a_user_deactivated_on_a_has_their_token_refused_by_b_within_a_second(pair):
    account = new_account(pair)
    _, bearer = personal_token(pair, account)
    warm(pair.b, bearer)

    changed = httpx.patch(
        f"{pair.a.url}/api/users/{account.id}",
        json={"is_active": False},
        headers=pair.admin,
        timeout=10,
    )
    done = time.monotonic()
    polls = watch(pair.b, bearer, done)

    assert changed.status_code == 200, changed.text
    assert_honoured(polls, (401, "inactive_user"), "user deactivated")
    shown = pair.b.get(f"/api/users/{account.id}", headers=pair.admin).json()
    assert shown["is_active"] is False


def test_a_jwt_is_refused_by_b_within_a_second_once_its_offline_token_is_revoked_on_a(pair):
    account = new_account(pair)
    refresh = offline_token(pair.a, account)
    bought = httpx.post(pair.a.url + "/auth/token", data={"refresh_token": refresh}, timeout=10)
    assert bought.status_code == 200, bought.text
    bearer = {"Authorization": f"Bearer {bought.json()['access_token']}"}
    listed = pair.a.get("/api/offline-tokens", headers=account.basic).json()
    (offline_id,) = [t["id"] for t in listed]
    warm(pair.b, bearer)

    revoked = httpx.delete(
        f"{pair.a.url}/api/offline-tokens/{offline_id}", headers=pair.admin, timeout=10
    )
    done = time.monotonic()
    polls = watch(pair.b, bearer, done)

    assert revoked.status_code == 204, revoked.text
    assert_honoured(polls, (401, "token_revoked"), "offline token revoked (JWT)")
    again = httpx.post(pair.b.url + "/auth/token", data={"refresh_token": refresh}, timeout=10)
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")


def test_a_password_changed_on_a_is_refused_over_basic_by_b_within_a_second(pair):
    account = new_account(pair)
    warm(pair.b, account.basic)

    new = new_password()
    changed = httpx.post(
        f"{pair.a.url}/api/users/{account.id}/password",
        json={"password": new},
        headers=pair.admin,
        timeout=10,
    )
    done = time.monotonic()
    polls = watch(pair.b, account.basic, done)

    assert changed.status_code == 204, changed.text
    assert_honoured(polls, (401, "invalid_credentials"), "password changed (Basic)")
    me = pair.b.get("/api/users/me", headers={"Authorization": basic_header(account.login, new)})
    assert (me.status_code, me.json()["login"]) == (200, account.login)


def log_in(browser: httpx.Client, account: Account) -> None:
    """Log ``account`` in through the form, in ``browser``."""
    page = browser.get("/login/")
    data = {**dict(HIDDEN.findall(page.text)), "username": account.login}
    assert browser.post("/login/", data={**data, "password": account.password}).status_code == 302


@pytest.mark.parametrize(
    "change",
    [{"is_active": False}, {"role": "requester"}, {"account_type": "sso"}],
    ids=["deactivated", "requester", "sso"],
)
def test_an_account_losing_its_rights_on_a_loses_its_web_sessions_on_b_at_once(pair, change):
    account = new_account(pair)
    with httpx.Client(base_url=pair.b.url, timeout=10) as browser:
        log_in(browser, account)
        assert browser.get("/profile/").status_code == 200

        changed = httpx.patch(
            f"{pair.a.url}/api/users/{account.id}", json=change, headers=pair.admin, timeout=10
        )
        # No bound to wait for: every worker reads the account's row on every request.
        pages = [browser.get("/profile/") for _ in range(WORKERS * 2)]
        api = browser.get("/api/users/me")

    assert changed.status_code == 200, changed.text
    assert {(p.status_code, p.headers["Location"]) for p in pages} == {
        (302, "/login/?next=/profile/")
    }
    assert (api.status_code, api.json()["code"]) == (401, "not_authenticated")

"""Fail closed: a stopped PostgreSQL or Redis never lets a credential through it should not.

With PostgreSQL stopped, every authenticated request answers 503 with ``Retry-After`` (never
200, never anonymous, never a traceback) and the server recovers by itself once PostgreSQL is
back. With Redis stopped, revoked tokens stay revoked and live ones keep working.

Each test starts its own PostgreSQL or Redis (``tests.own_services``) on a spare port, so
that stopping it disturbs nothing else, and its own ``tokenward serve`` with two workers.

The stated bound: a token verified within the last ``VERIFIED_TOKEN_CACHE_SECONDS`` (1 s)
is accepted again without a read, so a request that needs no read at all (``/api/users/me``)
may still answer 200 within one second of the outage. The test waits that second out before
it asserts; the same bound applies to a revocation made on another server.
"""

from __future__ import annotations

import html
import re
import secrets
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
import redis as redis_client

from tests.conftest import basic_header, new_password
from tests.live_server import TOKENWARD, Server, server_env, start
from tests.oauth.conftest import pkce_pair
from tests.own_services import own_postgres, own_redis

pytestmark = [pytest.mark.live]

WORKERS = 2
CACHE_BOUND = 1.0  # VERIFIED_TOKEN_CACHE_SECONDS: how long a verified token needs no read
RECOVERY_BOUND = 30.0  # seconds for every credential to work again once PostgreSQL is back
ROUNDS = WORKERS  # each check is repeated so that both workers are likely to answer it
REDIRECT_URI = "http://127.0.0.1:8765/callback"
UNAVAILABLE = {
    "detail": "The database is unavailable; try again shortly.",
    "code": "service_unavailable",
}
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
NEW_OFFLINE_TOKEN = re.compile(r'id="offline-token-value" type="text" value="(two_[^"]+)"')


@dataclass(frozen=True)
class Check:
    """One authenticated request, and what it must answer when all is well."""

    name: str
    method: str
    path: str
    headers: dict[str, str]
    cookies: dict[str, str] | None = None
    data: dict[str, str] | None = None
    ok: int = 200

    def send(self, server: Server) -> httpx.Response:
        return httpx.request(
            self.method,
            server.url + self.path,
            headers=self.headers,
            cookies=self.cookies,
            data=self.data,
            timeout=15,
        )


def start_server(root: Path, extra: dict[str, str]) -> tuple[Server, str]:
    """Start ``tokenward serve`` with an administrator (and JWT signing keys made first)."""
    password = new_password()
    data_dir = root / "data"
    data_dir.mkdir(parents=True)
    made = subprocess.run(
        [str(TOKENWARD), "keys", "rotate"],
        env=server_env(data_dir, extra),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    return start(data_dir, password, extra, workers=WORKERS), password


def new_user(server: Server, admin: dict[str, str]) -> tuple[str, str]:
    """Create a user with a password, as the administrator; return its login and password."""
    login = f"fc{secrets.token_hex(4)}"
    created = httpx.post(server.url + "/api/users/", json={"login": login}, headers=admin)
    assert created.status_code == 201, created.text
    password = new_password()
    answer = httpx.post(
        f"{server.url}/api/users/{created.json()['id']}/password",
        json={"password": password},
        headers=admin,
    )
    assert answer.status_code == 204, answer.text
    return login, password


def personal_token(server: Server, basic: dict[str, str]) -> tuple[int, str]:
    name = f"fail closed {secrets.token_hex(3)}"
    answer = httpx.post(server.url + "/api/personal-tokens", json={"name": name}, headers=basic)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"], answer.json()["token"]


@contextmanager
def logged_in_browser(server: Server, login: str, password: str) -> Iterator[httpx.Client]:
    """Yield a client holding a login session (and its CSRF cookie), as a browser would."""
    with httpx.Client(base_url=server.url, timeout=15) as browser:
        form = dict(HIDDEN.findall(browser.get("/login/").text))
        data = {**form, "username": login, "password": password}
        answer = browser.post("/login/", data=data)
        assert answer.status_code == 302, answer.text
        yield browser


def offline_token(browser: httpx.Client, password: str) -> str:
    """Make an offline token in ``browser``'s session: step up, then create it."""
    form = dict(HIDDEN.findall(browser.get("/profile/confirm-password/").text))
    data = {**form, "password": password, "next": "/auth/offline-token"}
    assert browser.post("/profile/confirm-password/", data=data).status_code == 302
    form = dict(HIDDEN.findall(browser.get("/auth/offline-token").text))
    created = browser.post("/auth/offline-token", data={**form, "name": "fail closed"})
    assert created.status_code == 200, created.text
    found = NEW_OFFLINE_TOKEN.search(created.text)
    assert found, created.text
    return found.group(1)


def oauth_access_token(server: Server, admin: dict[str, str], browser: httpx.Client) -> str:
    """Register a public application and run the code flow (PKCE) in ``browser``'s session."""
    registered = httpx.post(
        server.url + "/api/oauth-applications",
        json={"name": "fail closed", "redirect_uris": [REDIRECT_URI], "client_type": "public"},
        headers=admin,
    )
    assert registered.status_code == 201, registered.text
    client_id = registered.json()["client_id"]
    verifier, challenge = pkce_pair()
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "read write",
        "state": secrets.token_urlsafe(8),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    page = browser.get("/oauth/authorize/?" + urlencode(query))
    assert page.status_code == 200, page.text
    form = {name: html.unescape(value) for name, value in HIDDEN.findall(page.text)}
    allowed = browser.post("/oauth/authorize/", data={**form, "allow": "Authorize"})
    assert allowed.status_code == 302, allowed.text
    code = parse_qs(urlsplit(allowed.headers["Location"]).query)["code"][0]
    tokens = httpx.post(
        server.url + "/oauth/token/",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": client_id,
            "code_verifier": verifier,
        },
    )
    assert tokens.status_code == 200, tokens.text
    return tokens.json()["access_token"]


def every_credential(server: Server, password: str) -> list[Check]:
    """Make a user and one credential of each kind; return a request sent with each."""
    admin = {"Authorization": basic_header("admin", password)}
    login, user_password = new_user(server, admin)
    basic = {"Authorization": basic_header(login, user_password)}
    _, personal = personal_token(server, basic)
    service = httpx.get(
        server.url + "/api/v1/Authentication",
        headers={**basic, "Accept": "application/json"},
    )
    assert service.status_code == 200, service.text
    tuleap = httpx.post(
        server.url + "/api/tokens", json={"username": login, "password": user_password}
    )
    assert tuleap.status_code == 200, tuleap.text
    with logged_in_browser(server, login, user_password) as browser:
        refresh = offline_token(browser, user_password)
        oauth = oauth_access_token(server, admin, browser)
        session = dict(browser.cookies)
    jwt = httpx.post(server.url + "/auth/token", data={"refresh_token": refresh})
    assert jwt.status_code == 200, jwt.text
    me = "/api/users/me"
    as_json = {"Accept": "application/json"}
    return [
        Check("basic", "GET", me, basic),
        Check("personal bearer", "GET", me, {"Authorization": f"Bearer {personal}"}),
        Check("personal ?access_token=", "GET", f"{me}?access_token={personal}", {}),
        Check(
            "service ?token=",
            "GET",
            f"/api/v1/Users/LoggedUser?token={service.json()['Token']}",
            as_json,
        ),
        Check(
            "tuleap 24-hour token",
            "GET",
            me,
            {"X-Auth-Token": tuleap.json()["token"], "X-Auth-UserId": tuleap.json()["user_id"]},
        ),
        Check("JWT", "GET", me, {"Authorization": f"Bearer {jwt.json()['access_token']}"}),
        Check("OAuth2 access token", "GET", me, {"Authorization": f"Bearer {oauth}"}),
        Check("session cookie", "GET", me, as_json, cookies=session),
        Check("offline token trade", "POST", "/auth/token", {}, data={"refresh_token": refresh}),
    ]


def assert_unavailable(answer: httpx.Response, check: Check) -> None:
    assert answer.status_code == 503, (check.name, answer.status_code, answer.text)
    assert answer.headers.get("Retry-After") == "5", check.name
    assert answer.headers["Content-Type"].startswith("application/json"), check.name
    assert answer.json() == UNAVAILABLE, check.name
    assert "WWW-Authenticate" not in answer.headers, check.name


def worker_pids(server: Server) -> set[int]:
    """The pids of the gunicorn workers: the master's children."""
    children: set[int] = set()
    for task in Path(f"/proc/{server.process.pid}/task").iterdir():
        try:
            children.update(int(pid) for pid in (task / "children").read_text().split())
        except OSError:
            continue
    return children


@pytest.fixture
def postgres_stack(tmp_path) -> Iterator[tuple]:
    """PostgreSQL of our own, and ``tokenward serve`` on it; both stopped afterwards."""
    pytest.importorskip("psycopg")
    with own_postgres() as postgres:
        server, password = start_server(tmp_path, {"DATABASE_URL": postgres.url})
        try:
            yield postgres, server, password
        finally:
            server.stop()


@pytest.mark.postgres
def test_with_postgresql_stopped_every_credential_gets_503_and_works_again_after(
    postgres_stack,
):
    postgres, server, password = postgres_stack
    checks = every_credential(server, password)
    for check in checks:
        for _ in range(ROUNDS):
            answer = check.send(server)
            assert answer.status_code == check.ok, (check.name, answer.text)
    workers = worker_pids(server)
    assert len(workers) == WORKERS

    postgres.stop()
    time.sleep(CACHE_BOUND + 0.5)  # the verified-token bound: see the module docstring
    started = time.monotonic()
    for check in checks:
        for _ in range(ROUNDS):
            assert_unavailable(check.send(server), check)
    (session,) = [c for c in checks if c.name == "session cookie"]
    web_page = httpx.get(server.url + "/profile/", cookies=session.cookies, timeout=15)
    anonymous = server.get("/api/users/me")
    outage_seconds = time.monotonic() - started

    assert web_page.status_code == 503
    assert web_page.headers["Retry-After"] == "5"
    assert "The database is unavailable; try again shortly." in web_page.text
    # Decided: "no credential was sent" is true whatever the database's state and grants
    # nothing, so it keeps its 401 and challenge; the same request with one gets 503.
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "not_authenticated")
    assert outage_seconds < 30  # every refusal came at once, not after a timeout

    postgres.start()
    deadline = time.monotonic() + RECOVERY_BOUND
    pending = list(checks)
    while pending and time.monotonic() < deadline:
        pending = [c for c in pending if c.send(server).status_code != c.ok]
        if pending:
            time.sleep(0.5)
    recovered_after = RECOVERY_BOUND - (deadline - time.monotonic())

    assert not pending, [c.name for c in pending]
    print(f"\nall credentials answered 200 again {recovered_after:.1f} s after PostgreSQL")
    for check in checks:
        for _ in range(ROUNDS):
            assert check.send(server).status_code == check.ok, check.name
    assert server.process.poll() is None  # the same server, not restarted
    assert worker_pids(server) == workers  # and no worker died on the way
    log = server.output()
    assert "Traceback" not in log
    assert "Database unavailable (" in log
    assert password not in log


@pytest.fixture
def redis_stack(tmp_path) -> Iterator[tuple]:
    """Redis of our own, and ``tokenward serve`` caching in it; both stopped afterwards."""
    with own_redis() as redis:
        server, password = start_server(tmp_path, {"REDIS_URL": redis.url})
        try:
            yield redis, server, password
        finally:
            server.stop()


@pytest.mark.redis
def test_with_redis_stopped_revoked_tokens_stay_revoked_and_live_ones_work(redis_stack):
    redis, server, password = redis_stack
    admin = {"Authorization": basic_header("admin", password)}
    login, user_password = new_user(server, admin)
    basic = {"Authorization": basic_header(login, user_password)}
    revoked_id, revoked = personal_token(server, basic)
    _, live = personal_token(server, basic)
    with logged_in_browser(server, login, user_password) as browser:
        refresh = offline_token(browser, user_password)
        oauth = oauth_access_token(server, admin, browser)
    (offline_id,) = [t["id"] for t in server.get("/api/offline-tokens", headers=basic).json()]
    for path in (f"/api/personal-tokens/{revoked_id}", f"/api/offline-tokens/{offline_id}"):
        assert httpx.delete(server.url + path, headers=basic).status_code == 204
    gone = httpx.post(
        server.url + "/oauth/revoke_token/",
        data={"token": oauth, "client_id": _client_id_of(server, admin)},
    )
    assert gone.status_code == 200, gone.text

    # The server does keep state in this Redis (failed-password counters): a wrong password
    # before the stop leaves a key there, so the stop below takes something away.
    wrong = {"Authorization": basic_header(login, new_password())}
    assert server.get("/api/users/me", headers=wrong).status_code == 401
    assert redis_client.Redis(port=redis.port, socket_timeout=2).dbsize() > 0

    redis.stop()
    time.sleep(CACHE_BOUND + 0.5)
    refused = {
        "revoked personal": {"Authorization": f"Bearer {revoked}"},
        "revoked OAuth2": {"Authorization": f"Bearer {oauth}"},
    }
    for _ in range(ROUNDS):
        for name, headers in refused.items():
            answer = server.get("/api/users/me", headers=headers)
            assert answer.status_code == 401, (name, answer.text)
            assert answer.json()["code"] in {"token_revoked", "invalid_token"}, name
        trade = httpx.post(server.url + "/auth/token", data={"refresh_token": refresh})
        assert (trade.status_code, trade.json()["error"]) == (400, "invalid_grant")
        for headers in ({"Authorization": f"Bearer {live}"}, basic):
            answer = server.get("/api/users/me", headers=headers)
            assert (answer.status_code, answer.json()["login"]) == (200, login)
    # Failed passwords are counted in Redis when it answers (accounts.lockout): without it
    # a wrong one is still refused as wrong, not with an error.
    wrong = {"Authorization": basic_header(login, new_password())}
    refused_password = server.get("/api/users/me", headers=wrong)
    assert (refused_password.status_code, refused_password.json()["code"]) == (
        401,
        "invalid_credentials",
    )
    issued = httpx.post(server.url + "/api/personal-tokens", json={"name": "x"}, headers=basic)
    assert issued.status_code == 201, issued.text
    login_page = server.get("/login/")
    assert login_page.status_code == 200
    log = server.output()
    assert "Traceback" not in log
    assert " 500 " not in log


def _client_id_of(server: Server, admin: dict[str, str]) -> str:
    (app,) = server.get("/api/oauth-applications", headers=admin).json()
    return app["client_id"]

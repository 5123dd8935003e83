"""One user's tokens created and revoked in parallel against a real four-worker server.

Requests race across gunicorn workers (separate processes) on the suite's database: SQLite
in WAL mode with IMMEDIATE transactions, or a throw-away PostgreSQL database on a
PostgreSQL run. Whatever the interleaving: no 5xx, no lost or duplicate row, one audit event
per creation and per actual revocation, and a revoked secret refused once the stated
cross-worker bound (``VERIFIED_TOKEN_CACHE_SECONDS``, 1 s) has passed.
"""

from __future__ import annotations

import logging
import random
import re
import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.cookiejar import DefaultCookiePolicy

import httpx
import pytest

from tests.conftest import basic_header, new_password
from tests.live_server import Server, database_rows, start, throwaway_database

pytestmark = pytest.mark.live

WORKERS = 4
CREATIONS = 50
OFFLINE_TOKENS = 20
PARALLEL = 50  # client threads: more than the workers, so requests queue and interleave
BOUND = 1.0  # VERIFIED_TOKEN_CACHE_SECONDS: how long another worker may still accept one
SETTLE = BOUND + 0.5
ME = "/api/users/me"
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
NEW_OFFLINE_TOKEN = re.compile(r'id="offline-token-value" type="text" value="(two_[^"]+)"')


@dataclass(frozen=True)
class Account:
    """A user, and the Tuleap session token (``X-Auth-Token``) they revoke tokens with.

    Not Basic: a verified password is trusted for only 1 s per worker, so a burst would spend
    a production-cost hash again and again. Not a personal token: revoke-all would revoke it
    in the middle of the burst under test. Creating a token takes the password (``basic``):
    a 24-hour token issues no lasting credential.
    """

    id: int
    login: str
    password: str
    headers: dict[str, str]

    @property
    def basic(self) -> dict[str, str]:
        return {"Authorization": basic_header(self.login, self.password)}


@dataclass(frozen=True)
class Live:
    server: Server
    http: httpx.Client  # one pool shared by the threads: no client (SSL context) per call
    admin: dict[str, str]  # a Bearer header: no password hash per request


@pytest.fixture(autouse=True)
def _quiet_httpx(caplog) -> None:
    """Hundreds of requests per test: keep httpx's line per request out of failure reports."""
    caplog.set_level(logging.WARNING, logger="httpx")


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[Live]:
    """Start ``tokenward serve`` with four workers on the suite's kind of database."""
    data_dir = tmp_path_factory.mktemp("tokens-concurrency") / "data"
    password = new_password()
    with throwaway_database("tokens_concurrency") as url:
        server = start(data_dir, password, {"DATABASE_URL": url} if url else {}, workers=WORKERS)
        limits = httpx.Limits(max_connections=PARALLEL, max_keepalive_connections=PARALLEL)
        http = httpx.Client(base_url=server.url, limits=limits, timeout=60)
        # Each request carries only the credential it names: no cookie is kept between them.
        http.cookies.jar.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        try:
            made = http.post(
                "/api/personal-tokens",
                json={"name": "concurrency admin"},
                headers={"Authorization": basic_header("admin", password)},
            )
            assert made.status_code == 201, made.text
            yield Live(server, http, {"Authorization": f"Bearer {made.json()['token']}"})
        finally:
            http.close()
            server.stop()
        assert_no_server_error_logged(server)


def assert_no_server_error_logged(server: Server) -> None:
    """The access log of the whole module holds no 5xx and the log no traceback."""
    output = server.output()
    assert "Traceback" not in output, output[-3000:]
    assert not re.search(r'HTTP/1\.[01]" 5\d\d ', output), output[-3000:]


def new_account(live: Live) -> Account:
    """Create a user with a password, as the administrator."""
    http = live.http
    login = f"racer{secrets.token_hex(4)}"
    created = http.post("/api/users/", json={"login": login}, headers=live.admin)
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    password = new_password()
    answer = http.post(
        f"/api/users/{user_id}/password", json={"password": password}, headers=live.admin
    )
    assert answer.status_code == 204, answer.text
    session = http.post("/api/tokens", json={"username": login, "password": password})
    assert session.status_code == 200, session.text
    headers = {"X-Auth-Token": session.json()["token"], "X-Auth-UserId": str(user_id)}
    return Account(user_id, login, password, headers)


def in_parallel(calls: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    """Run every call at once (``PARALLEL`` threads); return the answers in call order."""
    with ThreadPoolExecutor(PARALLEL) as pool:
        return list(pool.map(lambda call: call(), calls))


def statuses(answers: list[httpx.Response]) -> Counter[int]:
    return Counter(a.status_code for a in answers)


def error_code(answer: httpx.Response) -> str | None:
    try:
        return answer.json().get("code")
    except ValueError:
        return answer.text[:80]


def create_personal_tokens(live: Live, account: Account, names: list[str]) -> list[httpx.Response]:
    def create(name: str) -> Callable[[], httpx.Response]:
        return lambda: live.http.post(
            "/api/personal-tokens", json={"name": name}, headers=account.basic
        )

    return in_parallel([create(name) for name in names])


def me_as(live: Live, secrets_: list[str]) -> list[httpx.Response]:
    """``GET /api/users/me`` with each secret as a Bearer token, all at once."""

    def get(secret: str) -> Callable[[], httpx.Response]:
        headers = {"Authorization": f"Bearer {secret}"}
        return lambda: live.http.get(ME, headers=headers)

    return in_parallel([get(s) for s in secrets_])


def personal_rows(live: Live, account: Account) -> list[tuple]:
    return database_rows(
        live.server,
        "SELECT id, digest, name, revoked_at FROM tokens_personalaccesstoken WHERE owner_id = %s",
        (account.id,),
    )


def audit_ids(live: Live, account: Account, action: str, kind: str) -> Counter[str]:
    """How many ``action`` events of ``kind`` name each credential id of ``account``."""
    rows = database_rows(
        live.server,
        "SELECT credential_id FROM audit_auditevent"
        " WHERE subject_id = %s AND action = %s AND credential_kind = %s",
        (account.id, action, kind),
    )
    return Counter(row[0] for row in rows)


def issue_fifty(live: Live, account: Account) -> list[dict]:
    """Create ``CREATIONS`` personal tokens of ``account`` in parallel; check every answer."""
    names = [f"parallel {i}" for i in range(CREATIONS)]
    answers = create_personal_tokens(live, account, names)
    assert statuses(answers) == {201: CREATIONS}, [a.text for a in answers if a.status_code != 201]
    return [a.json() for a in answers]


# --- personal access tokens -------------------------------------------------------------------


def test_fifty_parallel_creations_give_fifty_distinct_rows_each_audited_once(live):
    account = new_account(live)

    bodies = issue_fifty(live, account)

    ids = {b["id"] for b in bodies}
    assert len(ids) == CREATIONS
    assert len({b["token"] for b in bodies}) == CREATIONS
    assert sorted(b["name"] for b in bodies) == sorted(f"parallel {i}" for i in range(CREATIONS))
    rows = personal_rows(live, account)
    assert {row[0] for row in rows} == ids, "exactly the rows the answers named"
    assert len(rows) == CREATIONS
    assert len({row[1] for row in rows}) == CREATIONS, "fifty distinct digests"
    assert all(row[3] is None for row in rows)
    assert audit_ids(live, account, "issued", "personal_token") == Counter({str(i): 1 for i in ids})
    works = me_as(live, [b["token"] for b in bodies])
    assert statuses(works) == {200: CREATIONS}
    assert {a.json()["login"] for a in works} == {account.login}


def test_parallel_creations_with_one_name_give_one_token_and_clean_refusals(live):
    account = new_account(live)

    answers = create_personal_tokens(live, account, ["same name"] * 20)

    assert statuses(answers) == {201: 1, 400: 19}, [a.text for a in answers]
    refusals = {a.text for a in answers if a.status_code == 400}
    assert len(refusals) == 1
    assert "You already have a token named 'same name'." in refusals.pop()
    (winner,) = [a.json() for a in answers if a.status_code == 201]
    rows = personal_rows(live, account)
    assert [(row[0], row[2]) for row in rows] == [(winner["id"], "same name")]
    assert audit_ids(live, account, "issued", "personal_token") == {str(winner["id"]): 1}


def test_parallel_revocations_racing_revoke_all_revoke_each_token_once(live):
    account = new_account(live)
    bodies = issue_fifty(live, account)
    secrets_ = [b["token"] for b in bodies]
    # Every worker accepts (and caches) the tokens before they are revoked: the hard case.
    assert statuses(me_as(live, secrets_ * 2)) == {200: 2 * CREATIONS}

    def delete(token_id: int, headers: dict[str, str]) -> Callable[[], httpx.Response]:
        return lambda: live.http.delete(f"/api/personal-tokens/{token_id}", headers=headers)

    def revoke_all() -> httpx.Response:
        return live.http.post("/api/personal-tokens/revoke-all", json={}, headers=account.headers)

    # Each token revoked twice by its owner and once by an administrator, and three
    # revoke-alls, shuffled into one burst.
    deletes = [delete(b["id"], account.headers) for b in bodies] * 2
    deletes += [delete(b["id"], live.admin) for b in bodies]
    calls = [*deletes, revoke_all, revoke_all, revoke_all]
    random.shuffle(calls)
    answers = in_parallel(calls)

    assert statuses(answers) == {204: 3 * CREATIONS, 200: 3}, [
        a.text for a in answers if a.status_code not in (200, 204)
    ]
    counts = [a.json()["revoked"] for a in answers if a.status_code == 200]
    assert all(0 <= n <= CREATIONS for n in counts), counts
    rows = personal_rows(live, account)
    assert len(rows) == CREATIONS
    assert all(row[3] is not None for row in rows), "every token revoked"
    ids = {str(b["id"]) for b in bodies}
    assert audit_ids(live, account, "revoked", "personal_token") == {i: 1 for i in ids}
    assert audit_ids(live, account, "issued", "personal_token") == {i: 1 for i in ids}

    time.sleep(SETTLE)  # past the bound within which another worker may still accept one
    refused = me_as(live, secrets_ * 2)
    assert statuses(refused) == {401: 2 * CREATIONS}
    assert {error_code(a) for a in refused} == {"token_revoked"}
    again = revoke_all()
    assert (again.status_code, again.json()) == (200, {"revoked": 0})
    assert audit_ids(live, account, "revoked", "personal_token") == {i: 1 for i in ids}


# --- offline tokens ---------------------------------------------------------------------------


def offline_tokens(live: Live, account: Account, count: int) -> list[str]:
    """Make ``count`` offline tokens at once in one browser session: log in, step up, create."""
    with httpx.Client(base_url=live.server.url, timeout=60) as browser:
        form = dict(HIDDEN.findall(browser.get("/login/").text))
        data = {**form, "username": account.login, "password": account.password}
        assert browser.post("/login/", data=data).status_code == 302
        form = dict(HIDDEN.findall(browser.get("/profile/confirm-password/").text))
        data = {**form, "password": account.password, "next": "/auth/offline-token"}
        assert browser.post("/profile/confirm-password/", data=data).status_code == 302
        form = dict(HIDDEN.findall(browser.get("/auth/offline-token").text))

        def create(i: int) -> Callable[[], httpx.Response]:
            return lambda: browser.post("/auth/offline-token", data={**form, "name": f"p{i}"})

        pages = in_parallel([create(i) for i in range(count)])
    assert statuses(pages) == {200: count}, [p.text[:300] for p in pages if p.status_code != 200]
    found = [NEW_OFFLINE_TOKEN.search(page.text) for page in pages]
    assert all(found)
    return [match.group(1) for match in found if match]


def buy_jwts(live: Live, refresh_tokens: list[str]) -> list[httpx.Response]:
    def buy(value: str) -> Callable[[], httpx.Response]:
        return lambda: live.http.post("/auth/token", data={"refresh_token": value})

    return in_parallel([buy(v) for v in refresh_tokens])


def offline_rows(live: Live, account: Account) -> list[tuple]:
    return database_rows(
        live.server,
        "SELECT id, digest, revoked_at FROM tokens_offlinetoken WHERE owner_id = %s",
        (account.id,),
    )


def test_parallel_offline_creations_and_revocations_racing_revoke_all(live):
    account = new_account(live)

    values = offline_tokens(live, account, OFFLINE_TOKENS)

    assert len(set(values)) == OFFLINE_TOKENS
    rows = offline_rows(live, account)
    assert len(rows) == OFFLINE_TOKENS
    assert len({row[1] for row in rows}) == OFFLINE_TOKENS
    ids = {str(row[0]) for row in rows}
    assert audit_ids(live, account, "issued", "offline_token") == {i: 1 for i in ids}
    bought = buy_jwts(live, values)
    assert statuses(bought) == {200: OFFLINE_TOKENS}
    jwts = [a.json()["access_token"] for a in bought]
    used = me_as(live, jwts * 2)
    assert statuses(used) == {200: 2 * OFFLINE_TOKENS}, [
        u.text for u in used if u.status_code != 200
    ]

    def delete(token_id: str) -> Callable[[], httpx.Response]:
        return lambda: live.http.delete(f"/api/offline-tokens/{token_id}", headers=account.headers)

    def revoke_all() -> httpx.Response:
        return live.http.post("/api/offline-tokens/revoke-all", json={}, headers=account.headers)

    calls = [*[delete(i) for i in ids] * 2, revoke_all, revoke_all, revoke_all]
    random.shuffle(calls)
    answers = in_parallel(calls)

    assert statuses(answers) == {204: 2 * OFFLINE_TOKENS, 200: 3}, [
        a.text for a in answers if a.status_code not in (200, 204)
    ]
    assert all(row[2] is not None for row in offline_rows(live, account))
    assert audit_ids(live, account, "revoked", "offline_token") == {i: 1 for i in ids}
    time.sleep(SETTLE)
    refused = me_as(live, jwts)
    assert statuses(refused) == {401: OFFLINE_TOKENS}
    assert {error_code(a) for a in refused} == {"token_revoked"}
    denied = buy_jwts(live, values)
    assert statuses(denied) == {400: OFFLINE_TOKENS}, denied[0].text
    assert {a.json()["error"] for a in denied} == {"invalid_grant"}, "RFC 6749 §5.2"

"""Parallel refreshes of one refresh token against a real multi-worker server (check 9)."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.conftest import basic_header, new_password
from tests.live_server import Server, database_rows, start, throwaway_database
from tests.oauth.conftest import REDIRECT_URI

pytestmark = pytest.mark.live

TIMEOUT = 30  # a busy machine may spend seconds on a production-cost password hash
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[tuple[Server, str]]:
    """Start ``tokenward serve`` with four workers on the suite's kind of database (SQLite,
    or a throw-away PostgreSQL database on a PostgreSQL run); yield it and the admin password.
    """
    data_dir = tmp_path_factory.mktemp("oauth-concurrency") / "data"
    password = new_password()
    with throwaway_database("oauth_concurrency") as url:
        server = start(data_dir, password, {"DATABASE_URL": url} if url else {}, workers=4)
        try:
            yield server, password
        finally:
            server.stop()


def code_flow(url: str, password: str) -> tuple[dict, tuple[str, str]]:
    """Register an app as the admin, consent in a browser session, exchange the code."""
    code, verifier, client = authorization_code(url, password)
    tokens = exchange(url, code, verifier, client).json()
    return tokens, client


def exchange(url: str, code: str, verifier: str, client: tuple[str, str]) -> httpx.Response:
    return httpx.post(
        url + "/oauth/token/",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        auth=client,
        timeout=TIMEOUT,
    )


def authorization_code(url: str, password: str) -> tuple[str, str, tuple[str, str]]:
    """Register an app as the admin, consent in a browser session; return the code, its PKCE
    verifier and the client's credentials."""
    admin = {"Authorization": basic_header("admin", password)}
    app = httpx.post(
        url + "/api/oauth-applications",
        json={"name": "bot", "redirect_uris": [REDIRECT_URI], "client_type": "confidential"},
        headers=admin,
        timeout=TIMEOUT,
    ).json()
    browser = httpx.Client(base_url=url, timeout=TIMEOUT)
    login_page = browser.get("/login/")
    csrf = dict(HIDDEN.findall(login_page.text))["csrfmiddlewaretoken"]
    browser.post(
        "/login/",
        data={"username": "admin", "password": password, "csrfmiddlewaretoken": csrf},
        headers={"Referer": url + "/login/"},
    )
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    params = {
        "response_type": "code",
        "client_id": app["client_id"],
        "redirect_uri": REDIRECT_URI,
        "scope": "read write",
        "code_challenge": challenge.rstrip(b"=").decode(),
        "code_challenge_method": "S256",
    }
    page = browser.get("/oauth/authorize/", params=params)
    assert page.status_code == 200, page.text
    form = dict(HIDDEN.findall(page.text)) | {"allow": "Authorize"}
    answer = browser.post("/oauth/authorize/", data=form, headers={"Referer": str(page.url)})
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    return code, verifier, (app["client_id"], app["client_secret"])


def test_parallel_refreshes_have_one_winner_no_fork_and_no_server_error(live):
    server, password = live
    url = server.url
    tokens, client = code_flow(url, password)

    def refresh(_: int) -> httpx.Response:
        data = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
        return httpx.post(url + "/oauth/token/", data=data, auth=client, timeout=30)

    with ThreadPoolExecutor(20) as pool:
        replies = list(pool.map(refresh, range(20)))

    statuses = sorted(r.status_code for r in replies)
    assert statuses == [200] + [400] * 19, [r.text for r in replies if r.status_code == 200]
    assert {r.json()["error"] for r in replies if r.status_code == 400} == {"invalid_grant"}
    (winner,) = [r.json() for r in replies if r.status_code == 200]
    # The 19 losers presented a refresh token that was already used: reuse detection
    # revokes the family, the winner's pair with it. DOT 3.4 cannot offer a grace period
    # with hashed token storage (its check oauth2_provider.E001), so a client that
    # refreshes in parallel must log in again; nothing is forked.
    again = httpx.post(
        url + "/oauth/token/",
        data={"grant_type": "refresh_token", "refresh_token": winner["refresh_token"]},
        auth=client,
        timeout=TIMEOUT,
    )
    assert again.status_code == 400
    me = httpx.get(
        url + "/api/users/me",
        headers={"Authorization": f"Bearer {winner['access_token']}"},
        timeout=TIMEOUT,
    )
    assert me.status_code == 401
    # No duplicate rows: the code's refresh token and the one winner's, of one family, both
    # revoked by the reuse detection; every access token deleted with them.
    refresh_rows = database_rows(
        server,
        "SELECT r.token_checksum, r.token_family, r.revoked IS NOT NULL"
        " FROM oauth2_provider_refreshtoken r"
        " JOIN oauth2_provider_application a ON a.id = r.application_id WHERE a.client_id = %s",
        (client[0],),
    )
    assert len(refresh_rows) == 2, refresh_rows
    assert len({row[0] for row in refresh_rows}) == 2
    assert len({row[1] for row in refresh_rows}) == 1, "one family, not a fork"
    assert all(row[2] for row in refresh_rows)
    assert database_rows(server, "SELECT id FROM oauth2_provider_accesstoken") == []
    # Exactly one rotation issued an access token: the code exchange's and the winner's.
    # (The module's server runs this test alone, so every such event is this test's.)
    issued = database_rows(
        server,
        "SELECT credential_id FROM audit_auditevent"
        " WHERE action = 'issued' AND credential_kind = 'oauth_access_token'",
    )
    assert len(issued) == 2 == len({row[0] for row in issued}), issued
    output = server.output()
    assert "Traceback" not in output, output[-3000:]
    assert not re.search(r'HTTP/1\.[01]" 5\d\d ', output), output[-3000:]


def test_parallel_exchanges_of_one_code_leave_no_live_token_and_no_server_error(live):
    """RFC 6749 §4.1.2 under a race: however the exchanges interleave, a code presented
    twice leaves no usable token of its grant."""
    server, password = live
    url = server.url
    code, verifier, client = authorization_code(url, password)

    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda _: exchange(url, code, verifier, client), range(8)))

    statuses = sorted(r.status_code for r in replies)
    assert set(statuses) <= {200, 400} and statuses.count(400) >= 7, statuses
    assert {r.json()["error"] for r in replies if r.status_code == 400} == {"invalid_grant"}
    for reply in replies:
        if reply.status_code == 200:
            me = httpx.get(
                url + "/api/users/me",
                headers={"Authorization": f"Bearer {reply.json()['access_token']}"},
                timeout=TIMEOUT,
            )
            assert me.status_code == 401
    live_rows = database_rows(
        server,
        "SELECT r.id FROM oauth2_provider_refreshtoken r"
        " JOIN oauth2_provider_application a ON a.id = r.application_id"
        " WHERE a.client_id = %s AND r.revoked IS NULL",
        (client[0],),
    )
    assert live_rows == []
    assert (
        database_rows(
            server,
            "SELECT t.id FROM oauth2_provider_accesstoken t"
            " JOIN oauth2_provider_application a ON a.id = t.application_id WHERE a.client_id = %s",
            (client[0],),
        )
        == []
    )
    output = server.output()
    assert "Traceback" not in output, output[-3000:]
    assert not re.search(r'HTTP/1\.[01]" 5\d\d ', output), output[-3000:]

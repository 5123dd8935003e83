"""Parallel refreshes of one refresh token against a real multi-worker server (check 9)."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
import signal
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.conftest import basic_header, new_password
from tests.live_server import TOKENWARD, free_port
from tests.oauth.conftest import REDIRECT_URI

pytestmark = pytest.mark.live

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[tuple[str, str]]:
    """Start ``tokenward serve`` with four workers; yield its URL and the admin password."""
    data_dir = tmp_path_factory.mktemp("oauth-concurrency") / "data"
    password = new_password()
    skip = ("TOKENWARD_", "DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
    env = {k: v for k, v in os.environ.items() if not k.startswith(skip)}
    env.update(TOKENWARD_DATA_DIR=str(data_dir), TOKENWARD_ADMIN_PASSWORD=password)
    port = free_port()
    log = (data_dir.parent / "serve.log").open("wb")
    command = [str(TOKENWARD), "serve", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--workers", "4"],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=data_dir.parent,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, Path(log.name).read_text()
            try:
                if httpx.get(url + "/api/schema", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.25)
        yield url, password
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
        log.close()


def code_flow(url: str, password: str) -> tuple[dict, tuple[str, str]]:
    """Register an app as the admin, consent in a browser session, exchange the code."""
    admin = {"Authorization": basic_header("admin", password)}
    app = httpx.post(
        url + "/api/oauth-applications",
        json={"name": "bot", "redirect_uris": [REDIRECT_URI], "client_type": "confidential"},
        headers=admin,
    ).json()
    browser = httpx.Client(base_url=url, timeout=10)
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
    client = (app["client_id"], app["client_secret"])
    tokens = httpx.post(
        url + "/oauth/token/",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        auth=client,
    ).json()
    return tokens, client


def test_parallel_refreshes_have_one_winner_no_fork_and_no_server_error(server):
    url, password = server
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
    )
    assert again.status_code == 400
    me = httpx.get(
        url + "/api/users/me", headers={"Authorization": f"Bearer {winner['access_token']}"}
    )
    assert me.status_code == 401

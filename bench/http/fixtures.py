"""The benchmark's data, made through the server as an operator and a user would.

A public project (the endpoint every variant reads), a user who is a member of nothing, a
personal access token, and a JWT bought with an offline token made in the browser pages.
"""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass

import httpx

from bench.http.server import Server

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
OFFLINE_TOKEN = re.compile(r'id="offline-token-value" type="text" value="(two_[^"]+)"')
PROJECT_ID = re.compile(r"\(id (\d+)\)")
LOGIN = "bench"


@dataclass(frozen=True)
class Fixtures:
    """The path every variant requests, and the ``Authorization`` value of each credential
    (None: no authentication)."""

    path: str
    credentials: dict[str, str | None]


def basic(login: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()


def _expect(answer: httpx.Response, status: int, what: str) -> httpx.Response:
    if answer.status_code != status:
        raise RuntimeError(f"{what}: {answer.status_code} {answer.text[:300]}")
    return answer


def _offline_token(server: Server, login: str, password: str) -> str:
    """Log in, confirm the password (step-up), and create an offline token on the page."""
    with httpx.Client(base_url=server.url, timeout=30) as browser:
        form = dict(HIDDEN.findall(browser.get("/login/").text))
        data = {**form, "username": login, "password": password}
        _expect(browser.post("/login/", data=data), 302, "log in")
        form = dict(HIDDEN.findall(browser.get("/profile/confirm-password/").text))
        data = {**form, "password": password, "next": "/auth/offline-token"}
        _expect(browser.post("/profile/confirm-password/", data=data), 302, "step up")
        form = dict(HIDDEN.findall(browser.get("/auth/offline-token").text))
        page = browser.post("/auth/offline-token", data={**form, "name": "bench"})
        found = OFFLINE_TOKEN.search(_expect(page, 200, "offline token").text)
        if found is None:
            raise RuntimeError("offline token: the page showed no token")
        return found.group(1)


def make(server: Server) -> Fixtures:
    """Create the project, the user and their credentials; return what the runs send."""
    printed = server.cli("project", "add", "BENCH", "--name", "Benchmark", "--public")
    path = f"/api/projects/{PROJECT_ID.search(printed).group(1)}"
    password = f"pw-{secrets.token_urlsafe(16)}"
    server.cli("user", "add", LOGIN, "--password-stdin", stdin=password + "\n")
    user = basic(LOGIN, password)
    made = httpx.post(
        server.url + "/api/personal-tokens",
        json={"name": "bench"},
        headers={"Authorization": user},
        timeout=30,
    )
    personal = _expect(made, 201, "personal token").json()["token"]
    refresh = _offline_token(server, LOGIN, password)
    bought = httpx.post(server.url + "/auth/token", data={"refresh_token": refresh}, timeout=30)
    jwt = _expect(bought, 200, "JWT").json()["access_token"]
    credentials = {
        "none (floor)": None,
        "personal token (Bearer)": f"Bearer {personal}",
        "Basic": user,
        "JWT (Bearer)": f"Bearer {jwt}",
    }
    for name, value in credentials.items():
        headers = {"Authorization": value} if value else {}
        _expect(httpx.get(server.url + path, headers=headers, timeout=30), 200, name)
    return Fixtures(path, credentials)

"""Fixtures for the client package's tests: a live server, an httpx client pointed at it,
and a transport that records (and can spoil) what the client sends."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.oauth.conftest import make_app, obtain_tokens  # noqa: F401  (fixtures)

ME = "/api/users/me"
SPOILT_JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c3BvaWx0"


class RecordingTransport(httpx.BaseTransport):
    """Send every request to the live server over HTTP and remember ``(method, path)``.

    With ``spoil_api`` set, requests to ``/api/`` carry a made-up Bearer token instead of
    the real one, so the server answers 401 however often the client refreshes: the token
    endpoints still get the real requests.
    """

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()
        self.sent: list[tuple[str, str]] = []
        self.spoil_api = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.method, request.url.path))
        if self.spoil_api and request.url.path.startswith("/api/"):
            request.headers["Authorization"] = f"Bearer {SPOILT_JWT}"
        return self._inner.handle_request(request)

    def count(self, method: str, path: str) -> int:
        return self.sent.count((method, path))

    def close(self) -> None:
        self._inner.close()


@pytest.fixture
def recorder() -> Iterator[RecordingTransport]:
    recorder = RecordingTransport()
    yield recorder
    recorder.close()


@pytest.fixture
def http(live_server, recorder) -> Iterator[httpx.Client]:
    """An httpx client with the live server as base URL, through the recording transport."""
    with httpx.Client(base_url=live_server.url, transport=recorder, timeout=10) as client:
        yield client


@pytest.fixture
def make_offline_token(db):
    """Issue an offline token (``two_…``) for ``owner``: ``.plaintext`` and ``.record``."""
    from tokenward.audit.services import ClientInfo
    from tokenward.tokens.offline import issue_offline_token

    def make(owner):
        return issue_offline_token(
            owner, client=ClientInfo(method="test", address="127.0.0.1"), name="client tests"
        )

    return make


def login_of(response: httpx.Response) -> str:
    """The login ``/api/users/me`` answered with, after checking it answered 200."""
    assert response.status_code == 200, response.text
    return response.json()["login"]

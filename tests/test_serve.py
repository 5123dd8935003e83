"""``tokenward serve`` as operators start it: a real gunicorn process answering real HTTP."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import basic_header, new_password
from tests.live_server import SHOWN_ONCE, Server, start

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def launch(tmp_path_factory) -> Iterator[Callable[[Path, str | None], Server]]:
    """Start servers for this module; every one is killed at the end, whatever happened."""
    servers: list[Server] = []

    def launch(data_dir: Path, admin_password: str | None) -> Server:
        server = start(data_dir, admin_password)
        servers.append(server)
        return server

    yield launch
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def admin_password() -> str:
    return new_password()


@pytest.fixture(scope="module")
def server(launch, tmp_path_factory, admin_password) -> Server:
    """A server started on a new data folder with ``TOKENWARD_ADMIN_PASSWORD`` set."""
    return launch(tmp_path_factory.mktemp("configured") / "data", admin_password)


def wait_for_line(server: Server, needle: str, after: int, timeout: float = 10.0) -> str:
    """Return the first line printed after line ``after`` that holds ``needle``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in server.output().splitlines()[after:]:
            if needle in line:
                return line
        time.sleep(0.1)
    raise AssertionError(f"no line with {needle!r} in:\n{server.output()}")


def test_admin_with_the_configured_password_is_authenticated(server, admin_password):
    response = server.get(
        "/api/users/me", headers={"Authorization": basic_header("admin", admin_password)}
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["login"], body["role"], body["auth_method"]) == ("admin", "administrator", "basic")
    assert "shown only now" not in server.output()
    assert admin_password not in server.output()


def test_request_without_credentials_is_401_with_a_challenge(server):
    response = server.get("/api/users/me")

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic realm=")
    assert response.json()["code"] == "not_authenticated"


def test_openapi_schema_is_served(server):
    response = server.get("/api/schema", headers={"Accept": "application/json"})

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "tokenward API"
    assert any(path.startswith("/api/users/me") for path in schema["paths"])


def test_login_page_and_its_stylesheet_are_served(server):
    page = server.get("/login/")
    css = server.get("/static/web/tokenward.css")

    assert page.status_code == 200
    assert 'href="/static/web/tokenward.css"' in page.text
    assert css.status_code == 200
    assert css.headers["Content-Type"].startswith("text/css")
    assert ":focus-visible" in css.text


def test_system_user_exists_and_refuses_basic_with_any_password(server, admin_password):
    admin = {"Authorization": basic_header("admin", admin_password)}
    logins = [user["login"] for user in server.get("/api/users/", headers=admin).json()]

    assert "System" in logins
    for password in ("", "System", "admin", new_password()):
        response = server.get(
            "/api/users/me", headers={"Authorization": basic_header("System", password)}
        )
        assert response.status_code == 401
        assert "WWW-Authenticate" in response.headers


@pytest.mark.parametrize("parameter", ["access_token", "token", "access%5Ftoken"])
def test_access_log_redacts_query_string_credentials(server, parameter):
    secret = "SECRETVALUE" + new_password()
    printed = len(server.output().splitlines())

    response = server.get(f"/api/users/me?probe=logcheck&{parameter}={secret}")

    assert response.status_code in (400, 401)
    line = wait_for_line(server, "GET /api/users/me", after=printed)
    assert f"/api/users/me?probe=logcheck&{parameter}=[REDACTED] HTTP/1.1" in line
    assert secret not in server.output()
    assert "SECRETVALUE" not in server.output()


def test_first_start_prints_a_generated_password_once(launch, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("generated") / "data"

    first = launch(data_dir, None)
    found = SHOWN_ONCE.search(first.output())
    assert found, first.output()
    password = found.group(1)
    assert password != "admin" and len(password) >= 20
    assert "Created the administrator account 'admin'." in first.output()
    me = first.get("/api/users/me", headers={"Authorization": basic_header("admin", password)})
    assert (me.status_code, me.json()["login"]) == (200, "admin")
    key = (data_dir / "secret_key").read_text()
    assert len(key) >= 50
    assert oct((data_dir / "secret_key").stat().st_mode & 0o777) == "0o600"
    first.stop()

    second = launch(data_dir, None)
    assert "shown only now" not in second.output()
    assert "Created the administrator" not in second.output()
    assert password not in second.output()
    assert (data_dir / "secret_key").read_text() == key
    me = second.get("/api/users/me", headers={"Authorization": basic_header("admin", password)})
    assert (me.status_code, me.json()["login"]) == (200, "admin")

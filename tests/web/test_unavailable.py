"""A database that cannot be reached: every request that needs it answers 503 with Retry-After.

The database errors here are real: a connection to a SQLite file in a folder that does not
exist, or to a PostgreSQL port where nothing listens. The whole-stack cases run a Django
process of their own (a subprocess) whose ``DATABASE_URL`` names such a database, so that
the test database of this run is never touched.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connections
from django.db.backends.sqlite3.base import DatabaseWrapper
from django.db.utils import OperationalError
from django.test import RequestFactory
from graphql import GraphQLError

from tests.live_server import free_port, server_env
from tokenward.web.unavailable import (
    DETAIL,
    DatabaseUnavailableMiddleware,
    database_unavailable_cause,
)

BODY = {"detail": DETAIL, "code": "service_unavailable"}


@pytest.fixture
def connection_error(tmp_path: Path, django_db_blocker) -> OperationalError:
    """The error Django raises when it cannot open its database (a real attempt, on a SQLite
    file in a folder that does not exist; this run's test database is not touched)."""
    settings = dict(connections.settings["default"])
    missing = tmp_path / "missing" / "db.sqlite3"
    settings.update(ENGINE="django.db.backends.sqlite3", NAME=str(missing), OPTIONS={})
    with django_db_blocker.unblock(), pytest.raises(OperationalError) as caught:
        DatabaseWrapper(settings, alias="unreachable").ensure_connection()
    return caught.value


class TestTheCause:
    def test_a_connection_error_is_its_own_cause(self, connection_error):
        error = connection_error

        assert database_unavailable_cause(error) is error

    def test_an_error_raised_from_a_connection_error_is_an_outage(self, connection_error):
        error = connection_error
        try:
            raise RuntimeError("the view gave up") from error
        except RuntimeError as wrapped:
            assert database_unavailable_cause(wrapped) is error

    def test_a_graphql_resolver_error_is_followed_to_its_original(self, connection_error):
        error = connection_error

        assert database_unavailable_cause(GraphQLError("x", original_error=error)) is error

    def test_any_other_error_is_no_outage(self):
        assert database_unavailable_cause(ValueError("not the database")) is None
        assert database_unavailable_cause(None) is None


class TestTheMiddleware:
    @pytest.fixture
    def middleware(self):
        def never_called(request):
            raise AssertionError("process_exception must not call the view")

        return DatabaseUnavailableMiddleware(never_called)

    @pytest.mark.parametrize(
        "path", ["/api/users/me", "/graphql", "/auth/token", "/oauth/token/", "/api/v1/Users/"]
    )
    def test_an_api_path_gets_json_with_retry_after(
        self, middleware, connection_error, path, caplog
    ):
        request = RequestFactory().post(path)

        with caplog.at_level(logging.ERROR, logger="tokenward.web.unavailable"):
            response = middleware.process_exception(request, connection_error)

        assert response.status_code == 503
        assert response["Retry-After"] == "5"
        assert response["Cache-Control"] == "no-store"
        assert response["Content-Type"] == "application/json"
        assert json.loads(response.content) == BODY
        (record,) = caplog.records
        assert record.levelno == logging.ERROR
        assert record.exc_info is None  # one line, no traceback
        assert record.getMessage().startswith("Database unavailable (OperationalError: ")

    @pytest.mark.django_db
    def test_a_web_page_gets_the_error_page(self, middleware, connection_error):
        request = RequestFactory().get("/profile/", HTTP_ACCEPT="text/html")

        response = middleware.process_exception(request, connection_error)

        assert response.status_code == 503
        assert response["Retry-After"] == "5"
        assert response["Content-Type"].startswith("text/html")
        page = response.content.decode()
        assert "Service unavailable" in page
        assert DETAIL in page
        assert "sqlite" not in page.lower()

    def test_another_error_is_left_to_django(self, middleware):
        request = RequestFactory().get("/api/users/me")

        assert middleware.process_exception(request, ValueError("a bug")) is None


# Run in a Django process whose database cannot be reached; prints one JSON line per request.
PROBE = r"""
import base64, json, os, secrets, sys
import django
django.setup()
from django.test import Client
from tokenward.conf import setting
from tokenward.credentials.format import TokenType, generate
from tokenward.credentials.service_token import service_token_key, sign_service_token

personal = generate(TokenType.PERSONAL)
service = sign_service_token(
    1, "alice", "argon2$x", service_token_key(setting("TOKEN_DIGEST_KEY"))
)
basic = "Basic " + base64.b64encode(b"alice:pw-correct-horse").decode()
graphql = json.dumps({"query": "{ projects { name } }"})
cases = {
    "bearer": ("get", "/api/users/me", {}, {"HTTP_AUTHORIZATION": f"Bearer {personal}"}),
    "access_token": ("get", f"/api/users/me?access_token={personal}", {}, {}),
    "basic": ("get", "/api/users/me", {}, {"HTTP_AUTHORIZATION": basic}),
    "service_token": (
        "get",
        f"/api/v1/Users/LoggedUser?token={service}",
        {},
        {"HTTP_ACCEPT": "application/json"},
    ),
    "service_token_xml": ("get", f"/api/v1/Users/LoggedUser?token={service}", {}, {}),
    "tuleap": (
        "get",
        "/api/users/me",
        {},
        {"HTTP_X_AUTH_TOKEN": generate(TokenType.SESSION), "HTTP_X_AUTH_USERID": "1"},
    ),
    "session_api": ("get", "/api/users/me", {}, {"HTTP_COOKIE": "sessionid=" + "a" * 32}),
    "session_page": ("get", "/profile/", {}, {"HTTP_COOKIE": "sessionid=" + "a" * 32}),
    "login_page": ("get", "/login/", {}, {}),
    # Single sign-on reads the account in its middleware, before any view.
    "sso_page": ("get", "/profile/", {}, {"HTTP_X_REMOTE_USER": "alice"}),
    "sso_api": ("get", "/api/users/me", {}, {"HTTP_X_REMOTE_USER": "alice"}),
    "anonymous_graphql": ("post", "/graphql", graphql, {"content_type": "application/json"}),
    "tuleap_token_buy": (
        "post",
        "/api/tokens",
        json.dumps({"username": "alice", "password": "pw-correct-horse"}),
        {"content_type": "application/json"},
    ),
    "offline_trade": (
        "post",
        "/auth/token",
        "refresh_token=" + generate(TokenType.OFFLINE),
        {"content_type": "application/x-www-form-urlencoded"},
    ),
    "oauth_token": (
        "post",
        "/oauth/token/",
        {"grant_type": "authorization_code", "code": "abc", "client_id": "app",
         "code_verifier": "v" * 43, "redirect_uri": "http://127.0.0.1/cb"},
        {},
    ),
    "anonymous_api": ("get", "/api/users/me", {}, {}),
    "malformed_bearer": ("get", "/api/users/me", {}, {"HTTP_AUTHORIZATION": "Bearer twp_x"}),
}
client = Client(raise_request_exception=False)
for name, (method, path, data, extra) in cases.items():
    kwargs = dict(extra)
    if method == "get":
        answer = client.get(path, **kwargs)
    else:
        answer = client.post(path, data, **kwargs)
    client.cookies.clear()
    print("PROBE " + json.dumps({
        "name": name,
        "status": answer.status_code,
        "retry_after": answer.get("Retry-After"),
        "type": answer.get("Content-Type", ""),
        "www_authenticate": answer.get("WWW-Authenticate"),
        "body": answer.content.decode(errors="replace"),
    }))
"""

UNAVAILABLE_JSON = [
    "bearer",
    "access_token",
    "basic",
    "service_token",
    "tuleap",
    "session_api",
    "anonymous_graphql",
    "tuleap_token_buy",
    "offline_trade",
    "oauth_token",
    "sso_api",
]
UNAVAILABLE_PAGES = ["session_page", "login_page", "sso_page"]
UNAVAILABLE_XML = ["service_token_xml"]  # Targetprocess answers XML unless asked for JSON


def unreachable_database(backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'no-such-folder' / 'tokenward.sqlite3'}"
    return f"postgres://postgres@127.0.0.1:{free_port()}/tokenward"  # nothing listens there


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def probed(request, tmp_path_factory) -> tuple[dict[str, dict], str]:
    """Run every case once in a process whose database cannot be reached."""
    if request.param == "postgres":
        pytest.importorskip("psycopg")
    tmp_path = tmp_path_factory.mktemp(f"unreachable-{request.param}")
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    env = server_env(
        data_dir,
        {
            "DATABASE_URL": unreachable_database(request.param, tmp_path),
            "DJANGO_SETTINGS_MODULE": "tokenward.settings",
            "TOKENWARD_SSO_HEADER": "X-Remote-User",
            "TOKENWARD_SSO_TRUSTED_PROXIES": "127.0.0.1",
        },
    )
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answers = {
        a["name"]: a
        for a in (
            json.loads(line[6:]) for line in done.stdout.splitlines() if line.startswith("PROBE ")
        )
    }
    return answers, done.stderr


@pytest.mark.parametrize("name", UNAVAILABLE_JSON)
def test_a_credential_that_cannot_be_checked_gets_503_json(probed, name):
    answers, _ = probed
    answer = answers[name]

    assert (answer["status"], answer["retry_after"]) == (503, "5"), answer
    assert answer["type"] == "application/json"
    assert json.loads(answer["body"]) == BODY
    assert answer["www_authenticate"] is None  # not a refusal of the credential


@pytest.mark.parametrize("name", UNAVAILABLE_PAGES)
def test_a_web_page_that_needs_the_database_gets_the_503_page(probed, name):
    answers, _ = probed
    answer = answers[name]

    assert (answer["status"], answer["retry_after"]) == (503, "5"), answer
    assert answer["type"].startswith("text/html")
    assert DETAIL in answer["body"]
    assert "<h1" in answer["body"]


def test_the_targetprocess_path_answers_in_its_own_xml(probed):
    answers, _ = probed
    answer = answers["service_token_xml"]

    assert (answer["status"], answer["retry_after"]) == (503, "5"), answer
    assert answer["type"].startswith("application/xml")
    assert f"<detail>{DETAIL}</detail>" in answer["body"]
    assert "<code>service_unavailable</code>" in answer["body"]


def test_no_reply_shows_a_traceback_the_sql_or_the_database_address(probed):
    answers, _ = probed

    for answer in answers.values():
        body = answer["body"].lower()
        for leak in ("traceback", "select ", "sqlite", "127.0.0.1:", "postgres", "no-such"):
            assert leak not in body, (answer["name"], leak)


def test_a_request_without_credentials_is_told_so_as_usual(probed):
    """Decision: "no credential was sent" is true whatever the database's state and grants
    nothing, so it stays 401 with its challenge; the same request with a credential gets 503.
    """
    answers, _ = probed
    answer = answers["anonymous_api"]

    assert answer["status"] == 401
    assert json.loads(answer["body"])["code"] == "not_authenticated"
    assert answer["www_authenticate"]


def test_a_malformed_token_is_refused_without_the_database(probed):
    answers, _ = probed
    answer = answers["malformed_bearer"]

    assert answer["status"] == 401
    assert json.loads(answer["body"])["code"] == "malformed_token"


def test_each_outage_is_logged_in_one_line_without_a_traceback(probed):
    _, log = probed
    lines = [line for line in log.splitlines() if line.startswith("Database unavailable (")]

    assert "Traceback" not in log
    assert len(lines) == len(UNAVAILABLE_JSON) + len(UNAVAILABLE_PAGES) + len(UNAVAILABLE_XML)
    # Django's own lines (with the path, and a traceback for a middleware's) are not added.
    assert "Service Unavailable:" not in log
    assert "Internal Server Error" not in log
    assert "pw-correct-horse" not in log

"""Security headers: a CSP on every page, no-store on every token-issuing reply, HSTS only
under HTTPS, nosniff and a referrer policy everywhere."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from django.test import Client

from tests.conftest import basic_header
from tests.web.conftest import csrf_token, step_up, submit_login
from tokenward.web.security import CONTENT_SECURITY_POLICY, PAGE_POLICY, TOOL_POLICIES

pytestmark = pytest.mark.django_db
FORM = "application/x-www-form-urlencoded"
REDIRECT_URI = "http://127.0.0.1:8765/callback"


def assert_no_store(response) -> None:
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert "no-store" in directives, response["Cache-Control"]
    assert response["Pragma"] == "no-cache"


def assert_common_headers(response) -> None:
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] in ("same-origin", "no-referrer")
    assert "Strict-Transport-Security" not in response  # plain HTTP, TOKENWARD_HTTPS unset


@pytest.fixture
def logged_in(member) -> Client:
    """A browser (CSRF checks on) in which ``member`` has logged in through the form."""
    browser = Client(enforce_csrf_checks=True)
    assert submit_login(browser, member.login, member.raw_password).status_code == 302
    return browser


# --- Content-Security-Policy on pages ----------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status", "text"),
    [
        ("/login/", 200, "Log in"),
        ("/no/such/page/", 404, "Not found."),
    ],
)
def test_every_page_carries_the_site_policy(client, path, status, text):
    response = client.get(path, HTTP_ACCEPT="text/html")

    assert response.status_code == status
    assert text in response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert response["Content-Security-Policy"] == PAGE_POLICY
    assert response["X-Frame-Options"] == "DENY"
    assert_common_headers(response)


def test_the_login_page_uses_no_inline_script_or_style(client):
    page = client.get("/login/").content.decode()

    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert "<style" not in page
    assert " style=" not in page


def test_the_api_docs_page_gets_the_hosts_redoc_needs_and_no_more(client):
    response = client.get("/api/docs")

    assert response.status_code == 200
    assert "redoc" in response.content.decode()
    assert response["Content-Security-Policy"] == TOOL_POLICIES["/api/docs"]
    assert "https://cdn.jsdelivr.net" in response["Content-Security-Policy"]


def test_graphiql_gets_its_own_policy(client):
    response = client.get("/graphql", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert "graphiql" in response.content.decode().lower()
    assert response["Content-Security-Policy"] == TOOL_POLICIES["/graphql"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_a_json_reply_is_not_given_a_page_policy(client):
    response = client.get("/api/users/me")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert "Content-Security-Policy" not in response
    assert_common_headers(response)


def test_credential_pages_keep_their_stricter_policy(logged_in, member):
    assert step_up(logged_in, member.raw_password).status_code == 302

    response = logged_in.get("/profile/tokens/")

    assert response.status_code == 200
    assert "Access tokens" in response.content.decode()
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "connect-src 'none'" in response["Content-Security-Policy"]
    assert_no_store(response)
    assert_common_headers(response)


# --- no-store on every token-issuing reply ------------------------------------------------------


def test_personal_token_creation_is_no_store(client, member):
    auth = basic_header(member.login, member.raw_password)

    response = client.post(
        "/api/personal-tokens",
        {"name": "ci"},
        content_type="application/json",
        HTTP_AUTHORIZATION=auth,
    )

    assert response.status_code == 201
    assert response.json()["token"].startswith("twp_")
    assert member.personal_tokens.count() == 1
    assert_no_store(response)
    assert_common_headers(response)


def test_a_refused_personal_token_creation_is_no_store_too(client, member):
    auth = basic_header(member.login, member.raw_password)

    response = client.post(
        "/api/personal-tokens", {}, content_type="application/json", HTTP_AUTHORIZATION=auth
    )

    assert response.status_code == 400
    assert response.json()["errors"]["name"] == ["This field is required."]
    assert member.personal_tokens.count() == 0
    assert_no_store(response)


@pytest.mark.parametrize(
    ("path", "status", "field"),
    [("/api/tokens", 200, "token"), ("/api/v2/api-token-auth/", 200, "token")],
)
def test_password_for_token_exchanges_are_no_store(client, member, path, status, field):
    login = {"username": member.login, "password": member.raw_password}

    issued = client.post(path, urlencode(login), content_type=FORM)
    wrong = {**login, "password": "wrong-" + member.raw_password}
    refused = client.post(path, urlencode(wrong), content_type=FORM)

    assert issued.status_code == status
    assert issued.json()[field].startswith("tw")
    assert refused.status_code in (400, 401)
    assert "token" not in refused.json()
    for response in (issued, refused):
        assert_no_store(response)
        assert_common_headers(response)


def test_the_targetprocess_service_token_is_no_store(client, member):
    response = client.get(
        "/api/v1/Authentication",
        HTTP_AUTHORIZATION=basic_header(member.login, member.raw_password),
        HTTP_ACCEPT="application/json",
    )

    assert response.status_code == 200
    assert response.json()["Token"]
    assert_no_store(response)


def test_targetdata_token_endpoint_is_no_store_even_when_refusing(client):
    response = client.post("/auth/token", "refresh_token=two_nothing", content_type=FORM)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert_no_store(response)


def test_the_oauth2_token_endpoint_is_no_store_even_when_refusing(client):
    response = client.post(
        "/oauth/token/", "grant_type=refresh_token&refresh_token=twr_x", content_type=FORM
    )

    assert response.status_code in (400, 401)
    assert "error" in response.json()
    assert_no_store(response)


def test_oauth2_application_registration_is_no_store(client, admin):
    response = client.post(
        "/api/oauth-applications",
        {"name": "ci", "redirect_uris": [REDIRECT_URI], "client_type": "confidential"},
        content_type="application/json",
        HTTP_AUTHORIZATION=basic_header(admin.login, admin.raw_password),
    )

    assert response.status_code == 201, response.content
    assert response.json()["client_secret"]
    assert_no_store(response)


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("/auth/offline-token", "Offline refresh tokens"),
        ("/profile/tokens/", "Access tokens"),
        ("/oauth/applications/", "pplication"),
    ],
)
def test_pages_that_show_a_secret_are_no_store(logged_in, member, path, text):
    assert step_up(logged_in, member.raw_password, next_url=path).status_code == 302

    response = logged_in.get(path)

    assert response.status_code in (200, 403)
    assert text in response.content.decode()
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert_no_store(response)


def test_a_new_offline_token_page_is_no_store(logged_in, member):
    step_up(logged_in, member.raw_password, next_url="/auth/offline-token")

    response = logged_in.post(
        "/auth/offline-token", {"name": "ci", "csrfmiddlewaretoken": csrf_token(logged_in)}
    )

    assert response.status_code == 200
    assert "two_" in response.content.decode()
    assert member.offline_tokens.count() == 1
    assert_no_store(response)


# --- HSTS only under HTTPS ---------------------------------------------------------------------


def _https_settings(settings) -> None:
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 31536000


def test_hsts_is_sent_over_https_when_configured(settings):
    _https_settings(settings)

    response = Client().get("/login/", HTTP_X_FORWARDED_PROTO="https")

    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000"


def test_hsts_is_never_sent_over_plain_http(settings):
    _https_settings(settings)

    response = Client().get("/login/")

    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response


def test_hsts_is_off_by_default(client):
    response = client.get("/login/", secure=True)

    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response

"""The web session: log in through the form, then call the API with the cookie and CSRF."""

from __future__ import annotations

import httpx
import pytest
import tokenward_client as tc

from tests.client.conftest import ME, login_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]

NEW_TOKEN = {"name": "made through the session", "scopes": ["read"]}


def test_session_auth_logs_in_lazily_once(http, recorder, member):
    auth = tc.SessionAuth(member.login, member.raw_password)
    assert not auth.logged_in

    first = http.get(ME, auth=auth)
    second = http.get(ME, auth=auth)

    assert login_of(first) == member.login
    assert first.json()["auth_method"] == "session"
    assert login_of(second) == member.login
    assert auth.logged_in
    assert recorder.count("GET", "/login/") == 1
    assert recorder.count("POST", "/login/") == 1


def test_session_auth_sends_csrf_on_unsafe_methods(http, member):
    from tokenward.tokens.models import PersonalAccessToken

    auth = tc.SessionAuth(member.login, member.raw_password)

    response = http.post("/api/personal-tokens", json=NEW_TOKEN, auth=auth)

    assert response.status_code == 201, response.text
    assert response.json()["token"].startswith("twp_")
    assert response.request.headers["X-CSRFToken"] == auth.csrf_token
    assert response.request.headers["Referer"] == str(http.base_url.join("/"))
    assert PersonalAccessToken.objects.filter(owner=member, name=NEW_TOKEN["name"]).count() == 1


def test_the_session_cookie_without_the_csrf_header_is_refused(http, member):
    """What SessionAuth adds is what the server needs: the same cookies alone get 403."""
    auth = tc.SessionAuth(member.login, member.raw_password)
    login_of(http.get(ME, auth=auth))
    cookies = "; ".join(f"{name}={value}" for name, value in auth._cookies.items())

    response = http.post(
        "/api/personal-tokens", json=NEW_TOKEN, headers={"Cookie": cookies}, auth=None
    )

    assert response.status_code == 403
    assert response.json()["detail"].startswith("CSRF Failed")


def test_login_session_helper_logs_the_client_in(live_server, member):
    with httpx.Client(base_url=live_server.url, timeout=10) as client:
        auth = tc.login_session(client, member.login, member.raw_password)

        assert client.auth is auth
        assert auth.logged_in
        assert login_of(client.get(ME)) == member.login
        created = client.post("/api/personal-tokens", json=NEW_TOKEN)
        assert created.status_code == 201, created.text


def test_session_auth_works_with_a_client_that_follows_redirects(live_server, member):
    auth = tc.SessionAuth(member.login, member.raw_password)
    with httpx.Client(
        base_url=live_server.url, auth=auth, follow_redirects=True, timeout=10
    ) as client:
        assert login_of(client.get(ME)) == member.login
        assert client.post("/api/personal-tokens", json=NEW_TOKEN).status_code == 201


def test_a_wrong_password_raises_login_error(http, live_server, member):
    auth = tc.SessionAuth(member.login, "not-the-password")

    with pytest.raises(tc.LoginError) as caught:
        http.get(ME, auth=auth)

    assert caught.value.status_code == 200  # the form shown again, with its errors
    assert caught.value.error == "invalid_credentials"
    assert "not-the-password" not in str(caught.value)
    assert not auth.logged_in
    with (
        httpx.Client(base_url=live_server.url, timeout=10) as client,
        pytest.raises(tc.LoginError),
    ):
        tc.login_session(client, member.login, "not-the-password")


def test_without_a_session_the_api_answers_401(http):
    response = http.get(ME)

    assert response.status_code == 401

"""The login page with the login form disabled: single sign-on only."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from tests.web.conftest import csrf_token
from tokenward.accounts import site
from tokenward.accounts.models import SiteSettings

pytestmark = pytest.mark.django_db

SSO_ONLY = "Sign-in is through single sign-on: the login form is disabled on this server."


@pytest.fixture(params=["configuration", "administrator"])
def form_disabled(request, settings):
    """The login form disabled by the server's configuration, or by an administrator's choice."""
    if request.param == "configuration":
        settings.TOKENWARD = {**settings.TOKENWARD, "LOGIN_FORM_ENABLED": False}
    else:
        SiteSettings.objects.create(pk=1, login_form_enabled=False)
        site.forget_cached()
    return settings


def post_form(client: Client, login: str, password: str, token: str):
    data = {"username": login, "password": password, "csrfmiddlewaretoken": token}
    return client.post("/login/", data)


def test_login_page_says_sign_in_is_through_single_sign_on(browser, form_disabled):
    response = browser.get("/login/")

    assert response.status_code == 200
    html = response.content.decode()
    assert SSO_ONLY in html
    assert "<form" not in html
    assert 'name="password"' not in html
    assert 'name="username"' not in html
    assert "Use your tokenward login and password." not in html


def test_login_page_shows_the_form_by_default(browser):
    html = browser.get("/login/").content.decode()

    assert 'name="password"' in html
    assert SSO_ONLY not in html


@pytest.mark.parametrize("right_password", [True, False])
def test_posted_form_is_refused_and_logs_nobody_in(browser, settings, member, right_password):
    token = csrf_token(browser)  # fetched while the form was still shown, as a stale tab has it
    settings.TOKENWARD = {**settings.TOKENWARD, "LOGIN_FORM_ENABLED": False}
    password = member.raw_password if right_password else "not-the-password"

    response = post_form(browser, member.login, password, token)

    assert response.status_code == 403
    html = response.content.decode()
    assert SSO_ONLY in html
    assert 'name="password"' not in html
    assert password not in html
    assert "sessionid" not in response.cookies
    assert not Session.objects.exists()
    assert browser.get("/profile/").status_code == 302
    assert browser.get("/api/users/me").status_code == 401


def test_posted_form_without_a_csrf_token_is_refused(browser, form_disabled, member):
    response = browser.post("/login/", {"username": member.login, "password": member.raw_password})

    assert response.status_code == 403
    assert not Session.objects.exists()


def test_single_sign_on_still_logs_in_with_the_form_disabled(form_disabled, make_user):
    form_disabled.TOKENWARD = {
        **form_disabled.TOKENWARD,
        "SSO_HEADER": "X-Remote-User",
        "SSO_TRUSTED_PROXIES": ["10.0.0.5"],
    }
    make_user("alice", account_type="sso", password=None)
    browser = Client(enforce_csrf_checks=True, REMOTE_ADDR="10.0.0.5")

    response = browser.get("/login/", headers={"X-Remote-User": "alice"})

    assert response.status_code == 302
    assert response["Location"] == "/profile/"
    assert browser.get("/profile/").status_code == 200


def test_an_existing_session_survives_disabling_the_form(logged_in, settings, member):
    settings.TOKENWARD = {**settings.TOKENWARD, "LOGIN_FORM_ENABLED": False}

    response = logged_in.get("/api/users/me")

    assert response.status_code == 200
    assert response.json()["login"] == member.login

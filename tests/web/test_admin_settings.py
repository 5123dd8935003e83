"""The site settings page: the login form, stored in the database, guarded by single sign-on."""

from __future__ import annotations

import re

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from tests.conftest import basic_header, new_password
from tests.web.conftest import csrf_token, submit_login
from tokenward.accounts import services as accounts
from tokenward.accounts import site
from tokenward.accounts.models import SiteSettings
from tokenward.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

SETTINGS = "/admin/settings/"
SSO_ONLY = "Sign-in is through single sign-on: the login form is disabled on this server."


@pytest.fixture
def as_admin(browser, admin) -> Client:
    assert submit_login(browser, admin.login, admin.raw_password).status_code == 302
    return browser


@pytest.fixture
def sso_configured(settings):
    settings.TOKENWARD = {
        **settings.TOKENWARD,
        "SSO_HEADER": "X-Remote-User",
        "SSO_TRUSTED_PROXIES": ["10.0.0.5"],
    }
    return settings


def choose(client: Client, value: str):
    return client.post(SETTINGS, {"login_form": value, "csrfmiddlewaretoken": csrf_token(client)})


def test_the_page_shows_the_configured_value_until_an_administrator_chooses(as_admin):
    response = as_admin.get(SETTINGS)

    html = response.content.decode()
    assert response.status_code == 200
    assert "currently <strong>enabled</strong>" in html
    assert "no administrator has chosen yet" in html
    assert re.search(r'<input type="radio" name="login_form" value="enabled"[^>]* checked>', html)


def test_disabling_without_single_sign_on_is_refused_and_nothing_is_written(as_admin, browser):
    response = choose(as_admin, "disabled")

    assert response.status_code == 400
    assert "single sign-on is not configured" in response.content.decode()
    assert not SiteSettings.objects.exists()
    assert site.login_form_enabled() is True
    assert not AuditEvent.objects.filter(credential_kind="site_setting").exists()
    assert 'name="password"' in Client().get("/login/").content.decode()


def test_disabling_with_single_sign_on_hides_the_form_and_refuses_posts(
    as_admin, admin, sso_configured, member
):
    stranger = Client(enforce_csrf_checks=True)
    stale_token = csrf_token(stranger)  # a tab opened while the form was still shown

    response = choose(as_admin, "disabled")

    assert response.status_code == 302
    assert SiteSettings.objects.get().login_form_enabled is False
    event = AuditEvent.objects.get(credential_kind="site_setting")
    assert (event.actor, event.reason, event.action) == (admin, "disabled", "changed")
    login_page = stranger.get("/login/").content.decode()
    assert SSO_ONLY in login_page
    assert 'name="password"' not in login_page
    sessions = Session.objects.count()
    refused = stranger.post(
        "/login/",
        {
            "username": member.login,
            "password": member.raw_password,
            "csrfmiddlewaretoken": stale_token,
        },
    )
    assert refused.status_code == 403
    assert Session.objects.count() == sessions
    assert "currently <strong>disabled</strong>" in as_admin.get(SETTINGS).content.decode()


def test_the_stored_choice_wins_over_the_configuration(as_admin, sso_configured):
    sso_configured.TOKENWARD = {**sso_configured.TOKENWARD, "LOGIN_FORM_ENABLED": False}
    assert choose(as_admin, "enabled").status_code == 302

    assert site.login_form_enabled() is True
    assert 'name="password"' in Client().get("/login/").content.decode()


def test_the_system_users_basic_is_refused_while_the_stored_choice_disables_the_form(
    as_admin, api, sso_configured
):
    accounts.ensure_bootstrap_accounts(new_password())
    system = accounts.find_user("System")
    password = new_password()
    accounts.set_password(system, password)
    header = basic_header("System", password)
    assert api.get("/api/users/me", HTTP_AUTHORIZATION=header).status_code == 200

    choose(as_admin, "disabled")

    refused = api.get("/api/users/me", HTTP_AUTHORIZATION=header)
    assert refused.status_code == 401
    assert refused.json()["code"] == "basic_disabled"


def test_another_process_sees_a_change_within_the_cache_bound(monkeypatch, admin, sso_configured):
    now = [1000.0]
    monkeypatch.setattr(site.time, "monotonic", lambda: now[0])
    assert site.login_form_enabled() is True  # cached
    SiteSettings.objects.create(pk=1, login_form_enabled=False)  # another process's write

    still_cached = site.login_form_enabled()
    now[0] += site.CACHE_SECONDS
    fresh = site.login_form_enabled()

    assert still_cached is True
    assert fresh is False


def test_an_unknown_choice_is_refused(as_admin):
    response = choose(as_admin, "sometimes")

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not SiteSettings.objects.exists()


def test_a_post_without_a_csrf_token_is_refused(as_admin, sso_configured):
    response = as_admin.post(SETTINGS, {"login_form": "disabled"})

    assert response.status_code == 403
    assert not SiteSettings.objects.exists()


def test_non_administrators_cannot_change_it(logged_in, sso_configured):
    response = choose(logged_in, "disabled")

    assert response.status_code == 403
    assert not SiteSettings.objects.exists()

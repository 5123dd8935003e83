"""The profile page, the shared header, and the error pages."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.web.conftest import submit_login

pytestmark = pytest.mark.django_db


def test_profile_requires_login(browser):
    response = browser.get("/profile/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/profile/"


def test_start_page_sends_visitors_to_login_and_members_to_their_profile(logged_in):
    assert Client().get("/")["Location"] == "/login/"
    assert logged_in.get("/")["Location"] == "/profile/"


def test_profile_shows_the_accounts_details(logged_in, member):
    response = logged_in.get("/profile/")

    assert response.status_code == 200
    html = response.content.decode()
    for term, value in [
        ("Login", f"<code>{member.login}</code>"),
        ("Full name", "Mary White"),
        ("E-mail", "mwhite@example.com"),
        ("Role", "User"),
        ("Account type", "Local password"),
        ("Active", "Yes"),
        ("Can use API tokens", "Yes"),
    ]:
        assert f"<dt>{term}</dt><dd>{value}</dd>" in html
    joined = member.date_joined.strftime("%Y-%m-%d")
    assert f'<dt>Date joined</dt><dd><time datetime="{joined}T' in html


def test_profile_of_a_requester_says_it_cannot_use_api_tokens(browser, requester):
    submit_login(browser, requester.login, requester.raw_password)

    html = browser.get("/profile/").content.decode()
    assert "<dt>Role</dt><dd>Requester</dd>" in html
    assert "<dt>Can use API tokens</dt><dd>No</dd>" in html
    assert "<dt>Full name</dt><dd>—</dd>" in html


def test_profile_shows_single_sign_on_accounts_as_such(client, make_user):
    sso = make_user("ssouser", account_type="sso", password=None)
    client.force_login(sso)

    html = client.get("/profile/").content.decode()

    assert "<dt>Account type</dt><dd>Single sign-on</dd>" in html


def test_profile_escapes_what_the_user_entered(client, make_user):
    user = make_user("xss", full_name="<script>alert(1)</script>")
    client.force_login(user)

    html = client.get("/profile/").content.decode()

    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_header_shows_the_login_and_a_log_out_button_when_logged_in(logged_in, member):
    html = logged_in.get("/profile/").content.decode()

    assert '<a class="brand" href="/">' in html
    assert "Signed in as </span>" + member.login in html
    assert '<form class="account-nav__logout" method="post" action="/logout/">' in html
    assert 'name="csrfmiddlewaretoken"' in html.split("account-nav__logout", 1)[1]


def test_header_has_no_log_out_button_when_logged_out(browser):
    html = browser.get("/login/").content.decode()

    assert "tokenward" in html
    assert "Log out" not in html


def test_unknown_page_renders_the_styled_error_page(browser):
    response = browser.get("/no-such-page/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1" in html and "Page not found" in html
    assert "/static/web/tokenward.css" in html
    assert "Not found." in html


def test_unknown_api_path_answers_json(browser):
    response = browser.get("/api/no-such-thing/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}

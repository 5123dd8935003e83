"""The login and logout pages: CSRF, session fixation, cookie flags, refused accounts."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from tests.web.conftest import csrf_token, submit_login

pytestmark = pytest.mark.django_db

WRONG_LOGIN = "Please enter a correct login and password."


def test_login_page_renders_a_form_with_a_csrf_token(browser):
    response = browser.get("/login/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<label class="field__label" for="id_username">Login</label>' in html
    assert '<label class="field__label" for="id_password">Password</label>' in html
    assert 'autocomplete="current-password"' in html
    assert "csrftoken" in response.cookies
    assert "sessionid" not in response.cookies


def test_login_page_links_the_stylesheet_and_has_no_inline_script_or_style(browser):
    html = browser.get("/login/").content.decode()

    assert '<link rel="stylesheet" href="/static/web/tokenward.css">' in html
    assert "<script" not in html
    assert "<style" not in html
    assert "style=" not in html


def test_stylesheet_is_served(browser):
    response = browser.get("/static/web/tokenward.css")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert b":focus-visible" in b"".join(response.streaming_content)


def test_post_without_csrf_token_is_refused(browser, member):
    response = browser.post("/login/", {"username": member.login, "password": member.raw_password})

    assert response.status_code == 403
    assert b"security token (CSRF)" in response.content
    assert "sessionid" not in browser.cookies
    assert Session.objects.count() == 0


def test_correct_login_redirects_to_the_profile(browser, member):
    response = submit_login(browser, member.login, member.raw_password)

    assert response.status_code == 302
    assert response["Location"] == "/profile/"
    session = Session.objects.get(session_key=browser.cookies["sessionid"].value)
    assert session.get_decoded()["_auth_user_id"] == str(member.pk)


def test_login_follows_a_safe_next_and_ignores_a_foreign_one(browser, member):
    response = submit_login(browser, member.login, member.raw_password, next="/api/users/me")
    assert response["Location"] == "/api/users/me"

    other = Client(enforce_csrf_checks=True)
    response = submit_login(other, member.login, member.raw_password, next="https://evil.test/")
    assert response["Location"] == "/profile/"


def test_login_page_carries_the_page_the_user_was_going_to_in_a_named_field(browser):
    # A nameless hidden field sent nothing: every log-in landed on the profile instead of
    # the page that asked for it (TargetData's offline-token page).
    page = browser.get("/login/?next=/auth/offline-token")

    assert page.status_code == 200
    assert b'<input type="hidden" name="next" value="/auth/offline-token">' in page.content


def test_session_id_changes_at_login(browser, member):
    before = browser.session  # an anonymous session that already exists, as an attacker's would
    before["visited"] = True
    before.save()
    old_key = browser.cookies["sessionid"].value
    assert old_key == before.session_key

    response = submit_login(browser, member.login, member.raw_password)

    assert response.status_code == 302
    new_key = response.cookies["sessionid"].value
    assert new_key and new_key != old_key
    assert not Session.objects.filter(session_key=old_key).exists()
    assert Session.objects.filter(session_key=new_key).exists()


def test_session_cookie_is_httponly_and_samesite_lax(browser, member):
    response = submit_login(browser, member.login, member.raw_password)

    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_csrf_token_is_rotated_at_login(browser, member):
    before = csrf_token(browser)

    submit_login(browser, member.login, member.raw_password)

    assert browser.cookies["csrftoken"].value != before


def test_wrong_password_shows_an_error_and_creates_no_session(browser, member):
    response = submit_login(browser, member.login, "not-the-password")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="alert"' in html
    assert WRONG_LOGIN in html
    assert f'value="{member.login}"' in html  # the login is kept, the password is not
    assert "not-the-password" not in html
    assert "sessionid" not in response.cookies
    assert Session.objects.count() == 0


def test_unknown_login_gets_the_same_error_as_a_wrong_password(browser):
    response = submit_login(browser, "nobody", "whatever-password")

    assert response.status_code == 200
    assert WRONG_LOGIN in response.content.decode()
    assert Session.objects.count() == 0


def test_inactive_user_cannot_log_in_and_is_told_what_a_wrong_password_is_told(browser, inactive):
    response = submit_login(browser, inactive.login, inactive.raw_password)

    assert response.status_code == 200
    assert WRONG_LOGIN in response.content.decode()
    assert "inactive" not in response.content.decode()  # it would tell the password was right
    assert Session.objects.count() == 0
    assert browser.get("/profile/").status_code == 302


def test_single_sign_on_account_cannot_log_in_with_a_password(browser, make_user):
    sso = make_user("ssouser", account_type="sso", password=None)

    response = submit_login(browser, sso.login, "any-password-at-all")

    assert WRONG_LOGIN in response.content.decode()
    assert Session.objects.count() == 0


def test_requester_may_log_in_to_the_web_pages(browser, requester):
    response = submit_login(browser, requester.login, requester.raw_password)

    assert response["Location"] == "/profile/"
    assert browser.get("/profile/").status_code == 200


def test_logged_in_user_visiting_login_goes_to_the_profile(logged_in):
    response = logged_in.get("/login/")

    assert response.status_code == 302
    assert response["Location"] == "/profile/"


def test_logout_by_post_ends_the_session(logged_in):
    session_id = logged_in.cookies["sessionid"].value

    response = logged_in.post("/logout/", {"csrfmiddlewaretoken": csrf_token(logged_in)})

    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert not Session.objects.filter(session_key=session_id).exists()
    replay = Client(enforce_csrf_checks=True)
    replay.cookies["sessionid"] = session_id
    api = replay.get("/api/users/me")
    assert api.status_code == 401
    assert api["WWW-Authenticate"].startswith("Basic")
    assert replay.get("/profile/").status_code == 302


def test_logout_without_csrf_token_is_refused(logged_in):
    response = logged_in.post("/logout/")

    assert response.status_code == 403
    assert logged_in.get("/profile/").status_code == 200


def test_get_logout_does_not_log_out(logged_in):
    response = logged_in.get("/logout/")

    assert response.status_code == 405
    assert logged_in.get("/profile/").status_code == 200
    assert logged_in.get("/api/users/me").status_code == 200

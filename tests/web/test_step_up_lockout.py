"""The step-up page under password guessing: a stolen session is no way to guess the password
without limit. Its failures count towards the account's lockout, shared with the login form."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.hashers import CountingArgon2PasswordHasher
from tests.lockout import ACCOUNT_LIMIT, WINDOW, locked_body
from tests.web.conftest import STEP_UP, csrf_token, lapse_confirmation, step_up, submit_login
from tokenward.audit.models import AuditEvent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("small_limits")]

TOKENS = "/profile/tokens/"


def logged_in_as(user) -> Client:
    browser = Client(enforce_csrf_checks=True)
    assert submit_login(browser, user.login, user.raw_password).status_code == 302
    return browser


def test_after_the_limit_the_page_is_429_and_the_right_password_is_not_checked(
    settings, clock, member, outsider
):
    browser = lapse_confirmation(logged_in_as(member))
    for _ in range(ACCOUNT_LIMIT):
        assert step_up(browser, "not-the-password").status_code == 400
    settings.PASSWORD_HASHERS = ["tests.hashers.CountingArgon2PasswordHasher"]
    CountingArgon2PasswordHasher.calls.clear()

    response = step_up(browser, member.raw_password)

    assert response.status_code == 429
    assert response["Retry-After"] == str(WINDOW)
    html = response.content.decode()
    assert locked_body(WINDOW)["detail"] in html
    assert 'name="password"' in html
    assert member.raw_password not in html
    assert CountingArgon2PasswordHasher.calls == []
    assert browser.get(TOKENS).status_code == 302  # still no proof
    [event] = AuditEvent.objects.filter(reason="too_many_attempts")
    assert (event.action, event.method) == ("failed", "step_up")
    assert (event.actor, event.subject) == (member, member)
    assert AuditEvent.objects.filter(reason="wrong_password").count() == ACCOUNT_LIMIT
    assert step_up(logged_in_as(outsider), outsider.raw_password).status_code == 302


def test_the_page_opens_again_when_the_window_ends(clock, member):
    browser = lapse_confirmation(logged_in_as(member))
    for _ in range(ACCOUNT_LIMIT):
        step_up(browser, "not-the-password")
    clock.shift(WINDOW)

    response = step_up(browser, member.raw_password)

    assert response.status_code == 302
    assert browser.get(TOKENS).status_code == 200


def test_step_up_failures_lock_the_login_form_too(member):
    browser = lapse_confirmation(logged_in_as(member))
    for _ in range(ACCOUNT_LIMIT):
        step_up(browser, "not-the-password")

    response = submit_login(Client(enforce_csrf_checks=True), member.login, member.raw_password)

    assert response.status_code == 429


def test_a_right_password_clears_the_accounts_failures(member):
    browser = logged_in_as(member)
    for _ in range(ACCOUNT_LIMIT - 1):
        step_up(browser, "not-the-password")
    assert step_up(browser, member.raw_password).status_code == 302

    for _ in range(ACCOUNT_LIMIT - 1):
        step_up(browser, "not-the-password")

    assert step_up(browser, member.raw_password).status_code == 302


def test_the_locked_page_keeps_the_csrf_protection(member):
    browser = lapse_confirmation(logged_in_as(member))
    for _ in range(ACCOUNT_LIMIT):
        step_up(browser, "not-the-password")

    no_token = browser.post(STEP_UP, {"password": member.raw_password, "next": TOKENS})
    with_token = browser.post(
        STEP_UP,
        {
            "password": member.raw_password,
            "next": TOKENS,
            "csrfmiddlewaretoken": csrf_token(browser),
        },
    )

    assert no_token.status_code == 403
    assert with_token.status_code == 429

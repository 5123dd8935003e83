"""The login form under password guessing: the lockout (a 429 page with the form, the reason
and ``Retry-After``), and one answer and one hash for unknown, wrong and inactive logins."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from tests.lockout import (
    ACCOUNT_LIMIT,
    ADDRESS_LIMIT,
    GUESSES,
    WINDOW,
    guess,
    locked_body,
)
from tests.web.conftest import csrf_token
from tokenward.audit.models import AuditEvent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("small_limits", "hashes")]

WRONG_LOGIN = "Please enter a correct login and password."


def log_in(login: str, password: str, address: str = "127.0.0.1"):
    """Post the login form from a fresh browser at ``address``, with its CSRF token."""
    browser = Client(enforce_csrf_checks=True, REMOTE_ADDR=address)
    data = {"username": login, "password": password, "csrfmiddlewaretoken": csrf_token(browser)}
    return browser.post("/login/", data)


def test_after_the_limit_the_form_comes_back_with_429_and_the_reason(
    member, outsider, clock, hashes
):
    for _ in range(ACCOUNT_LIMIT):
        assert log_in(member.login, "not-the-password").status_code == 200
    hashes.clear()

    response = log_in(member.login, member.raw_password)

    assert response.status_code == 429
    assert response["Retry-After"] == str(WINDOW)
    html = response.content.decode()
    assert locked_body(WINDOW)["detail"] in html
    assert 'role="alert"' in html
    assert 'name="password"' in html  # the form is there to try again later
    assert f'value="{member.login}"' in html
    assert member.raw_password not in html
    assert hashes == []
    assert not Session.objects.exists()
    [event] = AuditEvent.objects.filter(reason="too_many_attempts")
    assert (event.action, event.method, event.subject) == ("failed", "login_form", member)
    assert log_in(outsider.login, outsider.raw_password).status_code == 302


def test_the_owner_logs_in_from_home_after_a_strangers_full_run_of_guesses(member, clock):
    for _ in range(ACCOUNT_LIMIT):
        assert log_in(member.login, "not-the-password", "203.0.113.7").status_code == 200

    stranger = log_in(member.login, member.raw_password, "203.0.113.7")
    owner = log_in(member.login, member.raw_password, "198.51.100.2")

    assert stranger.status_code == 429  # the stranger's address: shut out of the account
    assert locked_body(WINDOW)["detail"] in stranger.content.decode()
    assert owner.status_code == 302  # the owner, from home: in
    assert Session.objects.count() == 1
    assert log_in(member.login, "not-the-password", "203.0.113.7").status_code == 429


def test_the_form_works_again_when_the_window_ends(member, clock):
    for _ in range(ACCOUNT_LIMIT):
        log_in(member.login, "not-the-password")
    clock.shift(WINDOW)

    response = log_in(member.login, member.raw_password)

    assert response.status_code == 302
    assert response["Location"] == "/profile/"


def test_one_address_guessing_many_logins_is_locked_out_and_others_are_not(member):
    for n in range(ADDRESS_LIMIT):
        log_in(f"guess{n}", "whatever-1", address="192.0.2.1")

    assert log_in(member.login, member.raw_password, address="192.0.2.1").status_code == 429
    assert log_in(member.login, member.raw_password, address="198.51.100.2").status_code == 302


def test_a_right_password_clears_the_accounts_failures(member):
    for _ in range(ACCOUNT_LIMIT - 1):
        log_in(member.login, "not-the-password")
    assert log_in(member.login, member.raw_password).status_code == 302

    for _ in range(ACCOUNT_LIMIT - 1):
        log_in(member.login, "not-the-password")

    assert log_in(member.login, member.raw_password).status_code == 302


def test_a_missing_password_is_not_a_failed_attempt(member, hashes):
    hashes.clear()  # those of making the user
    for _ in range(ACCOUNT_LIMIT + 1):
        response = log_in(member.login, "")
        assert response.status_code == 200
        assert "This field is required." in response.content.decode()

    assert hashes == []
    assert log_in(member.login, member.raw_password).status_code == 302


@pytest.mark.parametrize("case", GUESSES)
def test_unknown_wrong_and_inactive_get_one_answer_and_one_hash(case, member, inactive, hashes):
    login, password = guess(case, member, inactive)
    hashes.clear()

    response = log_in(login, password)

    assert response.status_code == 200
    html = response.content.decode()
    assert WRONG_LOGIN in html
    assert "inactive" not in html
    assert len(hashes) == 1, hashes
    assert not Session.objects.exists()

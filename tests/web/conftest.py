"""Fixtures for the web pages: a browser-like client that logs in through the form."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import Client

from tokenward.authn.issuing import SESSION_KEY as STEP_UP_SESSION_KEY


def csrf_token(client: Client) -> str:
    """Return the CSRF token from the client's cookie, fetching the login page if needed."""
    if "csrftoken" not in client.cookies:
        client.get("/login/")
    return client.cookies["csrftoken"].value


def submit_login(client: Client, login: str, password: str, **extra: str) -> HttpResponse:
    """Post the login form as a browser does: with the CSRF token from the page's cookie."""
    data = {"username": login, "password": password, "csrfmiddlewaretoken": csrf_token(client)}
    return client.post("/login/", {**data, **extra})


STEP_UP = "/profile/confirm-password/"


def lapse_confirmation(client: Client) -> Client:
    """Let the password confirmation of the client's log-in lapse, as ``STEP_UP_SECONDS``
    after it: the session stays logged in, without a fresh proof."""
    session = client.session
    session.pop(STEP_UP_SESSION_KEY, None)
    session.save()
    return client


def step_up(client: Client, password: str, next_url: str = "/profile/tokens/") -> HttpResponse:
    """Confirm the password on the step-up page, as a browser does, before the token pages."""
    assert client.get(STEP_UP).status_code == 200  # the form, and with it the CSRF cookie
    data = {"password": password, "next": next_url, "csrfmiddlewaretoken": csrf_token(client)}
    return client.post(STEP_UP, data)


@pytest.fixture
def browser() -> Client:
    """A Django test client with CSRF checks on, as browsers get them."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def logged_in(browser, member) -> Client:
    """A browser in which ``member`` has logged in through the form."""
    response = submit_login(browser, member.login, member.raw_password)
    assert response.status_code == 302
    return browser


@pytest.fixture
def logged_in_earlier(browser, member) -> Client:
    """A browser in which ``member`` logged in through the form longer ago than the step-up
    window: still logged in, but the log-in no longer counts as a fresh confirmation."""
    response = submit_login(browser, member.login, member.raw_password)
    assert response.status_code == 302
    return lapse_confirmation(browser)


@pytest.fixture
def stepped_up(logged_in, member) -> Client:
    """A browser in which ``member`` has logged in and just confirmed the password again."""
    response = step_up(logged_in, member.raw_password)
    assert response.status_code == 302
    return logged_in

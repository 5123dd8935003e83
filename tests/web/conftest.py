"""Fixtures for the web pages: a browser-like client that logs in through the form."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import Client


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
def stepped_up(logged_in, member) -> Client:
    """A browser in which ``member`` has logged in and just confirmed the password again."""
    response = step_up(logged_in, member.raw_password)
    assert response.status_code == 302
    return logged_in

"""The Access Tokens page in a real browser: step up, create, read once, use, revoke."""

from __future__ import annotations

import secrets

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SSO_HEADER, log_in
from tests.conftest import new_password

pytestmark = [pytest.mark.live, pytest.mark.browser]


@pytest.fixture
def local_user(server):
    login, password = f"ana-{secrets.token_hex(3)}", new_password()
    added = server.cli(
        "user", "add", login, "--name", "Ana Local", "--password-stdin", stdin=password
    )
    assert added.returncode == 0, added.stderr
    return login, password


def me(server, token: str) -> httpx.Response:
    return server.get("/api/users/me", headers={"Authorization": f"Bearer {token}"})


def test_create_read_once_use_and_revoke_a_token(new_page, server, local_user, screenshot):
    login, password = local_user
    page = new_page(permissions=["clipboard-read", "clipboard-write"])
    log_in(page, login, password)

    # The log-in was a fresh confirmation: the token page opens without a second password.
    page.get_by_role("link", name="Access tokens").first.click()
    page.wait_for_url("**/profile/tokens/")
    # Once the window has passed, a local user confirms the password again on this page.
    page.goto("/profile/confirm-password/?next=/profile/tokens/")
    screenshot(page, "step-up")
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/profile/tokens/")
    screenshot(page, "access-tokens-empty")

    page.get_by_label("Name", exact=True).fill("ci pipeline")
    page.get_by_label("Description (optional)").fill("Nightly import")
    page.get_by_role("button", name="Create token").click()

    secret = page.locator("#new-token")
    token = secret.input_value()
    assert token.startswith("twp_") and len(token) == 40
    expect(page.get_by_text("Copy it now: it will not be shown again.")).to_be_visible()
    page.get_by_role("button", name="Copy the token").click()
    page.get_by_text("Copied to the clipboard.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == token
    screenshot(page, "access-tokens-created", mask=[secret])

    answer = me(server, token)
    assert answer.status_code == 200 and answer.json()["login"] == login

    page.goto("/profile/tokens/")
    assert token not in page.content()  # shown once, never again
    expect(page.get_by_role("cell", name="ci pipeline")).to_be_visible()
    screenshot(page, "access-tokens")

    page.get_by_role("link", name="Revoke ci pipeline").click()
    screenshot(page, "revoke-token")
    page.get_by_role("button", name="Revoke this token").click()
    expect(page.get_by_role("link", name="Back to access tokens")).to_be_visible()

    refused = me(server, token)
    assert refused.status_code == 401
    assert refused.json()["code"] == "token_revoked"


def test_a_wrong_confirmation_is_refused_and_the_right_one_leads_on(new_page, local_user):
    login, password = local_user
    page = new_page()
    log_in(page, login, password)
    page.goto("/profile/confirm-password/?next=/profile/tokens/")
    page.get_by_label("Password", exact=True).fill("not the password")
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_text("That password is not correct.")).to_be_visible()
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/profile/tokens/")
    page.goto("/profile/")
    page.goto("/profile/tokens/")
    assert page.url.endswith("/profile/tokens/")  # within the window: not asked again


def test_logging_in_on_the_way_to_the_offline_token_page_lands_on_it(new_page, local_user):
    login, password = local_user
    page = new_page()

    # TargetData: "After filling in your credentials you will be redirected to a page,
    # which displays your offline refresh token" -- not to a second password form.
    page.goto("/auth/offline-token")
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/auth/offline-token")
    page.get_by_role("button", name="Create an offline token").click()

    assert page.locator("#offline-token-value").input_value().startswith("two_")


def test_a_single_sign_on_user_is_not_asked_for_a_password(new_page, server):
    login = f"sso-{secrets.token_hex(3)}"
    added = server.cli("user", "add", login, "--sso")
    assert added.returncode == 0, added.stderr
    page = new_page(extra_http_headers={SSO_HEADER: login})

    page.goto("/profile/tokens/")

    assert page.url.endswith("/profile/tokens/")
    expect(page.get_by_role("heading", name="Access tokens", exact=True)).to_be_visible()
    page.get_by_label("Name", exact=True).fill("sso script")
    page.get_by_role("button", name="Create token").click()
    token = page.locator("#new-token").input_value()
    assert me(server, token).json()["login"] == login

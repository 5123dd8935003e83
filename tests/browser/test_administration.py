"""Administration in a real browser: users, the System user's password, settings, audit log,
OAuth2 applications and the consent page they lead to."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.conftest import basic_header, new_password

pytestmark = [pytest.mark.live, pytest.mark.browser]


@pytest.fixture
def admin_page(new_page, admin_password):
    page = new_page()
    log_in(page, "admin", admin_password)
    return page


def system_me(server, password: str):
    return server.get("/api/users/me", headers={"Authorization": basic_header("System", password)})


def test_an_administrator_sets_the_system_users_password(admin_page, server, screenshot):
    page = admin_page
    password = new_password()
    assert system_me(server, password).status_code == 401

    page.get_by_role("link", name="Administration").click()
    page.wait_for_url("**/admin/users/")
    screenshot(page, "admin-users")
    page.get_by_role("link", name="System", exact=True).click()
    page.get_by_label("New password", exact=True).fill(password)
    page.get_by_label("Repeat the new password").fill(password)
    screenshot(page, "admin-user", mask=[page.locator("input[type=password]")])
    page.get_by_role("button", name="Set password").click()

    expect(page.get_by_role("status").first).to_be_visible()
    answer = system_me(server, password)
    assert answer.status_code == 200 and answer.json()["login"] == "System"


def test_settings_and_the_audit_log_with_filters(admin_page, server, screenshot):
    page = admin_page
    server.get("/api/users/me", headers={"Authorization": "Bearer twp_" + "A" * 36})

    page.goto("/admin/settings/")
    expect(page.get_by_role("heading", name="Site settings")).to_be_visible()
    screenshot(page, "admin-settings")

    page.goto("/admin/audit/")
    page.get_by_label("Outcome").select_option("issued")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**action=issued**")
    rows = page.locator("tbody tr")
    assert rows.count() >= 1
    assert all("Issued" in text for text in rows.all_inner_texts())
    screenshot(page, "admin-audit")


def test_registering_an_application_and_its_consent_page(admin_page, new_page, server, screenshot):
    page = admin_page
    page.goto("/oauth/applications/")
    page.get_by_label("Name").fill("Reporting dashboard")
    page.get_by_label("Redirect URIs").fill("http://127.0.0.1:8765/callback")
    page.get_by_label("Client type").select_option("confidential")
    page.get_by_role("button", name="Register application").click()
    expect(page.locator("#registered")).to_be_visible()
    registered = page.locator("#registered")
    assert "Reporting dashboard" in registered.inner_text()
    client_id = registered.locator("code").first.inner_text()
    secret = page.locator("#client-secret")
    assert len(secret.input_value()) >= 32
    screenshot(page, "oauth-applications", mask=[secret])

    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": "http://127.0.0.1:8765/callback",
            "scope": "read",
            "state": "s1",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    page.goto(f"/oauth/authorize/?{query}")
    expect(page.get_by_role("heading", name="Authorize “Reporting dashboard”?")).to_be_visible()
    screenshot(page, "oauth-consent")

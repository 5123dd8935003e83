"""Logging in and out in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in

pytestmark = [pytest.mark.live, pytest.mark.browser]


def test_log_in_shows_the_profile_and_log_out_ends_it(new_page, admin_password, screenshot):
    page = new_page()
    page.goto("/login/")
    screenshot(page, "login")

    log_in(page, "admin", admin_password)

    assert page.get_by_role("heading", level=1).inner_text()
    assert "admin" in page.locator("main").inner_text()
    screenshot(page, "profile")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login/")
    page.goto("/profile/")
    assert "/login/" in page.url


def test_a_wrong_password_keeps_the_visitor_out(new_page):
    page = new_page()
    page.goto("/login/")
    page.get_by_label("Login").fill("admin")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()

    assert "/login/" in page.url
    expect(page.get_by_role("alert")).to_be_visible()

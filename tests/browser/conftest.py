"""Browser tests: Playwright drives Debian's Chromium against a real ``tokenward serve``.

The server runs as operators start it (gunicorn, SQLite in its own data folder), with single
sign-on configured so that a test can act as the authenticating proxy by sending its header.
No browser is downloaded: without ``/usr/bin/chromium`` (``apt-get install -y chromium``,
which ``make test`` does where it can) these tests skip and say why.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import new_password
from tests.live_server import Server, start

pytestmark = [pytest.mark.live, pytest.mark.browser]

SSO_HEADER = "X-Remote-User"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Where screenshots go: docs/screenshots with ``make screenshots``, else a throw-away folder.
SCREENSHOTS_ENV = "TOKENWARD_SCREENSHOTS"


def chromium_path() -> str | None:
    return shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )


@pytest.fixture(scope="session")
def chromium() -> str:
    path = chromium_path()
    if path is None:
        pytest.skip("Chromium is not installed (apt-get install -y chromium); browser tests skip")
    return path


@pytest.fixture(scope="session")
def admin_password() -> str:
    return new_password()


# Package scope: the server and Playwright stop when the browser tests are done. Playwright's
# sync API keeps an event loop in the main thread while it runs, and Django refuses database
# calls from a thread with a running loop (SynchronousOnlyOperation) in later tests.
@pytest.fixture(scope="package")
def server(tmp_path_factory, admin_password, chromium) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("browser") / "data"
    sso = {
        "TOKENWARD_SSO_HEADER": SSO_HEADER,
        "TOKENWARD_SSO_TRUSTED_PROXIES": "127.0.0.1",
    }
    running = start(data_dir, admin_password, sso)
    yield running
    running.stop()


@pytest.fixture(scope="package")
def browser(chromium) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def new_page(browser, server):
    """Open pages in fresh browser contexts (own cookies), closed after the test."""
    contexts = []

    def new_page(**context_options):
        context = browser.new_context(base_url=server.url, **context_options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield new_page
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory) -> Path:
    wanted = os.environ.get(SCREENSHOTS_ENV)
    folder = Path(wanted) if wanted else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def screenshot(screenshot_dir):
    """Save a full-page screenshot; ``mask`` hides secrets (a throw-away token is still one)."""

    def take(page, name: str, mask=()) -> Path:
        path = screenshot_dir / f"{name}.png"
        page.screenshot(path=str(path), full_page=True, mask=list(mask), mask_color="#9aa1b5")
        return path

    return take


def log_in(page, login: str, password: str) -> None:
    """Log in through the form, as a person does."""
    page.goto("/login/")
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/profile/")

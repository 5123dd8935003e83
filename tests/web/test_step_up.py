"""Step-up: a local user confirms the password again before the token pages; SSO users never."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest
import time_machine
from django.core.checks import run_checks
from django.test import Client
from django.utils import timezone

from tests.web.conftest import STEP_UP, csrf_token, lapse_confirmation, step_up, submit_login
from tokenward.audit.models import AuditEvent
from tokenward.tokens.models import OfflineToken, PersonalAccessToken

pytestmark = pytest.mark.django_db

TOKENS = "/profile/tokens/"


@pytest.fixture
def clock():
    """A stopped clock that a test moves with ``clock.shift(seconds)``."""
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def logged_in(logged_in):
    """Here the browser logged in a while ago: its log-in no longer counts as a confirmation."""
    return lapse_confirmation(logged_in)


def confirm_redirect(path: str) -> str:
    return f"{STEP_UP}?next={quote(path, safe='')}"


@pytest.mark.parametrize("path", [TOKENS, "/auth/offline-token", "/profile/tokens/revoke-all/"])
def test_a_token_page_sends_a_local_user_to_confirm_first(logged_in, path):
    response = logged_in.get(path)

    assert response.status_code == 302
    assert response["Location"] == confirm_redirect(path)
    assert "no-store" in response["Cache-Control"]


def test_the_e_mail_revoke_link_asks_first_too(logged_in, make_token, member):
    token = make_token(member)
    path = f"/profile/tokens/{token.record.pk}/revoke/"

    response = logged_in.get(path)

    assert response.status_code == 302 and response["Location"] == confirm_redirect(path)


def test_a_post_without_a_fresh_proof_is_refused_and_writes_nothing(logged_in, member):
    data = {"name": "ci", "scopes": ["read"], "expiry": "30"}
    response = logged_in.post(TOKENS, {**data, "csrfmiddlewaretoken": csrf_token(logged_in)})

    assert response.status_code == 403
    body = response.content.decode()
    assert "Confirm your password, then do it again: nothing was changed." in body
    assert 'name="password"' in body and 'value="/profile/tokens/"' in body
    assert not PersonalAccessToken.objects.exists()
    assert not AuditEvent.objects.exists()


def test_revoking_without_a_fresh_proof_is_refused(logged_in, make_token, member):
    token = make_token(member)

    response = logged_in.post(
        f"/profile/tokens/{token.record.pk}/revoke/",
        {"csrfmiddlewaretoken": csrf_token(logged_in)},
    )

    assert response.status_code == 403
    token.record.refresh_from_db()
    assert token.record.revoked_at is None
    assert not AuditEvent.objects.filter(action="revoked").exists()


def test_the_offline_token_page_refuses_a_post_without_a_proof(logged_in):
    response = logged_in.post("/auth/offline-token", {"csrfmiddlewaretoken": csrf_token(logged_in)})

    assert response.status_code == 403
    assert not OfflineToken.objects.exists()


def test_the_confirm_page_asks_for_the_password(logged_in, member):
    response = logged_in.get(f"{STEP_UP}?next=/auth/offline-token")

    assert response.status_code == 200
    body = response.content.decode()
    assert "<h1" in body and "Confirm your password" in body
    assert '<label class="field__label" for="step-up-password">Password</label>' in body
    assert 'autocomplete="current-password"' in body
    assert 'name="next" value="/auth/offline-token"' in body
    assert f"<code>{member.login}</code>" in body
    assert "no-store" in response["Cache-Control"]
    assert "default-src 'none'" in response["Content-Security-Policy"]


def test_the_right_password_leads_on_to_the_page(logged_in, member):
    response = step_up(logged_in, member.raw_password, next_url="/auth/offline-token")

    assert response.status_code == 302
    assert response["Location"] == "/auth/offline-token"
    assert logged_in.get("/auth/offline-token").status_code == 200
    assert logged_in.get(TOKENS).status_code == 200


def test_a_wrong_password_is_refused_and_audited(logged_in, member):
    wrong = member.raw_password + "x"

    response = step_up(logged_in, wrong)

    assert response.status_code == 400
    body = response.content.decode()
    assert "That password is not correct." in body
    assert wrong not in body
    assert 'aria-invalid="true"' in body
    assert logged_in.get(TOKENS).status_code == 302  # still no proof
    [event] = AuditEvent.objects.all()
    assert (event.action, event.credential_kind, event.method) == ("failed", "password", "step_up")
    assert (event.actor, event.subject, event.reason) == (member, member, "wrong_password")


def test_a_wrong_password_leaves_the_account_usable(logged_in, member):
    step_up(logged_in, "not-the-password")

    again = Client(enforce_csrf_checks=True)
    assert submit_login(again, member.login, member.raw_password).status_code == 302
    assert step_up(logged_in, member.raw_password).status_code == 302


def test_the_step_up_form_needs_the_csrf_token(logged_in, member):
    response = logged_in.post(STEP_UP, {"password": member.raw_password, "next": TOKENS})

    assert response.status_code == 403
    assert logged_in.get(TOKENS).status_code == 302


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/profile/tokens/",
        "/\\evil.example/",
        "javascript:alert(1)",
        "http://testserver/profile/",  # an absolute URL, even to this host: a path only
        "",
    ],
)
def test_next_never_leaves_the_site(logged_in, member, target):
    response = step_up(logged_in, member.raw_password, next_url=target)

    assert response.status_code == 302
    assert response["Location"] == TOKENS


def test_a_foreign_next_is_not_put_in_the_form(logged_in):
    body = logged_in.get(f"{STEP_UP}?next=https://evil.example/").content.decode()

    assert "evil.example" not in body
    assert 'name="next" value="/profile/tokens/"' in body


def test_the_proof_lasts_the_window_and_no_longer(clock, logged_in, member):
    step_up(logged_in, member.raw_password)

    clock.shift(599)
    assert logged_in.get(TOKENS).status_code == 200
    clock.shift(2)
    response = logged_in.get(TOKENS)

    assert response.status_code == 302 and response["Location"] == confirm_redirect(TOKENS)


def test_the_window_is_a_setting(clock, settings, logged_in, member):
    settings.TOKENWARD = {**settings.TOKENWARD, "STEP_UP_SECONDS": 60}
    step_up(logged_in, member.raw_password)

    clock.shift(61)

    assert logged_in.get(TOKENS).status_code == 302


def test_a_proof_from_the_future_does_not_count(clock, logged_in, member):
    step_up(logged_in, member.raw_password)

    clock.shift(-timedelta(minutes=5))

    assert logged_in.get(TOKENS).status_code == 302


def test_logging_in_again_counts_as_a_fresh_confirmation(logged_in, member):
    logged_in.post("/logout/", {"csrfmiddlewaretoken": csrf_token(logged_in)})

    submit_login(logged_in, member.login, member.raw_password)

    assert logged_in.get(TOKENS).status_code == 200


@pytest.mark.parametrize("page", ["/auth/offline-token", TOKENS])
def test_a_user_who_logs_in_on_the_way_to_a_token_page_is_not_asked_the_password_twice(
    browser, member, page
):
    sent = browser.get(page)
    assert sent.status_code == 302 and sent["Location"] == f"/login/?next={page}"

    landed = submit_login(browser, member.login, member.raw_password, next=page)
    shown = browser.get(landed["Location"])

    assert landed.status_code == 302 and landed["Location"] == page
    assert shown.status_code == 200 and 'name="password"' not in shown.content.decode()


def test_the_offline_token_is_created_right_after_logging_in(browser, member):
    submit_login(browser, member.login, member.raw_password, next="/auth/offline-token")

    response = browser.post(
        "/auth/offline-token", {"name": "gql", "csrfmiddlewaretoken": csrf_token(browser)}
    )

    assert response.status_code == 200
    assert OfflineToken.objects.get().owner == member
    assert AuditEvent.objects.filter(action="issued", credential_kind="offline_token").count() == 1


def test_the_log_ins_confirmation_lasts_the_window_and_no_longer(clock, browser, member):
    submit_login(browser, member.login, member.raw_password)

    clock.shift(599)
    assert browser.get(TOKENS).status_code == 200
    clock.shift(2)
    response = browser.get(TOKENS)

    assert response.status_code == 302 and response["Location"] == confirm_redirect(TOKENS)


def test_anonymous_visitors_log_in_first(browser):
    response = browser.get(STEP_UP)

    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")


def test_a_single_sign_on_user_is_never_asked(make_user):
    user = make_user("alice", account_type="sso", password=None)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)

    page = browser.get(TOKENS)
    confirm = browser.get(f"{STEP_UP}?next=/auth/offline-token")
    created = browser.post(
        "/auth/offline-token", {"name": "sso", "csrfmiddlewaretoken": csrf_token(browser)}
    )

    assert page.status_code == 200 and "Access tokens" in page.content.decode()
    assert confirm.status_code == 302 and confirm["Location"] == "/auth/offline-token"
    assert created.status_code == 200
    assert OfflineToken.objects.get().owner == user


@pytest.mark.parametrize("value", [0, -5, "600", True, 1.5, None])
def test_a_bad_window_is_reported_at_start_up(settings, value):
    settings.TOKENWARD = {**settings.TOKENWARD, "STEP_UP_SECONDS": value}

    errors = [e for e in run_checks() if e.id == "tokenward.E015"]

    assert len(errors) == 1
    assert "STEP_UP_SECONDS" in errors[0].msg


def test_the_default_window_passes_the_checks():
    assert not [e for e in run_checks() if e.id == "tokenward.E015"]


def test_after_a_refused_post_the_way_back_is_a_page(logged_in, member):
    refused = logged_in.post(
        "/profile/tokens/offline/", {"csrfmiddlewaretoken": csrf_token(logged_in)}
    )
    assert refused.status_code == 403 and not OfflineToken.objects.exists()

    back = step_up(logged_in, member.raw_password, next_url="/profile/tokens/offline/")
    page = logged_in.get(back["Location"], follow=True)

    assert page.status_code == 200 and page.redirect_chain == [(TOKENS, 302)]
    assert not OfflineToken.objects.exists()

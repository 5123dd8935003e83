"""The Rotate button of the Access Tokens page: confirm, then a new secret shown once."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.web.conftest import STEP_UP, csrf_token, step_up
from tokenward.audit.models import AuditEvent
from tokenward.audit.services import CLI
from tokenward.tokens.models import PersonalAccessToken
from tokenward.tokens.personal import revoke_personal_token

pytestmark = pytest.mark.django_db

PAGE = "/profile/tokens/"
AGENT = "Mozilla/5.0 (rotate test)"
SECRET = re.compile(r'id="new-token" type="text" value="(twp_[^"]+)"')


def url(token) -> str:
    return f"/profile/tokens/{token.record.pk}/rotate/"


def post_with_csrf(browser: Client, path: str):
    """Post the confirmation form as a browser does: after loading it, with its CSRF token."""
    assert browser.get(path).status_code == 200
    return browser.post(path, {"csrfmiddlewaretoken": csrf_token(browser)}, HTTP_USER_AGENT=AGENT)


def assert_untouched(token) -> None:
    rows = list(PersonalAccessToken.objects.filter(owner=token.record.owner))
    assert [(r.pk, r.revoked_at) for r in rows] == [(token.record.pk, None)]
    assert not AuditEvent.objects.filter(reason="rotated").exists()


@pytest.fixture
def token(make_token, member):
    return make_token(member, name="laptop", description="The laptop CLI", scopes=["read"])


def test_the_tokens_page_offers_rotate_next_to_revoke_for_live_tokens(stepped_up, member, token):
    html = stepped_up.get(PAGE).content.decode()
    revoke_personal_token(token.record, by=member, client=CLI)
    after = stepped_up.get(PAGE).content.decode()

    assert f'href="{url(token)}">Rotate<span class="visually-hidden"> laptop</span>…</a>' in html
    assert f'href="/profile/tokens/{token.record.pk}/revoke/">Revoke' in html
    assert url(token) not in after


def test_the_confirmation_page_shows_the_token_and_a_form(stepped_up, token):
    response = stepped_up.get(url(token))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert "Rotate “laptop”" in html
    assert f"<dt>Token</dt><dd><code>twp_…{token.record.last4}</code></dd>" in html
    assert "<dt>Scopes</dt><dd>read</dd>" in html
    assert "The current secret stops working at once" in html
    assert "Rotate this token</button>" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert token.plaintext[:12] not in html and token.record.digest not in html
    assert_untouched(token)


def test_confirming_rotates_and_shows_the_new_secret_once(
    stepped_up, member, token, as_token, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_with_csrf(stepped_up, url(token))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["Pragma"] == "no-cache"
    html = response.content.decode()
    [secret] = SECRET.findall(html)
    assert 'data-copy-target="new-token"' in html and "/static/web/copy.js" in html
    assert "Copy it now: it will not be shown again." in html
    old = PersonalAccessToken.objects.get(pk=token.record.pk)
    new = PersonalAccessToken.objects.exclude(pk=old.pk).get()
    assert old.revoked_by == member and old.revoked_at is not None
    assert (new.name, new.description, new.scopes, new.expires_at) == (
        "laptop",
        "The laptop CLI",
        ["read"],
        old.expires_at,
    )
    assert new.last4 == secret[-4:]
    events = AuditEvent.objects.filter(reason="rotated").order_by("id")
    assert [(e.action, e.credential_id, e.method, e.user_agent) for e in events] == [
        ("revoked", str(old.pk), "web", AGENT),
        ("issued", str(new.pk), "web", AGENT),
    ]
    assert [m.subject for m in mailoutbox] == ["A new personal access token: laptop"]
    assert as_token(token.plaintext).get("/api/users/me").json()["code"] == "token_revoked"
    assert as_token(secret).get("/api/users/me").status_code == 200
    # Shown once: neither the list nor the confirmation page shows it again.
    assert secret not in stepped_up.get(PAGE).content.decode()
    again = stepped_up.get(url(token)).content.decode()
    assert secret not in again and "only a live token can be rotated" in again


def test_posting_without_the_csrf_token_is_refused(stepped_up, token):
    assert stepped_up.get(url(token)).status_code == 200

    response = stepped_up.post(url(token))

    assert response.status_code == 403
    assert b"security token (CSRF)" in response.content
    assert_untouched(token)


def test_without_a_fresh_password_confirmation_a_get_goes_to_step_up(logged_in_earlier, token):
    response = logged_in_earlier.get(url(token))

    assert response.status_code == 302
    assert (
        response["Location"]
        == f"{STEP_UP}?next=%2Fprofile%2Ftokens%2F{token.record.pk}%2Frotate%2F"
    )
    assert_untouched(token)


def test_without_a_fresh_password_confirmation_a_post_rotates_nothing(logged_in_earlier, token):
    response = logged_in_earlier.post(
        url(token), {"csrfmiddlewaretoken": csrf_token(logged_in_earlier)}
    )

    assert response.status_code == 403
    assert "Confirm your password, then do it again" in response.content.decode()
    assert_untouched(token)


def test_anonymous_visitor_is_sent_to_log_in(token):
    response = Client().post(url(token))  # no CSRF check: the login guard answers

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")
    assert_untouched(token)


def test_another_users_token_is_not_found_even_for_an_administrator(admin, token):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin)
    assert step_up(browser, admin.raw_password).status_code == 302

    seen = browser.get(url(token))
    posted = browser.post(url(token), {"csrfmiddlewaretoken": csrf_token(browser)})

    assert (seen.status_code, posted.status_code) == (404, 404)
    assert "laptop" not in posted.content.decode()
    assert_untouched(token)


def test_a_revoked_token_cannot_be_rotated(stepped_up, member, token):
    page = stepped_up.get(url(token))  # the form, loaded while the token was live
    revoke_personal_token(token.record, by=member, client=CLI)

    response = stepped_up.post(url(token), {"csrfmiddlewaretoken": csrf_token(stepped_up)})

    assert page.status_code == 200
    assert response.status_code == 409
    html = response.content.decode()
    assert "This token has been revoked; it cannot be rotated." in html
    assert "Rotate this token</button>" not in html and 'id="new-token"' not in html
    assert PersonalAccessToken.objects.filter(owner=member).count() == 1
    assert not AuditEvent.objects.filter(reason="rotated").exists()


def test_without_the_api_token_permission_rotating_is_refused(stepped_up, member, token):
    member.can_use_api_tokens = False
    member.save(update_fields=["can_use_api_tokens"])

    listing = stepped_up.get(PAGE).content.decode()
    response = stepped_up.post(url(token), {"csrfmiddlewaretoken": csrf_token(stepped_up)})

    assert url(token) not in listing
    assert response.status_code == 403
    assert "This account may not use API tokens" in response.content.decode()
    assert_untouched(token)


def test_an_unknown_token_is_not_found(stepped_up):
    assert stepped_up.get("/profile/tokens/999999/rotate/").status_code == 404
    assert stepped_up.get("/profile/tokens/99999999999999999999/rotate/").status_code == 404

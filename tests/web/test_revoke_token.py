"""The revoke page behind the new-token e-mail's link: confirm, then revoke, with CSRF."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.web.conftest import csrf_token, step_up
from tokenward.audit.models import AuditEvent
from tokenward.audit.services import CLI
from tokenward.tokens.models import PersonalAccessToken
from tokenward.tokens.personal import revoke_personal_token

pytestmark = pytest.mark.django_db

AGENT = "Mozilla/5.0 (revoke test)"


def url(token) -> str:
    return f"/profile/tokens/{token.record.pk}/revoke/"


def revoked_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="revoked").select_related("actor", "subject"))


def stepped_up_as(user) -> Client:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    assert step_up(browser, user.raw_password).status_code == 302
    return browser


def post_with_csrf(browser: Client, path: str):
    """Post the confirmation form as a browser does: after loading it, with its CSRF token."""
    assert browser.get(path).status_code == 200
    return browser.post(path, {"csrfmiddlewaretoken": csrf_token(browser)}, HTTP_USER_AGENT=AGENT)


def assert_untouched(token) -> None:
    row = PersonalAccessToken.objects.get(pk=token.record.pk)
    assert row.revoked_at is None
    assert row.revoked_by is None
    assert revoked_events() == []


@pytest.fixture
def token(make_token, member):
    return make_token(member, name="laptop", scopes=["read"])


def test_anonymous_visitor_is_sent_to_log_in(browser, token):
    response = browser.get(url(token))

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={url(token)}"


def test_anonymous_post_revokes_nothing(token):
    response = Client().post(url(token))

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")
    assert_untouched(token)


def test_page_asks_for_confirmation_and_shows_only_the_display_form(stepped_up, token):
    response = stepped_up.get(url(token))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Revoke “laptop”" in html
    assert f"<dt>Token</dt><dd><code>twp_…{token.record.last4}</code></dd>" in html
    assert "<dt>Owner</dt><dd><code>mwhite</code></dd>" in html
    assert "<dt>Scopes</dt><dd>read</dd>" in html
    assert "<dt>Last used</dt><dd>never</dd>" in html
    assert "This cannot be undone." in html
    assert '<button type="submit" class="button button--danger">Revoke this token</button>' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert token.plaintext[-5:] not in html
    assert token.plaintext[:12] not in html
    assert token.record.digest not in html
    assert_untouched(token)


def test_post_with_csrf_revokes_and_audits(stepped_up, member, token, as_token):
    response = post_with_csrf(stepped_up, url(token))

    assert response.status_code == 200
    assert "The token is revoked. Requests that present it now fail." in response.content.decode()
    assert '<form method="post">' not in response.content.decode()
    row = PersonalAccessToken.objects.get(pk=token.record.pk)
    assert row.revoked_at is not None
    assert row.revoked_by == member
    [event] = revoked_events()
    assert (event.actor, event.subject) == (member, member)
    assert event.credential_kind == "personal_token"
    assert event.credential_id == str(token.record.pk)
    assert event.method == "web"
    assert event.address == "127.0.0.1"
    assert event.user_agent == AGENT
    refused = as_token(token.plaintext).get("/api/users/me")
    assert refused.status_code == 401
    assert refused.json()["code"] == "token_revoked"


def test_post_without_csrf_token_is_refused(stepped_up, token):
    assert stepped_up.get(url(token)).status_code == 200

    response = stepped_up.post(url(token))

    assert response.status_code == 403
    assert b"security token (CSRF)" in response.content
    assert_untouched(token)


def test_post_with_a_wrong_csrf_token_is_refused(stepped_up, token):
    response = stepped_up.post(url(token), {"csrfmiddlewaretoken": "x" * 64})

    assert response.status_code == 403
    assert_untouched(token)


def test_another_users_token_is_not_found(make_token, outsider, member):
    token = make_token(member)
    browser = stepped_up_as(outsider)
    assert browser.get("/profile/").status_code == 200  # sets the CSRF cookie

    seen = browser.get(url(token))
    posted = browser.post(url(token), {"csrfmiddlewaretoken": csrf_token(browser)})

    assert seen.status_code == 404
    assert posted.status_code == 404
    for response in (seen, posted):
        assert token.record.name not in response.content.decode()
        assert f"…{token.record.last4}" not in response.content.decode()
    assert_untouched(token)


def test_an_unknown_token_is_not_found(stepped_up):
    assert stepped_up.get("/profile/tokens/999999/revoke/").status_code == 404


def test_administrator_may_revoke_someone_elses_token(admin, member, token):
    browser = stepped_up_as(admin)

    response = post_with_csrf(browser, url(token))

    assert response.status_code == 200
    row = PersonalAccessToken.objects.get(pk=token.record.pk)
    assert row.revoked_at is not None
    assert row.revoked_by == admin
    [event] = revoked_events()
    assert (event.actor, event.subject, event.method) == (admin, member, "web")


def test_already_revoked_token_says_so_and_is_not_revoked_twice(stepped_up, member, token):
    revoke_personal_token(token.record, by=member, client=CLI)
    revoked_at = PersonalAccessToken.objects.get(pk=token.record.pk).revoked_at

    page = stepped_up.get(url(token)).content.decode()
    posted = stepped_up.post(url(token), {"csrfmiddlewaretoken": csrf_token(stepped_up)})

    assert "This token was revoked on " in page
    assert "Revoke this token</button>" not in page
    assert posted.status_code == 200
    assert "This token was revoked on " in posted.content.decode()
    assert PersonalAccessToken.objects.get(pk=token.record.pk).revoked_at == revoked_at
    assert [e.method for e in revoked_events()] == ["cli"]


def test_other_methods_are_not_allowed(stepped_up, token):
    response = stepped_up.put(url(token), HTTP_X_CSRFTOKEN=csrf_token(stepped_up))

    assert response.status_code == 405
    assert_untouched(token)


def test_token_name_is_escaped(make_token, member, stepped_up):
    token = make_token(member, name="<b>evil</b>")

    html = stepped_up.get(url(token)).content.decode()

    assert "<b>evil</b>" not in html
    assert "&lt;b&gt;evil&lt;/b&gt;" in html


def test_stylesheet_has_the_danger_button(browser):
    response = browser.get("/static/web/tokenward.css")

    css = b"".join(response.streaming_content).decode()
    assert ".button--danger {" in css
    assert ".button--danger:hover {" in css


def test_an_impossible_token_id_is_not_found(client, member):
    client.force_login(member)

    assert client.get("/profile/tokens/99999999999999999999/revoke/").status_code == 404

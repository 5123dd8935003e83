"""``/profile/tokens/``: list, create (shown once) and revoke tokens; withdraw applications."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken, RefreshToken

from tests.oauth import conftest as oauth_fixtures
from tests.web.conftest import csrf_token, step_up, submit_login
from tokenward.audit.models import AuditEvent
from tokenward.audit.services import CLI
from tokenward.tokens import offline
from tokenward.tokens.models import OfflineToken, PersonalAccessToken
from tokenward.tokens.personal import revoke_personal_token

pytestmark = pytest.mark.django_db

# The OAuth2 tests' fixtures: a registered application, and a finished code flow.
make_app = oauth_fixtures.make_app
obtain_tokens = oauth_fixtures.obtain_tokens

PAGE = "/profile/tokens/"
PERSONAL = re.compile(r"twp_[0-9A-Za-z]{36}")
OFFLINE = re.compile(r"two_[0-9A-Za-z]{36}")
WARNING = "Copy it now: it will not be shown again."


def post(browser: Client, path: str, data: dict | None = None):
    return browser.post(path, {**(data or {}), "csrfmiddlewaretoken": csrf_token(browser)})


def create(browser: Client, **fields):
    data = {"name": "nightly report", "scopes": ["read"], "expiry": "30", **fields}
    return post(browser, PAGE, data)


def assert_credential_page_headers(response) -> None:
    assert "no-store" in response["Cache-Control"]
    csp = response["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp and "form-action 'self'" in csp


@pytest.fixture
def unpermitted(make_user):
    """A logged-in, stepped-up browser of a user without the API token permission."""
    user = make_user("nope", can_use_api_tokens=False)
    browser = Client(enforce_csrf_checks=True)
    submit_login(browser, user.login, user.raw_password)
    step_up(browser, user.raw_password)
    browser.user = user
    return browser


def test_the_page_lists_my_tokens_with_their_use_and_status(stepped_up, member, make_token):
    used = make_token(member, name="ci", description="the build server", scopes=["read"])
    expired = make_token(member, name="old")
    revoked = make_token(member, name="gone")
    when = timezone.now() - timedelta(hours=1)
    PersonalAccessToken.objects.filter(pk=used.record.pk).update(
        last_used_at=when, last_addresses=["192.0.2.7", "192.0.2.1"], last_method="bearer"
    )
    PersonalAccessToken.objects.filter(pk=expired.record.pk).update(
        expires_at=timezone.now() - timedelta(days=1)
    )
    revoke_personal_token(revoked.record, by=member, client=CLI)

    response = stepped_up.get(PAGE)

    assert response.status_code == 200
    body = response.content.decode()
    assert "<h1" in body and "Access tokens" in body
    assert "ci" in body and "the build server" in body and used.record.display in body
    assert "<code>192.0.2.7</code>" in body and "192.0.2.1" not in body and "via bearer" in body
    assert f'datetime="{when:%Y-%m-%dT%H:%M:%S}' in body
    statuses = re.findall(r'class="status status--(\w+)"', body)
    assert statuses == ["revoked", "expired", "active"]  # newest first
    for token in (used, expired, revoked):
        assert token.plaintext not in body and token.record.digest not in body
    assert body.count("/revoke/") == 2  # no revoke link for the revoked one
    assert_credential_page_headers(response)


def test_the_page_shows_only_my_tokens(stepped_up, make_token, outsider):
    theirs = make_token(outsider, name="their secret thing")

    body = stepped_up.get(PAGE).content.decode()

    assert "their secret thing" not in body and theirs.record.display not in body
    assert "You have no personal access tokens." in body


def test_names_are_escaped(stepped_up, member, make_token):
    make_token(member, name="<b>evil</b>")

    body = stepped_up.get(PAGE).content.decode()

    assert "<b>evil</b>" not in body and "&lt;b&gt;evil&lt;/b&gt;" in body


def test_creating_shows_the_secret_once(stepped_up, member):
    response = create(stepped_up, description="reports", scopes=["read", "write"])

    assert response.status_code == 200
    assert_credential_page_headers(response)
    body = response.content.decode()
    [shown] = set(PERSONAL.findall(body))
    assert WARNING in body
    assert 'data-copy-target="new-token"' in body and "/static/web/copy.js" in body
    row = PersonalAccessToken.objects.get()
    assert (row.owner, row.name, row.description) == (member, "nightly report", "reports")
    assert (row.scopes, row.last4) == (["read", "write"], shown[-4:])
    assert timedelta(days=29, hours=23) < row.expires_at - timezone.now() <= timedelta(days=30)
    event = AuditEvent.objects.get(action="issued")
    assert (event.credential_kind, event.credential_id, event.method) == (
        "personal_token",
        str(row.pk),
        "web",
    )
    again = stepped_up.get(PAGE).content.decode()
    assert shown not in again and WARNING not in again and row.display in again


def test_the_shown_secret_works_on_the_api(stepped_up, as_token):
    shown = PERSONAL.search(create(stepped_up).content.decode()).group(0)

    assert as_token(shown).get("/api/users/me").status_code == 200


def test_a_date_expiry_starts_that_day(stepped_up):
    day = timezone.localdate() + timedelta(days=10)

    response = create(stepped_up, expiry="date", expires_on=day.isoformat())

    assert response.status_code == 200
    expires = timezone.localtime(PersonalAccessToken.objects.get().expires_at)
    assert (expires.date(), expires.hour, expires.minute) == (day, 0, 0)


def test_never_is_offered_and_honoured_without_a_cap(stepped_up):
    assert '<option value="never">Never</option>' in stepped_up.get(PAGE).content.decode()

    assert create(stepped_up, expiry="never").status_code == 200

    assert PersonalAccessToken.objects.get().expires_at is None


def test_the_choices_stay_within_the_servers_maximum(settings, stepped_up):
    settings.TOKENWARD = {**settings.TOKENWARD, "PERSONAL_TOKEN_MAX_DAYS": 45}

    body = stepped_up.get(PAGE).content.decode()

    options = re.findall(r'<option value="([^"]+)"', body)
    assert options == ["7", "30", "45", "date"]
    assert "Tokens live at most 45 days on this server." in body


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "  "}, "A token needs a name."),
        ({"scopes": []}, "Name at least one scope: read, write."),
        ({"scopes": ["admin"]}, "Unknown scope"),
        ({"expiry": "90"}, "Choose when the token expires."),
        ({"expiry": "date", "expires_on": "2020-01-01"}, "The expiry must be in the future."),
        ({"expiry": "date", "expires_on": "soon"}, "Choose the expiry date."),
        ({"expiry": "date", "expires_on": "2999-01-01"}, "A token lives at most 60 days"),
    ],
)
def test_a_bad_request_is_shown_next_to_the_form_and_writes_nothing(
    settings, stepped_up, fields, message
):
    settings.TOKENWARD = {**settings.TOKENWARD, "PERSONAL_TOKEN_MAX_DAYS": 60}

    response = create(stepped_up, description="kept", **fields)

    assert response.status_code == 400
    body = response.content.decode()
    assert message in body and 'role="alert"' in body
    assert 'aria-invalid="true"' in body
    assert "kept" in body  # what was typed is kept
    assert not PERSONAL.search(body)
    assert not PersonalAccessToken.objects.exists()
    assert not AuditEvent.objects.exists()


def test_never_posted_under_a_cap_means_the_cap(settings, stepped_up):
    settings.TOKENWARD = {**settings.TOKENWARD, "PERSONAL_TOKEN_MAX_DAYS": 60}

    assert create(stepped_up, expiry="never").status_code == 200

    expires = PersonalAccessToken.objects.get().expires_at
    assert timedelta(days=59, hours=23) < expires - timezone.now() <= timedelta(days=60)


def test_a_name_in_use_is_refused(stepped_up, member, make_token):
    make_token(member, name="nightly report")

    response = create(stepped_up)

    assert response.status_code == 400
    assert "You already have a token named" in response.content.decode()
    assert PersonalAccessToken.objects.count() == 1


def test_creating_needs_the_csrf_token(stepped_up):
    response = stepped_up.post(PAGE, {"name": "x", "scopes": ["read"], "expiry": "30"})

    assert response.status_code == 403
    assert not PersonalAccessToken.objects.exists()


def test_without_the_permission_the_page_explains_and_offers_no_form(unpermitted):
    response = unpermitted.get(PAGE)

    assert response.status_code == 200
    body = response.content.decode()
    assert "This account may not use API tokens." in body
    assert 'name="scopes"' not in body and "Create token" not in body
    assert "Create an offline token" not in body


def test_without_the_permission_creating_is_refused(unpermitted):
    personal_reply = create(unpermitted)
    offline_reply = post(unpermitted, "/profile/tokens/offline/", {"offline_name": "x"})

    assert personal_reply.status_code == 403 and offline_reply.status_code == 403
    assert "may not use API tokens" in personal_reply.content.decode()
    assert not PersonalAccessToken.objects.exists() and not OfflineToken.objects.exists()
    assert not AuditEvent.objects.exists()


def test_without_the_permission_tokens_can_still_be_revoked(unpermitted, make_user, make_token):
    user = unpermitted.user
    user.can_use_api_tokens = True
    user.save(update_fields=["can_use_api_tokens"])
    token = make_token(user, name="left over")
    user.can_use_api_tokens = False
    user.save(update_fields=["can_use_api_tokens"])

    assert "left over" in unpermitted.get(PAGE).content.decode()
    path = f"/profile/tokens/{token.record.pk}/revoke/"
    assert unpermitted.get(path).status_code == 200
    assert post(unpermitted, path).status_code == 200

    token.record.refresh_from_db()
    assert token.record.revoked_at is not None


def test_revoke_all_asks_then_revokes_every_live_token(stepped_up, member, make_token, outsider):
    mine = [make_token(member, name=n) for n in ("a", "b")]
    theirs = make_token(outsider)

    confirm = stepped_up.get("/profile/tokens/revoke-all/")
    assert confirm.status_code == 200
    assert "Revoke all 2 tokens" in confirm.content.decode()
    assert not PersonalAccessToken.objects.filter(revoked_at__isnull=False).exists()
    assert_credential_page_headers(confirm)

    response = post(stepped_up, "/profile/tokens/revoke-all/")

    assert response.status_code == 302 and response["Location"] == PAGE
    for token in mine:
        token.record.refresh_from_db()
        assert token.record.revoked_at is not None and token.record.revoked_by == member
    theirs.record.refresh_from_db()
    assert theirs.record.revoked_at is None
    assert AuditEvent.objects.filter(action="revoked", method="web").count() == 2
    assert "Revoked 2 personal access tokens." in stepped_up.get(PAGE).content.decode()


def test_the_list_links_each_live_token_to_its_confirmation(stepped_up, member, make_token):
    token = make_token(member)

    body = stepped_up.get(PAGE).content.decode()

    assert f'href="/profile/tokens/{token.record.pk}/revoke/"' in body


def test_creating_an_offline_token_shows_it_once(stepped_up, member):
    response = post(stepped_up, "/profile/tokens/offline/", {"offline_name": "etl"})

    assert response.status_code == 200
    assert_credential_page_headers(response)
    body = response.content.decode()
    [shown] = set(OFFLINE.findall(body))
    assert WARNING in body
    row = OfflineToken.objects.get()
    assert (row.owner, row.name, row.last4) == (member, "etl", shown[-4:])
    again = stepped_up.get(PAGE).content.decode()
    assert shown not in again and row.display in again


def test_creating_an_offline_token_needs_a_post(stepped_up):
    response = stepped_up.get("/profile/tokens/offline/")

    assert response.status_code == 302 and response["Location"] == PAGE
    assert not OfflineToken.objects.exists()


def test_revoking_an_offline_token_asks_first(stepped_up, member):
    issued = offline.issue_offline_token(member, client=CLI, name="etl")
    path = f"/profile/tokens/offline/{issued.record.pk}/revoke/"

    confirm = stepped_up.get(path)
    assert confirm.status_code == 200 and "Revoke this token" in confirm.content.decode()
    issued.record.refresh_from_db()
    assert issued.record.revoked_at is None

    response = post(stepped_up, path)

    assert response.status_code == 302 and response["Location"] == PAGE
    issued.record.refresh_from_db()
    assert issued.record.revoked_at is not None and issued.record.revoked_by == member
    assert AuditEvent.objects.filter(action="revoked", credential_kind="offline_token").exists()


def test_someone_elses_offline_token_is_not_found(stepped_up, outsider):
    issued = offline.issue_offline_token(outsider, client=CLI)
    path = f"/profile/tokens/offline/{issued.record.pk}/revoke/"

    assert stepped_up.get(path).status_code == 404
    assert post(stepped_up, path).status_code == 404
    issued.record.refresh_from_db()
    assert issued.record.revoked_at is None


def test_authorized_applications_are_listed_and_revoked(
    stepped_up, member, make_app, obtain_tokens
):
    withdrawn, kept = make_app(), make_app()
    obtain_tokens(withdrawn, member, "read")
    obtain_tokens(kept, member)
    path = f"/profile/tokens/applications/{withdrawn.application.pk}/revoke/"

    body = stepped_up.get(PAGE).content.decode()
    assert withdrawn.application.name in body and kept.application.name in body
    assert f'href="{path}"' in body
    confirm = stepped_up.get(path)
    assert confirm.status_code == 200 and "Revoke access" in confirm.content.decode()
    assert AccessToken.objects.filter(application=withdrawn.application).exists()

    response = post(stepped_up, path)

    assert response.status_code == 302 and response["Location"] == PAGE
    assert not AccessToken.objects.filter(application=withdrawn.application).exists()
    assert RefreshToken.objects.get(application=withdrawn.application).revoked is not None
    assert AccessToken.objects.filter(application=kept.application).exists()
    event = AuditEvent.objects.get(action="revoked", credential_kind="oauth_grant")
    assert (event.actor, event.subject, event.method) == (member, member, "web")
    after = stepped_up.get(PAGE).content.decode()
    assert "no longer has access to your account" in after
    assert f'href="{path}"' not in after


def test_an_application_without_my_grant_is_not_found(
    stepped_up, outsider, make_app, obtain_tokens
):
    app = make_app()
    obtain_tokens(app, outsider)
    path = f"/profile/tokens/applications/{app.application.pk}/revoke/"

    assert stepped_up.get(path).status_code == 404
    assert post(stepped_up, path).status_code == 404
    assert AccessToken.objects.filter(user=outsider).exists()


def test_a_query_string_credential_is_refused_on_the_page(stepped_up, member, make_token):
    token = make_token(member)

    response = stepped_up.get(PAGE, {"access_token": token.plaintext})

    assert response.status_code == 400
    assert token.plaintext not in response.content.decode()
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    "path", ["/auth/offline-token", "/profile/confirm-password/", "/profile/tokens/revoke-all/"]
)
def test_every_token_page_is_no_store_with_a_strict_policy(stepped_up, path):
    response = stepped_up.get(path)

    assert response.status_code == 200
    assert_credential_page_headers(response)


def test_the_revoke_link_page_is_no_store_with_a_strict_policy(stepped_up, member, make_token):
    token = make_token(member)

    response = stepped_up.get(f"/profile/tokens/{token.record.pk}/revoke/")

    assert response.status_code == 200
    assert_credential_page_headers(response)


def test_the_header_and_profile_link_to_the_page(stepped_up):
    page = stepped_up.get(PAGE).content.decode()
    profile = stepped_up.get("/profile/").content.decode()

    assert '<a class="account-nav__link" href="/profile/tokens/" aria-current="page">' in page
    assert 'href="/profile/tokens/">Access tokens</a>' in profile
    assert 'href="/profile/tokens/">Manage your access tokens</a>' in profile


def test_the_copy_script_is_served(browser):
    response = browser.get("/static/web/copy.js")

    script = b"".join(response.streaming_content).decode()
    assert response.status_code == 200
    assert "navigator.clipboard" in script and "data-copy-target" in script

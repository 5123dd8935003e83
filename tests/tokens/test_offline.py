"""Offline refresh tokens: issue once, ``POST /auth/token``, and access tokens that die with
their offline token or their owner's API access."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from tokenward.audit.models import AuditEvent
from tokenward.audit.services import ClientInfo
from tokenward.conf import setting
from tokenward.tokens import offline
from tokenward.tokens.models import OfflineToken

pytestmark = pytest.mark.django_db

CLIENT = ClientInfo(method="test", address="192.0.2.9", user_agent="pytest/1")
ME = "/api/users/me"
FORM = "application/x-www-form-urlencoded"
SEED_FIELDS = {
    "access_token",
    "expires_in",
    "refresh_expires_in",
    "refresh_token",
    "token_type",
    "session_state",
    "scope",
}


@pytest.fixture
def issued(member):
    return offline.issue_offline_token(member, client=CLIENT, name="etl")


def post_token(data, content_type=FORM):
    """Post as the seed's curl does: an url-encoded form."""
    body = urlencode(data) if content_type == FORM else json.dumps(data)
    client = APIClient(enforce_csrf_checks=True)
    return client.post("/auth/token", body, content_type=content_type)


def bearer(value: str) -> APIClient:
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {value}")
    return client


def access_for(issued) -> str:
    response = post_token({"refresh_token": issued.plaintext})
    assert response.status_code == 200
    return response.json()["access_token"]


def test_issue_stores_only_a_digest_and_is_audited(issued, member):
    row = OfflineToken.objects.get()
    assert issued.plaintext.startswith("two_") and row.last4 == issued.plaintext[-4:]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM tokens_offlinetoken")
        assert issued.plaintext[4:-4] not in repr(cursor.fetchall())
    event = AuditEvent.objects.get()
    assert (event.action, event.credential_kind, event.credential_id) == (
        "issued",
        "offline_token",
        str(row.pk),
    )
    assert (event.actor, event.subject) == (member, member)


def test_issue_needs_the_api_token_permission(make_user):
    from tokenward.tokens.errors import TokensNotPermittedError

    user = make_user(can_use_api_tokens=False)
    with pytest.raises(TokensNotPermittedError):
        offline.issue_offline_token(user, client=CLIENT)
    assert not OfflineToken.objects.exists()


def test_the_seed_request_answers_the_seed_fields(clock, issued, member):
    response = post_token({"refresh_token": issued.plaintext})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == SEED_FIELDS
    assert body["expires_in"] == 3600 and body["refresh_expires_in"] == 0
    assert body["refresh_token"] == issued.plaintext
    assert body["token_type"] == "Bearer"
    assert body["session_state"] == str(issued.record.session_id)
    assert body["scope"] == "offline_access"
    assert response["Cache-Control"] == "no-store" and response["Pragma"] == "no-cache"
    assert bearer(body["access_token"]).get(ME).json()["login"] == member.login
    issued.record.refresh_from_db()
    assert issued.record.last_used_at is not None
    assert AuditEvent.objects.filter(action="issued", credential_kind="jwt_access_token").exists()


def test_grant_type_refresh_token_is_accepted_and_others_refused(issued):
    ok = post_token({"refresh_token": issued.plaintext, "grant_type": "refresh_token"})
    bad = post_token({"refresh_token": issued.plaintext, "grant_type": "password"})

    assert ok.status_code == 200
    assert bad.status_code == 400
    assert bad.json()["error"] == "unsupported_grant_type"


def test_many_access_tokens_may_live_at_once(clock, issued):
    first = access_for(issued)
    clock.shift(1)
    second = access_for(issued)

    assert first != second
    assert bearer(first).get(ME).status_code == 200
    assert bearer(second).get(ME).status_code == 200


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, "invalid_request"),
        ({"refresh_token": ""}, "invalid_request"),
        ({"refresh_token": "not-a-token"}, "invalid_grant"),
        ({"refresh_token": "two_" + "A" * 36}, "invalid_grant"),
    ],
    ids=["missing", "empty", "garbage", "bad-checksum"],
)
def test_missing_or_malformed_refresh_tokens(data, error, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = post_token(data)

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"error", "error_description"} and body["error"] == error
    assert response["Cache-Control"] == "no-store"


def test_a_json_body_is_refused(issued):
    response = post_token({"refresh_token": issued.plaintext}, "application/json")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_an_unknown_refresh_token_is_invalid_grant():
    from tokenward.credentials import format as token_format
    from tokenward.credentials.format import TokenType

    response = post_token({"refresh_token": token_format.generate(TokenType.OFFLINE)})

    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant", "error_description": "Invalid token."}
    assert AuditEvent.objects.filter(action="failed", reason="invalid_token").exists()


def test_a_revoked_refresh_token_is_invalid_grant(issued, member):
    offline.revoke_offline_token(issued.record, by=member, client=CLIENT)
    response = post_token({"refresh_token": issued.plaintext})

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_get_is_not_allowed():
    assert APIClient().get("/auth/token").status_code == 405


def test_revocation_makes_minted_access_tokens_fail_at_once(issued, member):
    access = access_for(issued)
    assert bearer(access).get(ME).status_code == 200  # now in the verified cache

    offline.revoke_offline_token(issued.record, by=member, client=CLIENT)
    response = bearer(access).get(ME)

    assert response.status_code == 401
    assert response.json()["code"] == "token_revoked"
    assert AuditEvent.objects.filter(action="failed", credential_kind="jwt_access_token").exists()


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [("is_active", False, "inactive_user"), ("can_use_api_tokens", False, "api_tokens_disabled")],
)
def test_deactivation_or_permission_off_fails_minted_tokens_at_once(
    issued, member, field, value, code
):
    access = access_for(issued)
    assert bearer(access).get(ME).status_code == 200

    setattr(member, field, value)
    member.save(update_fields=[field])
    response = bearer(access).get(ME)

    assert response.status_code == 401
    assert response.json()["code"] == code
    refresh = post_token({"refresh_token": issued.plaintext})
    assert refresh.status_code == 400 and refresh.json()["error"] == "invalid_grant"


def test_a_revocation_on_another_server_is_honoured_within_the_cache_period(clock, issued):
    access = access_for(issued)
    assert bearer(access).get(ME).status_code == 200
    # Another server revokes: this process's cache is not told.
    OfflineToken.objects.filter(pk=issued.record.pk).update(revoked_at=timezone.now())

    assert bearer(access).get(ME).status_code == 200  # within the stated bound
    clock.shift(setting("VERIFIED_TOKEN_CACHE_SECONDS"))  # 1 s by default; 5 s is the bound
    assert bearer(access).get(ME).status_code == 401


def test_one_offline_row_read_per_cache_period(clock, issued, django_assert_num_queries):
    access = access_for(issued)
    client = bearer(access)
    client.get(ME)

    # The cached offline token costs no read; the view's own query remains.
    with django_assert_num_queries(0, exact=False) as context:
        client.get(ME)
    assert not any("tokens_offlinetoken" in q["sql"] for q in context.captured_queries)


def test_revoke_is_audited_and_idempotent(issued, member):
    assert offline.revoke_offline_token(issued.record, by=member, client=CLIENT)
    assert not offline.revoke_offline_token(issued.record, by=member, client=CLIENT)

    events = AuditEvent.objects.filter(action="revoked", credential_kind="offline_token")
    assert events.count() == 1


def test_creating_an_offline_token_emails_its_owner_without_the_secret(
    member, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        issued = offline.issue_offline_token(member, client=CLIENT, name="etl")

    (message,) = mailoutbox
    assert message.to == [member.email] and message.subject == "A new offline token"
    assert issued.record.display in message.body and "192.0.2.9" in message.body
    assert "/auth/offline-token" in message.body
    assert issued.plaintext not in message.body

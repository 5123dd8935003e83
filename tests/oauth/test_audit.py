"""Every OAuth2 access token issued, and every token a client revokes, is an audit event."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.oauth.conftest import REDIRECT_URI
from tests.oauth.test_endpoints import revoke
from tokenward.audit.models import AuditEvent
from tokenward.credentials.format import TokenType, generate

pytestmark = pytest.mark.django_db


def events(action: str, kind: str):
    return list(AuditEvent.objects.filter(action=action, credential_kind=kind).order_by("id"))


def test_the_code_exchange_and_each_refresh_are_audited(make_app, member, obtain_tokens):
    app = make_app()
    tokens = obtain_tokens(app, member)

    refreshed = Client(HTTP_USER_AGENT="sync-bot/2").post(
        "/oauth/token/",
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": app.client_id,
            "client_secret": app.secret,
        },
    )

    assert refreshed.status_code == 200
    issued = events("issued", "oauth_access_token")
    assert len(issued) == 2
    assert all(e.actor == member and e.subject == member for e in issued)
    assert issued[1].method == "oauth_token" and issued[1].user_agent == "sync-bot/2"
    assert tokens["access_token"] not in str(AuditEvent.objects.values_list())


def test_a_refused_refresh_issues_nothing(make_app, member, obtain_tokens):
    app = make_app()
    obtain_tokens(app, member)

    refused = Client().post(
        "/oauth/token/",
        {
            "grant_type": "refresh_token",
            "refresh_token": generate(TokenType.OAUTH_REFRESH),
            "client_id": app.client_id,
            "client_secret": app.secret,
        },
    )

    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"
    assert len(events("issued", "oauth_access_token")) == 1  # the code exchange only


def test_a_refused_refresh_is_a_failed_event_without_the_token(make_app, member, obtain_tokens):
    app = make_app()
    obtain_tokens(app, member)
    unknown = generate(TokenType.OAUTH_REFRESH)

    refused = Client(HTTP_USER_AGENT="sync-bot/2").post(
        "/oauth/token/",
        {
            "grant_type": "refresh_token",
            "refresh_token": unknown,
            "client_id": app.client_id,
            "client_secret": app.secret,
        },
    )

    assert refused.status_code == 400
    (failed,) = events("failed", "oauth_refresh_token")
    assert failed.reason == "invalid_grant"
    assert failed.method == "oauth_token" and failed.user_agent == "sync-bot/2"
    assert failed.subject is None, "a refusal names nobody: the token may be anyone's or none"
    assert unknown not in str(AuditEvent.objects.values_list())
    assert app.secret not in str(AuditEvent.objects.values_list())


def test_a_refused_code_exchange_is_a_failed_event(make_app):
    app = make_app()

    refused = Client().post(
        "/oauth/token/",
        {
            "grant_type": "authorization_code",
            "code": "not-a-code",
            "redirect_uri": REDIRECT_URI,
            "client_id": app.client_id,
            "client_secret": app.secret,
            "code_verifier": "v" * 43,
        },
    )

    assert refused.status_code == 400
    (failed,) = events("failed", "oauth_authorization_code")
    assert failed.reason == refused.json()["error"] == "invalid_grant"
    assert "not-a-code" not in str(AuditEvent.objects.values_list())


@pytest.mark.parametrize("kind", ["access_token", "refresh_token"])
def test_a_revocation_by_the_client_is_audited(make_app, member, obtain_tokens, kind):
    app = make_app()
    tokens = obtain_tokens(app, member)

    assert revoke(app, tokens[kind]).status_code == 200

    (event,) = events("revoked", f"oauth_{kind}")
    assert event.subject == member and event.method == "oauth_revoke"
    assert event.reason == "client"


def test_revoking_garbage_or_another_clients_token_records_nothing(make_app, member, obtain_tokens):
    mine, other = make_app(), make_app()
    tokens = obtain_tokens(mine, member)

    assert revoke(other, tokens["access_token"]).status_code == 200
    assert revoke(mine, generate(TokenType.OAUTH_ACCESS)).status_code == 200

    assert not AuditEvent.objects.filter(action="revoked").exists()

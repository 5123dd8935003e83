"""A replayed authorization code revokes every token issued from it (RFC 6749 §4.1.2)."""

from __future__ import annotations

import hashlib

import pytest
from django.test import Client
from oauth2_provider.models import AccessToken, Grant, RefreshToken

from tests.oauth.conftest import authorization_code, exchange
from tests.oauth.test_endpoints import use
from tokenward.audit.models import Action, AuditEvent
from tokenward.oauth.models import RedeemedCode
from tokenward.oauth.validators import TokenwardOAuth2Validator

pytestmark = pytest.mark.django_db


def refresh(app, refresh_token: str):
    return Client().post(
        "/oauth/token/",
        {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": app.client_id,
            "client_secret": app.secret or "",
        },
    )


def replay_events():
    return list(AuditEvent.objects.filter(action=Action.REVOKED, reason="code_replay"))


@pytest.mark.parametrize("client_type", ["confidential", "public"])
def test_replaying_an_authorization_code_revokes_the_tokens_it_issued(
    make_app, member, client_type
):
    app = make_app(client_type=client_type)
    code, verifier = authorization_code(app, member)
    first = exchange(app, code, verifier)
    assert first.status_code == 200
    tokens = first.json()
    assert use(tokens["access_token"]).status_code == 200

    replay = exchange(app, code, verifier, HTTP_USER_AGENT="thief/1")

    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert "access_token" not in replay.json()
    assert use(tokens["access_token"]).status_code == 401
    assert refresh(app, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert not AccessToken.objects.exists()
    assert not RefreshToken.objects.filter(revoked__isnull=True).exists()
    (event,) = replay_events()
    assert event.credential_kind == "oauth_grant"
    assert event.credential_id == str(app.application.pk)
    assert event.subject == member
    assert event.method == "oauth_token" and event.user_agent == "thief/1"
    assert AuditEvent.objects.filter(
        action=Action.FAILED, credential_kind="oauth_authorization_code", reason="invalid_grant"
    ).exists()
    assert code not in str(AuditEvent.objects.values_list())
    assert code not in str(RedeemedCode.objects.values_list())


def test_replaying_a_code_after_a_refresh_revokes_the_refreshed_pair_too(make_app, member):
    app = make_app()
    code, verifier = authorization_code(app, member)
    first = exchange(app, code, verifier).json()
    refreshed = refresh(app, first["refresh_token"])
    assert refreshed.status_code == 200
    newest = refreshed.json()

    replay = exchange(app, code, verifier)

    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert use(newest["access_token"]).status_code == 401
    assert refresh(app, newest["refresh_token"]).json()["error"] == "invalid_grant"
    assert not AccessToken.objects.exists()
    assert len(replay_events()) == 1


def test_replaying_a_code_leaves_the_users_other_grants_alone(make_app, member, obtain_tokens):
    app = make_app()
    other = obtain_tokens(app, member)  # another authorization of the same application
    code, verifier = authorization_code(app, member)
    exchange(app, code, verifier)

    exchange(app, code, verifier)

    assert use(other["access_token"]).status_code == 200
    assert AccessToken.objects.count() == 1


def test_another_client_presenting_a_redeemed_code_revokes_nothing(make_app, member):
    app, other = make_app(), make_app()
    code, verifier = authorization_code(app, member)
    tokens = exchange(app, code, verifier).json()

    stolen = exchange(other, code, verifier)

    assert stolen.status_code == 400
    assert stolen.json()["error"] == "invalid_grant"
    assert use(tokens["access_token"]).status_code == 200
    assert not replay_events()


def test_an_unknown_code_revokes_nothing(make_app, member, obtain_tokens):
    app = make_app()
    tokens = obtain_tokens(app, member)

    reply = exchange(app, "not-a-code", "v" * 43)

    assert reply.status_code == 400
    assert reply.json()["error"] == "invalid_grant"
    assert use(tokens["access_token"]).status_code == 200
    assert not replay_events()


def test_a_parallel_exchange_of_one_code_revokes_both_pairs(make_app, member, obtain_tokens):
    """Two exchanges of one code racing: the one that redeems it second revokes both pairs.

    The winner is simulated by its redemption row, written before this exchange deletes
    the grant; its pair is one obtained from another code, whose family the row names.
    """
    app = make_app()
    winner = obtain_tokens(app, member)
    family = RefreshToken.objects.get().token_family
    code, verifier = authorization_code(app, member)
    RedeemedCode.objects.create(
        code_checksum=hashlib.sha256(code.encode()).hexdigest(),
        application=app.application,
        user=member,
        token_family=family,
    )

    loser = exchange(app, code, verifier)

    assert loser.status_code == 400
    assert loser.json()["error"] == "invalid_grant"
    assert use(winner["access_token"]).status_code == 401
    assert not AccessToken.objects.exists()
    assert not RefreshToken.objects.filter(revoked__isnull=True).exists()
    assert not Grant.objects.exists()
    assert len(replay_events()) == 1


def test_a_code_redeemed_while_its_exchange_is_checked_is_invalid_grant_not_a_500(
    make_app, member, obtain_tokens, monkeypatch
):
    """A parallel exchange deletes the grant between DOT's validate_code and its later reads
    of the grant (redirect URI, PKCE challenge): that is a replay, not a server error."""
    app = make_app()
    winner = obtain_tokens(app, member)
    family = RefreshToken.objects.get().token_family
    code, verifier = authorization_code(app, member)
    checked = TokenwardOAuth2Validator.validate_code

    def redeemed_meanwhile(self, client_id, code, client, request, *args, **kwargs):
        valid = checked(self, client_id, code, client, request, *args, **kwargs)
        RedeemedCode.objects.create(
            code_checksum=hashlib.sha256(code.encode()).hexdigest(),
            application=app.application,
            user=member,
            token_family=family,
        )
        Grant.objects.filter(code=code).delete()
        return valid

    monkeypatch.setattr(TokenwardOAuth2Validator, "validate_code", redeemed_meanwhile)

    reply = exchange(app, code, verifier)

    assert reply.status_code == 400
    assert reply.json()["error"] == "invalid_grant"
    assert use(winner["access_token"]).status_code == 401
    assert not AccessToken.objects.exists()
    assert len(replay_events()) == 1

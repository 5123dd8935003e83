"""OAuth2 access tokens in the verified-token cache: free when reused, never alive past a
revocation on this server, and past the cache's bound on another."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken, RefreshToken

from tests.oauth.conftest import ME
from tests.oauth.test_endpoints import revoke
from tests.tokens.conftest import clock  # noqa: F401  (the stopped clock fixture)
from tokenward.conf import setting

pytestmark = pytest.mark.django_db


def get(token: str):
    return Client().get(ME, HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def tokens(app, member, obtain_tokens):
    tokens = obtain_tokens(app, member)
    assert get(tokens["access_token"]).status_code == 200  # now cached
    return tokens


def test_a_reused_token_reads_no_token_row(tokens, django_assert_num_queries):
    with django_assert_num_queries(0, exact=False) as context:
        reply = get(tokens["access_token"])

    assert reply.status_code == 200
    assert not any("oauth2_provider_accesstoken" in q["sql"] for q in context.captured_queries)


def test_revocation_by_the_client_is_honoured_at_once(app, tokens):
    assert revoke(app, tokens["access_token"]).status_code == 200

    reply = get(tokens["access_token"])

    assert reply.status_code == 401
    assert reply.json()["code"] == "invalid_token"


def test_withdrawing_the_application_is_honoured_at_once(as_basic, app, member, tokens):
    assert as_basic(member).delete(f"/api/oauth-authorizations/{app.application.pk}").status_code

    assert get(tokens["access_token"]).status_code == 401


def test_a_refresh_ends_the_old_access_token_at_once(app, tokens):
    refreshed = Client().post(
        "/oauth/token/",
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": app.client_id,
            "client_secret": app.secret,
        },
    )
    assert refreshed.status_code == 200

    assert get(tokens["access_token"]).status_code == 401
    assert get(refreshed.json()["access_token"]).status_code == 200


def test_deactivation_is_honoured_at_once(tokens, member):
    member.is_active = False
    member.save(update_fields=["is_active"])

    assert get(tokens["access_token"]).json()["code"] == "inactive_user"


def test_a_deletion_on_another_server_is_honoured_within_the_bound(
    clock,  # noqa: F811
    app,
    member,
    obtain_tokens,
):
    tokens = obtain_tokens(app, member)
    assert get(tokens["access_token"]).status_code == 200
    # Another server revokes it, deleting the row: no signal reaches this process.
    RefreshToken.objects.filter(user=member).update(access_token=None)
    AccessToken.objects.filter(user=member)._raw_delete(AccessToken.objects.db)

    assert get(tokens["access_token"]).status_code == 200  # within the stated bound
    clock.shift(setting("VERIFIED_TOKEN_CACHE_SECONDS"))
    assert get(tokens["access_token"]).status_code == 401


def test_a_cached_token_still_expires(clock, app, member, obtain_tokens):  # noqa: F811
    tokens = obtain_tokens(app, member)
    soon = timezone.now() + timedelta(milliseconds=500)
    AccessToken.objects.filter(user=member).update(expires=soon)
    assert get(tokens["access_token"]).status_code == 200  # cached with that expiry
    clock.shift(0.6)  # within the cache's second, past the token's expiry

    reply = get(tokens["access_token"])

    assert reply.status_code == 401
    assert reply.json()["code"] == "token_expired"

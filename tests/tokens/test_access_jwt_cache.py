"""Verified JWT access tokens in the verified-token cache: a repeated JWT is not decoded again.

Its expiry, its offline token and its owner are still checked on every use; a failure is
never cached. Time is moved with time_machine (the ``clock`` fixture), never slept.
"""

from __future__ import annotations

from unittest import mock

import jwt
import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tokenward.accounts import services as accounts
from tokenward.accounts.models import User
from tokenward.audit.services import CLI, ClientInfo
from tokenward.credentials import access_jwt
from tokenward.credentials.digest import token_digest
from tokenward.tokens import offline
from tokenward.tokens.models import OfflineToken
from tokenward.tokens.verified import verified_tokens

pytestmark = pytest.mark.django_db

CLIENT = ClientInfo(method="test", address="127.0.0.1")
ME = "/api/users/me"


@pytest.fixture
def offline_token(member):
    return offline.issue_offline_token(member, client=CLIENT)


@pytest.fixture
def access(clock, offline_token):
    return offline.refresh_access_token(offline_token.plaintext, CLIENT).value


@pytest.fixture
def long_cache(settings):
    """A cache that outlives the JWT, so an expiry is met on a cache hit."""
    settings.TOKENWARD = {**settings.TOKENWARD, "VERIFIED_TOKEN_CACHE_SECONDS": 7200}


def me(value: str):
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {value}")
    return client.get(ME)


@pytest.fixture
def decodes():
    """Count full decodes (signature verification) of access tokens."""
    with mock.patch.object(jwt, "decode", wraps=jwt.decode) as spy:
        yield spy


def test_a_reused_jwt_is_not_decoded_again(access, decodes, django_assert_num_queries):
    assert me(access).status_code == 200
    assert decodes.call_count == 1

    with django_assert_num_queries(0):
        response = me(access)

    assert (response.status_code, response.json()["login"]) == (200, "mwhite")
    assert decodes.call_count == 1


def test_the_jwt_is_decoded_again_after_the_bound(access, decodes, clock):
    assert me(access).status_code == 200

    clock.shift(1.01)

    assert me(access).status_code == 200
    assert decodes.call_count == 2


def test_an_expired_jwt_in_the_cache_is_refused_as_expired(access, clock, long_cache, decodes):
    assert me(access).status_code == 200
    clock.shift(3600 + 59)
    assert me(access).status_code == 200  # within the leeway, as decoding allows
    clock.shift(2)
    response = me(access)

    assert response.status_code == 401
    assert response.json() == {"detail": "The access token expired", "code": "token_expired"}
    assert response["WWW-Authenticate"] == (
        'Bearer realm="tokenward", error="invalid_token", '
        'error_description="The access token expired"'
    )
    assert decodes.call_count == 1
    assert verified_tokens.get(token_digest(access)) is None


def test_revoking_the_offline_token_refuses_a_cached_jwt_at_once(access, offline_token):
    assert me(access).status_code == 200

    offline.revoke_offline_token(offline_token.record, by=None, client=CLI)
    response = me(access)

    assert (response.status_code, response.json()["code"]) == (401, "token_revoked")


def test_revocation_on_another_server_is_honoured_within_the_bound(access, offline_token, clock):
    assert me(access).status_code == 200
    OfflineToken.objects.filter(pk=offline_token.record.pk).update(revoked_at=timezone.now())

    clock.shift(0.5)
    assert me(access).status_code == 200  # within the stated one-second bound
    clock.shift(0.6)
    response = me(access)

    assert (response.status_code, response.json()["code"]) == (401, "token_revoked")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda user: accounts.set_active(user, False), "inactive_user"),
        (
            lambda user: setattr(user, "can_use_api_tokens", False) or user.save(),
            "api_tokens_disabled",
        ),
    ],
    ids=["deactivated", "permission-off"],
)
def test_an_owner_changed_on_this_server_refuses_a_cached_jwt_at_once(access, member, change, code):
    assert me(access).status_code == 200

    change(User.objects.get(pk=member.pk))
    response = me(access)

    assert (response.status_code, response.json()["code"]) == (401, code)


def test_a_refused_jwt_is_never_cached(access, decodes):
    tampered = access[:-4] + ("AAAA" if not access.endswith("AAAA") else "BBBB")

    assert me(tampered).status_code == 401
    assert me(tampered).status_code == 401

    assert decodes.call_count == 2
    assert verified_tokens.get(token_digest(tampered)) is None


def test_a_jwt_whose_session_is_refused_is_not_cached(access, offline_token):
    offline.revoke_offline_token(offline_token.record, by=None, client=CLI)

    assert me(access).status_code == 401
    assert verified_tokens.get(token_digest(access)) is None


def test_with_no_cache_every_use_decodes(access, settings, decodes):
    settings.TOKENWARD = {**settings.TOKENWARD, "VERIFIED_TOKEN_CACHE_SECONDS": 0}

    assert me(access).status_code == 200
    assert me(access).status_code == 200

    assert decodes.call_count == 2


def test_check_unexpired_has_the_leeway_of_decoding():
    exp = 1_000_000

    access_jwt.check_unexpired(exp, now=exp + access_jwt.LEEWAY_SECONDS - 1)
    with pytest.raises(access_jwt.AccessTokenError) as caught:
        access_jwt.check_unexpired(exp, now=exp + access_jwt.LEEWAY_SECONDS)

    assert caught.value.expired

"""The verified-token cache: no read for a repeated token, and a stated bound on staleness.

A change made through this server's services takes effect at once; a change made by
another server (seen here as a direct row update) within VERIFIED_TOKEN_CACHE_SECONDS.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.tokens.conftest import START
from tokenward.accounts import services as accounts
from tokenward.accounts.models import User
from tokenward.audit.services import CLI
from tokenward.tokens.models import PersonalAccessToken
from tokenward.tokens.personal import revoke_personal_token


@pytest.fixture
def token(make_token, member, clock):
    return make_token(member, name="cached")


def me(as_token, token):
    return as_token(token.plaintext).get("/api/users/me")


def test_a_repeated_token_is_verified_without_a_query(as_token, token, django_assert_num_queries):
    assert me(as_token, token).status_code == 200

    with django_assert_num_queries(0):
        response = me(as_token, token)

    assert (response.status_code, response.json()["login"]) == (200, "mwhite")


def test_revocation_on_this_server_takes_effect_at_once(as_token, token):
    assert me(as_token, token).status_code == 200

    revoke_personal_token(token.record, by=None, client=CLI)
    response = me(as_token, token)

    assert (response.status_code, response.json()["code"]) == (401, "token_revoked")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda user: accounts.set_active(user, False), "inactive_user"),
        (
            lambda user: setattr(user, "can_use_api_tokens", False) or user.save(),
            "api_tokens_disabled",
        ),
        (lambda user: setattr(user, "role", "requester") or user.save(), "api_access_denied"),
    ],
    ids=["deactivated", "permission-off", "made-requester"],
)
def test_an_owner_changed_on_this_server_is_refused_at_once(as_token, token, member, change, code):
    assert me(as_token, token).status_code == 200

    change(User.objects.get(pk=member.pk))
    response = me(as_token, token)

    assert (response.status_code, response.json()["code"]) == (401, code)


def test_revocation_on_another_server_is_honoured_within_the_bound(as_token, token, clock):
    assert me(as_token, token).status_code == 200
    PersonalAccessToken.objects.filter(pk=token.record.pk).update(revoked_at=timezone.now())

    clock.shift(0.5)
    assert me(as_token, token).status_code == 200  # within the stated one-second bound
    clock.shift(0.6)
    response = me(as_token, token)

    assert (response.status_code, response.json()["code"]) == (401, "token_revoked")


def test_deactivation_on_another_server_is_honoured_within_the_bound(
    as_token, token, member, clock
):
    assert me(as_token, token).status_code == 200
    User.objects.filter(pk=member.pk).update(is_active=False)

    clock.shift(1.01)
    response = me(as_token, token)

    assert (response.status_code, response.json()["code"]) == (401, "inactive_user")


def test_expiry_is_checked_on_every_use_even_from_the_cache(make_token, member, as_token, clock):
    token = make_token(member, expires_at=START + timezone.timedelta(seconds=30))
    assert me(as_token, token).status_code == 200

    clock.shift(30)
    response = me(as_token, token)

    assert (response.status_code, response.json()["code"]) == (401, "token_expired")


def test_with_no_cache_every_use_reads_the_row(
    as_token, token, settings, django_assert_num_queries
):
    settings.TOKENWARD = {**settings.TOKENWARD, "VERIFIED_TOKEN_CACHE_SECONDS": 0}
    assert me(as_token, token).status_code == 200

    with django_assert_num_queries(1):
        assert me(as_token, token).status_code == 200

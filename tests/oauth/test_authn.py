"""OAuth2 access tokens on the API: Authorization header only, scopes, expiry, owner state."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken

from tests.oauth.conftest import ME
from tokenward.audit.models import Action, AuditEvent
from tokenward.credentials.format import TokenType, generate
from tokenward.tracker.models import Project

pytestmark = pytest.mark.django_db

SCOPE_CHALLENGE = 'Bearer realm="tokenward", error="insufficient_scope", scope="write"'


@pytest.fixture
def tokens(make_app, member, obtain_tokens):
    return obtain_tokens(make_app(), member)


def get(path: str = ME, **extra):
    return Client().get(path, **extra)


def test_bearer_header_authenticates(tokens, member):
    reply = get(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")

    assert reply.status_code == 200
    assert reply.json()["login"] == member.login


def test_query_string_access_token_is_refused(tokens):
    reply = get(f"{ME}?access_token={tokens['access_token']}")

    assert reply.status_code == 401
    assert reply.json() == {
        "detail": "Malformed token. Here a token starts with twp_.",
        "code": "malformed_token",
    }
    assert tokens["access_token"] not in reply.headers["WWW-Authenticate"]


def test_form_body_access_token_is_refused(tokens):
    reply = Client().post(
        "/api/projects",
        {"access_token": tokens["access_token"], "name": "X", "short_name": "X"},
    )

    assert reply.status_code == 401
    assert reply.json()["code"] == "not_authenticated"
    assert not Project.objects.filter(short_name="X").exists()


@pytest.mark.parametrize("scheme", ["Token", "X-Auth-AccessKey"])
def test_other_headers_refuse_oauth_tokens(tokens, scheme):
    if scheme == "Token":
        reply = get(HTTP_AUTHORIZATION=f"Token {tokens['access_token']}")
    else:
        reply = get(HTTP_X_AUTH_ACCESSKEY=tokens["access_token"])

    assert reply.status_code == 401
    assert reply.json()["code"] == "malformed_token"


def test_read_scope_cannot_write(make_app, member, obtain_tokens):
    read = obtain_tokens(make_app(), member, scope="read")

    reply = Client().post(
        "/api/projects",
        {"name": "New", "short_name": "NEW"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {read['access_token']}",
    )

    assert reply.status_code == 403
    assert reply.json() == {
        "detail": "This token lacks the write scope that this request needs.",
        "code": "insufficient_scope",
    }
    assert reply["WWW-Authenticate"] == SCOPE_CHALLENGE
    assert not Project.objects.filter(short_name="NEW").exists()
    assert get(HTTP_AUTHORIZATION=f"Bearer {read['access_token']}").status_code == 200


def test_refresh_token_is_not_an_access_token(tokens):
    reply = get(HTTP_AUTHORIZATION=f"Bearer {tokens['refresh_token']}")

    assert reply.status_code == 401
    assert reply.json()["code"] == "malformed_token"


def test_unknown_and_revoked_give_the_same_answer(tokens):
    unknown = get(HTTP_AUTHORIZATION=f"Bearer {generate(TokenType.OAUTH_ACCESS)}")
    AccessToken.objects.all().delete()  # what DOT's revocation does
    revoked = get(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")

    for reply in (unknown, revoked):
        assert reply.status_code == 401
        assert reply.json() == {"detail": "Invalid token.", "code": "invalid_token"}
        assert 'error="invalid_token"' in reply["WWW-Authenticate"]
    assert (
        AuditEvent.objects.filter(
            action=Action.FAILED, credential_kind="oauth_access_token"
        ).count()
        == 2
    )


def test_expired_token_is_401(tokens):
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        reply = get(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")

    assert reply.status_code == 401
    assert reply.json() == {"detail": "This token has expired.", "code": "token_expired"}


def test_inactive_owner_is_refused(tokens, member):
    member.is_active = False
    member.save(update_fields=["is_active"])

    reply = get(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")

    assert reply.status_code == 401
    assert reply.json()["code"] == "inactive_user"


def test_malformed_oauth_token_costs_no_query(django_assert_num_queries):
    value = generate(TokenType.OAUTH_ACCESS)
    bad = value[:-6] + ("000000" if not value.endswith("000000") else "111111")

    with django_assert_num_queries(0):
        reply = get(HTTP_AUTHORIZATION=f"Bearer {bad}")

    assert reply.status_code == 401
    assert reply.json() == {
        "detail": "Malformed token. The token's checksum does not match; it was mistyped.",
        "code": "malformed_token",
    }

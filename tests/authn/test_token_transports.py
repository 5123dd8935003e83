"""Token transports (Bearer, Token, X-Auth-AccessKey, ?access_token=): one table for all four."""

from __future__ import annotations

import secrets
from base64 import b64encode
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlencode

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.utils import timezone
from rest_framework.test import APIClient

from tests.conftest import new_password
from tokenward.accounts import services as accounts
from tokenward.audit.models import Action, AuditEvent
from tokenward.audit.services import CLI
from tokenward.credentials.format import ALPHABET, TokenType, generate
from tokenward.tokens.personal import revoke_personal_token

pytestmark = pytest.mark.django_db

ME = "/api/users/me"
TRANSPORTS = ["bearer", "token", "access_key", "access_token_query"]
# The scheme each transport's RFC 6750 challenge names.
SCHEME = {
    "bearer": "Bearer",
    "token": "Token",
    "access_key": "Bearer",
    "access_token_query": "Bearer",
}
ALL_CHALLENGES = (
    'Basic realm="tokenward", charset="UTF-8", Bearer realm="tokenward", Token realm="tokenward"'
)

WRONG_PREFIX = "Malformed token. Here a token starts with twp_."
BAD_CHECKSUM = "Malformed token. The token's checksum does not match; it was mistyped."
WRONG_LENGTH = "Malformed token. A token is 40 characters long."
BAD_CHARACTERS = "Malformed token. The token holds characters that are not letters or digits."
UNREADABLE = "Malformed token."


def with_query(path: str, **params: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}{urlencode(params)}"


def send(
    transport: str,
    token: str,
    path: str = ME,
    method: str = "get",
    data: dict | None = None,
    client: APIClient | None = None,
):
    """Send ``token`` in ``transport`` with a ``method`` request to ``path``; return the reply."""
    client = client or APIClient(enforce_csrf_checks=True)
    extra: dict[str, str] = {}
    if transport == "bearer":
        extra["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    elif transport == "token":
        extra["HTTP_AUTHORIZATION"] = f"Token {token}"
    elif transport == "access_key":
        extra["HTTP_X_AUTH_ACCESSKEY"] = token
    elif transport == "access_token_query":
        path = with_query(path, access_token=token)
    else:
        raise ValueError(f"unknown transport {transport!r}")
    if method == "get":
        return client.get(path, **extra)
    return getattr(client, method)(path, data, format="json", **extra)


def failures() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=Action.FAILED))


def assert_token_challenge(response, transport: str) -> None:
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith(f'{SCHEME[transport]} realm="tokenward", error="invalid_token"')
    assert f'error_description="{response.json()["detail"]}"' in challenge


def assert_refused(response, transport: str, detail: str, code: str) -> None:
    assert response.status_code == 401
    assert response.json() == {"detail": detail, "code": code}
    assert_token_challenge(response, transport)


def assert_failure_audited(transport: str, reason: str, token=None) -> None:
    """Exactly one failed-use event, for ``token``'s row and owner (None: an unknown token)."""
    [event] = failures()
    assert event.reason == reason
    assert event.method == transport
    assert event.credential_kind == "personal_token"
    assert event.address == "127.0.0.1"
    if token is None:
        assert (event.credential_id, event.subject) == ("", None)
    else:
        assert event.credential_id == str(token.record.pk)
        assert event.subject == token.record.owner


def random_body(length: int = 30) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def bad_checksum() -> str:
    token = generate(TokenType.PERSONAL)
    last = token[-1]
    return token[:-1] + ("A" if last != "A" else "B")


# name → a factory of the malformed value and the sentence that refuses it.
MALFORMED: dict[str, tuple[Callable[[], str], str]] = {
    "youtrack-permanent": (
        lambda: f"perm:{random_body(8)}.{random_body(8)}.{random_body()}",
        WRONG_PREFIX,
    ),
    "drf-40-hex": (lambda: secrets.token_hex(20), WRONG_PREFIX),
    "github": (lambda: f"ghp_{random_body(36)}", WRONG_PREFIX),
    "jwt": (lambda: f"eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.{random_body()}", WRONG_PREFIX),
    "basic-looking": (lambda: b64encode(f"user:{random_body()}".encode()).decode(), WRONG_PREFIX),
    "other-tokenward-kind": (lambda: generate(TokenType.SESSION), WRONG_PREFIX),
    "upper-case-prefix": (lambda: "TWP_" + generate(TokenType.PERSONAL)[4:], WRONG_PREFIX),
    "dash-prefix": (lambda: "twp-" + generate(TokenType.PERSONAL)[4:], WRONG_PREFIX),
    "bad-checksum": (bad_checksum, BAD_CHECKSUM),
    "truncated": (lambda: generate(TokenType.PERSONAL)[:-1], WRONG_LENGTH),
    "one-char-too-many": (lambda: generate(TokenType.PERSONAL) + "A", WRONG_LENGTH),
    "bad-characters": (lambda: "twp_" + random_body(35) + "-", BAD_CHARACTERS),
    "10kb": (lambda: "twp_" + random_body(10_240), UNREADABLE),
    "non-ascii": (lambda: "twp_" + random_body(35) + "é", UNREADABLE),
    "nul": (lambda: generate(TokenType.PERSONAL)[:-1] + "\x00", UNREADABLE),
    "del": (lambda: generate(TokenType.PERSONAL)[:-1] + "\x7f", UNREADABLE),
}


@pytest.fixture(params=TRANSPORTS)
def transport(request) -> str:
    return request.param


# --- malformed: refused before any database query, and not audited ----------------------


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_token_is_401_malformed_token_with_no_database_query(
    transport, case, django_assert_num_queries
):
    make, detail = MALFORMED[case]
    if transport == "bearer":  # OAuth2 access tokens (twa_) travel only in Bearer
        detail = detail.replace(
            WRONG_PREFIX, "Malformed token. Here a token starts with twp_, twa_."
        )
    value = make()

    with django_assert_num_queries(0):
        response = send(transport, value)

    if transport == "access_token_query" and case == "nul":
        # Refused before any transport reads it, as every NUL in a query string is (400).
        assert response.json()["code"] == "invalid_request"
    elif transport == "bearer" and case == "jwt":
        # Bearer takes JWT access tokens: an alg "none" JWT is an invalid one (RFC 8725).
        assert_refused(response, transport, "Invalid token.", "invalid_token")
    else:
        assert_refused(response, transport, detail, "malformed_token")
    assert value.encode() not in response.content
    assert value not in response.headers.get("WWW-Authenticate", "")
    assert not AuditEvent.objects.exists(), "a malformed token is not a use worth auditing"


def test_missing_token_is_401_with_a_sentence(transport, django_assert_num_queries):
    expected = {
        "bearer": "Invalid Bearer header. No token was given.",
        "token": "Invalid Token header. No token was given.",
        "access_key": "Malformed token. No token was given.",
        "access_token_query": "Malformed token. No token was given.",
    }

    with django_assert_num_queries(0):
        response = send(transport, "")

    assert_refused(response, transport, expected[transport], "malformed_token")
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("header", ["Bearer", "bearer   ", "Token", "TOKEN "])
def test_scheme_without_a_token_is_401_not_anonymous(api, db, header, django_assert_num_queries):
    scheme = header.split()[0].capitalize()

    with django_assert_num_queries(0):
        response = api.get(ME, HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert response.json() == {
        "detail": f"Invalid {scheme} header. No token was given.",
        "code": "malformed_token",
    }
    assert response.headers["WWW-Authenticate"].startswith(
        f'{scheme} realm="tokenward", error="invalid_token"'
    )


def test_extra_parts_are_401_with_a_sentence(transport, make_token, member):
    good = make_token(member).plaintext
    expected = {
        "bearer": "Invalid Bearer header. The token must not contain spaces.",
        "token": "Invalid Token header. The token must not contain spaces.",
        "access_key": WRONG_LENGTH,
        "access_token_query": WRONG_LENGTH,
    }

    response = send(transport, f"{good} {good}")

    assert_refused(response, transport, expected[transport], "malformed_token")
    assert good.encode() not in response.content
    assert not failures()


def test_a_bad_token_never_falls_back_to_anonymous_access(transport, public_project):
    path = f"/api/projects/{public_project.id}"
    assert APIClient().get(path).status_code == 200

    response = send(transport, bad_checksum(), path=path)

    assert_refused(response, transport, BAD_CHECKSUM, "malformed_token")


# --- well formed but refused: audited, with the reason in the body ------------------------


def test_unknown_token_is_invalid_token(transport):
    unknown = generate(TokenType.PERSONAL)

    response = send(transport, unknown)

    assert_refused(response, transport, "Invalid token.", "invalid_token")
    assert unknown.encode() not in response.content
    assert_failure_audited(transport, "invalid_token")


def test_expired_token_is_token_expired(transport, make_token, member):
    token = make_token(member, expires_at=timezone.now() + timedelta(days=1))
    assert send(transport, token.plaintext).status_code == 200

    with time_machine.travel(timezone.now() + timedelta(days=1, seconds=1), tick=False):
        response = send(transport, token.plaintext)

    assert_refused(response, transport, "This token has expired.", "token_expired")
    assert_failure_audited(transport, "token_expired", token)


def test_token_expiring_while_cached_is_refused_from_the_cache(
    transport, settings, make_token, member
):
    settings.TOKENWARD = {**settings.TOKENWARD, "VERIFIED_TOKEN_CACHE_SECONDS": 3600}
    token = make_token(member, expires_at=timezone.now() + timedelta(minutes=10))
    assert send(transport, token.plaintext).status_code == 200

    with time_machine.travel(timezone.now() + timedelta(minutes=11), tick=False):
        response = send(transport, token.plaintext)

    assert_refused(response, transport, "This token has expired.", "token_expired")
    assert_failure_audited(transport, "token_expired", token)


def test_revoked_token_is_token_revoked_at_once(transport, make_token, member):
    token = make_token(member)
    assert send(transport, token.plaintext).status_code == 200  # now in the verified cache

    revoke_personal_token(token.record, by=None, client=CLI)
    response = send(transport, token.plaintext)

    assert_refused(response, transport, "This token has been revoked.", "token_revoked")
    assert_failure_audited(transport, "token_revoked", token)


def test_token_of_a_deactivated_owner_is_inactive_user_at_once(transport, make_token, member):
    token = make_token(member)
    assert send(transport, token.plaintext).status_code == 200

    accounts.set_active(member, False)
    response = send(transport, token.plaintext)

    assert_refused(response, transport, "This account is inactive.", "inactive_user")
    assert_failure_audited(transport, "inactive_user", token)


def test_token_of_a_requester_is_api_access_denied(transport, make_token, make_user):
    asker = make_user("asker", role="requester", can_use_api_tokens=True)
    token = make_token(asker)

    response = send(transport, token.plaintext)

    assert_refused(
        response,
        transport,
        "Requester accounts are not granted access to the API.",
        "api_access_denied",
    )
    assert_failure_audited(transport, "api_access_denied", token)


def test_token_of_the_system_user_works_only_once_its_password_is_set(transport, make_token):
    accounts.ensure_bootstrap_accounts(new_password())
    system = accounts.find_user("System")
    token = make_token(system)

    refused = send(transport, token.plaintext)

    assert_refused(
        refused,
        transport,
        "The System user's password is not set; an administrator must set it first.",
        "password_not_set",
    )
    assert_failure_audited(transport, "password_not_set", token)

    accounts.set_password(system, new_password())
    accepted = send(transport, token.plaintext)

    assert accepted.status_code == 200
    assert accepted.json()["login"] == "System"


def test_switching_the_token_permission_off_and_on_takes_effect_at_once(
    transport, make_token, member
):
    token = make_token(member)
    assert send(transport, token.plaintext).status_code == 200

    member.can_use_api_tokens = False
    member.save()
    refused = send(transport, token.plaintext)

    assert_refused(
        refused, transport, "This account may not use API tokens.", "api_tokens_disabled"
    )
    assert_failure_audited(transport, "api_tokens_disabled", token)

    member.can_use_api_tokens = True
    member.save()
    accepted = send(transport, token.plaintext)

    assert accepted.status_code == 200
    assert accepted.json()["login"] == member.login


# --- success ------------------------------------------------------------------------------


def test_valid_token_authenticates_its_owner_and_records_the_use(transport, make_token, member):
    token = make_token(member)

    response = send(transport, token.plaintext)

    assert response.status_code == 200
    body = response.json()
    assert (body["login"], body["auth_method"]) == (member.login, transport)
    assert "WWW-Authenticate" not in response.headers
    token.record.refresh_from_db()
    assert token.record.last_used_at is not None
    assert token.record.last_method == transport
    assert token.record.last_addresses == ["127.0.0.1"]
    assert not failures()
    assert not Session.objects.exists(), "a token request must not create a session"
    assert "sessionid" not in response.cookies


def test_repeated_use_is_answered_from_the_verified_cache(
    transport, make_token, member, django_assert_max_num_queries
):
    token = make_token(member)
    assert send(transport, token.plaintext).status_code == 200

    with django_assert_max_num_queries(0):
        # /api/users/me reads nothing else: the user comes with the verified token.
        response = send(transport, token.plaintext)

    assert response.status_code == 200
    assert response.json()["login"] == member.login


def test_header_scheme_names_are_case_insensitive(api, make_token, member):
    token = make_token(member).plaintext

    for header in (f"bearer {token}", f"BEARER {token}", f"token {token}", f"Bearer   {token}"):
        response = api.get(ME, HTTP_AUTHORIZATION=header)
        assert response.status_code == 200, header
        assert response.json()["login"] == member.login


def test_access_key_value_is_stripped_of_surrounding_spaces(api, make_token, member):
    token = make_token(member).plaintext

    response = api.get(ME, HTTP_X_AUTH_ACCESSKEY=f"  {token}  ")

    assert response.status_code == 200
    assert response.json()["auth_method"] == "access_key"


# --- no credentials at all ------------------------------------------------------------------


def test_no_credentials_lists_every_challenge_without_an_error(api, db):
    response = api.get(ME)

    assert response.status_code == 401
    assert response.json() == {
        "detail": "Authentication credentials were not provided.",
        "code": "not_authenticated",
    }
    challenge = response.headers["WWW-Authenticate"]
    assert challenge == ALL_CHALLENGES
    assert "error=" not in challenge
    assert not Session.objects.exists()

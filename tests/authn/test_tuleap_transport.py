"""``X-Auth-Token`` + ``X-Auth-UserId`` (Tuleap's 24-hour tokens): the transport table."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from rest_framework.test import APIClient

from tests.conftest import basic_header
from tests.tokens.conftest import START
from tokenward.accounts import services as accounts
from tokenward.accounts.models import User
from tokenward.audit.models import Action, AuditEvent
from tokenward.audit.services import CLI, ClientInfo
from tokenward.credentials.format import ALPHABET, TokenType, generate
from tokenward.tokens import session

pytestmark = pytest.mark.django_db

ME = "/api/users/me"
DEPRECATION = "@1704067200"
LINK = '</api/personal-tokens>; rel="deprecation"; type="application/json"'
INVALID = {"detail": "Invalid token.", "code": "invalid_token"}
MALFORMED_ID = "Invalid X-Auth-UserId header. A user id is a number, digits only."


def issue(user) -> session.IssuedSessionToken:
    return session.issue_session_token(user, ClientInfo(method="test", address="127.0.0.1"))


def send(token: str | None, user_id: object = None, path: str = ME, **extra: str):
    """GET ``path`` with the two headers (None: left out); return the reply."""
    if token is not None:
        extra["HTTP_X_AUTH_TOKEN"] = token
    if user_id is not None:
        extra["HTTP_X_AUTH_USERID"] = str(user_id)
    return APIClient(enforce_csrf_checks=True).get(path, **extra)


def send_issued(issued: session.IssuedSessionToken, path: str = ME, **extra: str):
    return send(issued.plaintext, issued.record.owner_id, path, **extra)


def assert_refused(response, detail: str, code: str) -> None:
    assert response.status_code == 401
    assert response.json() == {"detail": detail, "code": code}
    assert response.headers["WWW-Authenticate"] == (
        f'X-Auth-Token realm="tokenward", error="invalid_token", error_description="{detail}"'
    )
    assert "Deprecation" not in response.headers, "a refused credential authenticated nothing"


def failures() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=Action.FAILED))


def assert_failure_audited(reason: str, issued=None) -> None:
    [event] = failures()
    assert (event.reason, event.method, event.address) == (reason, "tuleap_token", "127.0.0.1")
    assert event.credential_kind == "session_token"
    if issued is None:
        assert (event.credential_id, event.subject) == ("", None)
    else:
        assert event.credential_id == str(issued.record.pk)
        assert event.subject == issued.record.owner


def bad_checksum() -> str:
    token = generate(TokenType.SESSION)
    return token[:-1] + ("A" if token[-1] != "A" else "B")


# --- malformed: refused before any database query, and not audited ----------------------

MALFORMED = {
    "personal-token": (
        lambda: generate(TokenType.PERSONAL),
        "Malformed token. The token does not start with tws_.",
    ),
    "no-prefix": (
        lambda: secrets.token_hex(20),
        "Malformed token. The token does not start with tws_.",
    ),
    "bad-checksum": (
        bad_checksum,
        "Malformed token. The token's checksum does not match; it was mistyped.",
    ),
    "truncated": (
        lambda: generate(TokenType.SESSION)[:-1],
        "Malformed token. A token is 40 characters long.",
    ),
    "bad-characters": (
        lambda: generate(TokenType.SESSION)[:-1] + "-",
        "Malformed token. The token holds characters that are not letters or digits.",
    ),
    "10kb": (
        lambda: "tws_" + "".join(secrets.choice(ALPHABET) for _ in range(10_240)),
        "Malformed token.",
    ),
    "non-ascii": (lambda: generate(TokenType.SESSION)[:-1] + "é", "Malformed token."),
    "empty": (lambda: "", "Malformed token. No token was given."),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_token_is_401_with_no_database_query(case, member, django_assert_num_queries):
    make, detail = MALFORMED[case]
    value = make()

    with django_assert_num_queries(0):
        response = send(value, member.pk)

    assert_refused(response, detail, "malformed_token")
    if value:
        assert value.encode() not in response.content
        assert value not in response.headers["WWW-Authenticate"]
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("token", "user_id", "detail"),
    [
        (None, "1", "The X-Auth-Token header is missing; send it with X-Auth-UserId."),
        ("tws", None, "The X-Auth-UserId header is missing; send it with X-Auth-Token."),
    ],
    ids=["no-X-Auth-Token", "no-X-Auth-UserId"],
)
def test_either_header_alone_is_401_naming_the_missing_one(
    token, user_id, detail, db, public_project, django_assert_num_queries
):
    if token is not None:
        token = generate(TokenType.SESSION)

    with django_assert_num_queries(0):
        response = send(token, user_id, path=f"/api/projects/{public_project.id}")

    assert_refused(response, detail, "malformed_token")
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    "user_id", ["abc", "", "-1", "+1", "1.0", "0x1", "1 2", "\u0661", "\u00b2", "1" * 19, "mwhite"]
)
def test_a_user_id_that_is_not_digits_is_401_malformed(user_id, member, django_assert_num_queries):
    issued = issue(member)

    with django_assert_num_queries(0):
        response = send(issued.plaintext, user_id)

    assert_refused(response, MALFORMED_ID, "malformed_token")
    assert not failures()


def test_a_bad_token_never_falls_back_to_anonymous_access(member, public_project):
    path = f"/api/projects/{public_project.id}"
    assert APIClient().get(path).status_code == 200

    response = send(bad_checksum(), member.pk, path=path)

    assert response.status_code == 401


# --- well formed but refused: audited, with the reason in the body ------------------------


def test_unknown_token_is_invalid_token(member):
    response = send(generate(TokenType.SESSION), member.pk)

    assert_refused(response, "Invalid token.", "invalid_token")
    assert_failure_audited("invalid_token")


@pytest.mark.parametrize("whose", ["another user's", "nobody's"])
def test_another_users_id_gets_the_same_answer_as_an_unknown_token(whose, member, outsider):
    issued = issue(member)
    user_id = outsider.pk if whose == "another user's" else 999_999
    unknown = send(generate(TokenType.SESSION), member.pk)

    response = send(issued.plaintext, user_id)

    assert_refused(response, "Invalid token.", "invalid_token")
    assert response.content == unknown.content
    assert response.headers["WWW-Authenticate"] == unknown.headers["WWW-Authenticate"]
    assert send_issued(issued).json()["login"] == member.login


def test_a_cached_token_with_another_users_id_is_refused(member, outsider):
    issued = issue(member)
    assert send_issued(issued).status_code == 200  # now in the verified cache

    response = send(issued.plaintext, outsider.pk)

    assert_refused(response, "Invalid token.", "invalid_token")
    assert_failure_audited("invalid_token", issued)


def test_expired_token_is_token_expired(member, time_machine):
    time_machine.move_to(START, tick=False)
    issued = issue(member)
    time_machine.shift(timedelta(hours=23, minutes=59, seconds=59))
    assert send_issued(issued).status_code == 200

    time_machine.shift(timedelta(seconds=1))
    response = send_issued(issued)

    assert_refused(response, "This token has expired.", "token_expired")
    assert_failure_audited("token_expired", issued)


def test_ended_token_is_token_revoked_at_once(member):
    issued = issue(member)
    assert send_issued(issued).status_code == 200  # cached

    session.end_session_token(issued.record, by=None, client=CLI, reason="deleted")
    response = send_issued(issued)

    assert_refused(response, "This token has been revoked.", "token_revoked")
    assert_failure_audited("token_revoked", issued)


def test_deactivation_ends_the_token_at_once(member):
    issued = issue(member)
    assert send_issued(issued).status_code == 200

    accounts.set_active(User.objects.get(pk=member.pk), False)
    response = send_issued(issued)

    assert_refused(response, "This token has been revoked.", "token_revoked")


def test_password_change_ends_the_token_at_once(member):
    issued = issue(member)
    assert send_issued(issued).status_code == 200

    accounts.set_password(User.objects.get(pk=member.pk), "another-long-password-7")

    assert_refused(send_issued(issued), "This token has been revoked.", "token_revoked")


@pytest.mark.parametrize(
    ("change", "detail", "code"),
    [
        ({"is_active": False}, "This account is inactive.", "inactive_user"),
        (
            {"role": "requester"},
            "Requester accounts are not granted access to the API.",
            "api_access_denied",
        ),
        (
            {"can_use_api_tokens": False},
            "This account may not use API tokens.",
            "api_tokens_disabled",
        ),
    ],
    ids=["inactive", "requester", "permission-off"],
)
def test_owner_policy(member, change, detail, code):
    issued = issue(member)
    User.objects.filter(pk=member.pk).update(**change)  # the policy alone, without signals

    response = send_issued(issued)

    assert_refused(response, detail, code)
    assert_failure_audited(code, issued)


def test_switching_the_token_permission_off_and_on_takes_effect_at_once(member):
    issued = issue(member)
    assert send_issued(issued).status_code == 200

    member.can_use_api_tokens = False
    member.save()
    assert_refused(
        send_issued(issued), "This account may not use API tokens.", "api_tokens_disabled"
    )

    member.can_use_api_tokens = True
    member.save()
    assert send_issued(issued).json()["login"] == member.login


# --- success ------------------------------------------------------------------------------


def assert_deprecated(response) -> None:
    assert response.headers["Deprecation"] == DEPRECATION
    assert response.headers["Link"] == LINK


def test_success_on_users_me(member):
    issued = issue(member)

    response = send_issued(issued)

    assert response.status_code == 200
    body = response.json()
    assert (body["login"], body["auth_method"]) == (member.login, "tuleap_token")
    assert "WWW-Authenticate" not in response.headers
    assert_deprecated(response)
    assert not failures()
    assert not Session.objects.exists(), "a token request must not create a session"
    assert "sessionid" not in response.cookies


def test_success_on_the_seed_path_projects_id(member, private_project):
    issued = issue(member)
    path = f"/api/projects/{private_project.id}"
    assert APIClient().get(path).status_code == 404  # missing to whoever may not read it

    response = send_issued(issued, path=path)

    assert response.status_code == 200
    assert response.json()["name"] == "Secret Project"
    assert_deprecated(response)


def test_a_refusal_after_authentication_is_marked_deprecated_too(outsider, private_project):
    issued = issue(outsider)

    response = send_issued(issued, path=f"/api/projects/{private_project.id}")

    assert response.status_code in (403, 404)
    assert_deprecated(response)


def test_graphql_accepts_it(member):
    issued = issue(member)

    response = APIClient().post(
        "/graphql",
        {"query": "{ me { login authMethod } }"},
        format="json",
        HTTP_X_AUTH_TOKEN=issued.plaintext,
        HTTP_X_AUTH_USERID=str(member.pk),
    )

    assert response.status_code == 200
    assert response.json()["data"]["me"] == {"login": member.login, "authMethod": "tuleap_token"}
    assert_deprecated(response)


def test_repeated_use_is_answered_from_the_verified_cache(member, django_assert_max_num_queries):
    issued = issue(member)
    assert send_issued(issued).status_code == 200

    with django_assert_max_num_queries(0):
        response = send_issued(issued)

    assert response.json()["login"] == member.login


def test_other_methods_carry_no_deprecation_headers(member, make_token, as_token, as_basic):
    token = make_token(member).plaintext

    for client in (as_token(token), as_token(token, "access_key"), as_basic(member)):
        response = client.get(ME)
        assert response.status_code == 200
        assert "Deprecation" not in response.headers
        assert "Link" not in response.headers


# --- two credentials, and the browser's cookie --------------------------------------------


@pytest.mark.parametrize(
    "other",
    [
        {"HTTP_AUTHORIZATION": "Bearer twp_x"},
        {"HTTP_X_AUTH_ACCESSKEY": "twp_x"},
        {"HTTP_AUTHORIZATION": basic_header("mwhite", "x")},
    ],
    ids=["bearer", "access_key", "basic"],
)
@pytest.mark.parametrize("headers", ["both", "user-id-only"])
def test_with_another_credential_is_400_invalid_request(
    member, other, headers, django_assert_num_queries
):
    issued = issue(member)
    token = issued.plaintext if headers == "both" else None

    with django_assert_num_queries(0):
        response = send(token, member.pk, **other)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_request"
    assert "tuleap_token" in body["detail"]
    assert "Deprecation" not in response.headers


def test_a_session_cookie_yields_to_it(member, outsider):
    issued = issue(member)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(outsider)

    response = client.get(ME, HTTP_X_AUTH_TOKEN=issued.plaintext, HTTP_X_AUTH_USERID=str(member.pk))

    assert response.json()["login"] == member.login
    assert_deprecated(response)

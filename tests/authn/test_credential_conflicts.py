"""Two credentials in one request are refused; an ambient session cookie yields to a token."""

from __future__ import annotations

import pytest
from django.utils.crypto import get_random_string
from rest_framework.test import APIClient

from tests.authn.test_token_transports import ME, send, with_query
from tests.conftest import basic_header
from tokenward.audit.models import AuditEvent
from tokenward.tracker.models import UserStory

pytestmark = pytest.mark.django_db

QUERY_OFF = (
    "Credentials in the query string are turned off on this server; send the token in a header."
)


def assert_invalid_request(response, detail: str) -> None:
    assert response.status_code == 400
    assert response.json() == {"detail": detail, "code": "invalid_request"}


def assert_unused(*tokens) -> None:
    """Nothing was verified: no audit event beyond the issue, no recorded use."""
    assert not AuditEvent.objects.exclude(action="issued").exists()
    for token in tokens:
        token.record.refresh_from_db()
        assert token.record.last_used_at is None


def logged_in(user) -> APIClient:
    """A browser signed in as ``user``, with a CSRF cookie but no CSRF header."""
    client = APIClient(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = get_random_string(32)
    client.force_login(user)
    return client


@pytest.fixture
def two_tokens(make_token, member, admin):
    return make_token(member), make_token(admin)


def test_bearer_and_query_token_is_400_invalid_request(api, two_tokens, django_assert_num_queries):
    mine, theirs = two_tokens

    with django_assert_num_queries(0):
        response = api.get(
            with_query(ME, access_token=theirs.plaintext),
            HTTP_AUTHORIZATION=f"Bearer {mine.plaintext}",
        )

    assert_invalid_request(
        response,
        "The request carries more than one credential (bearer, access_token_query); "
        "send exactly one.",
    )
    assert mine.plaintext.encode() not in response.content
    assert theirs.plaintext.encode() not in response.content
    assert_unused(mine, theirs)


def test_access_key_and_basic_is_400_invalid_request(
    api, member, two_tokens, django_assert_num_queries
):
    mine, _ = two_tokens

    with django_assert_num_queries(0):
        response = api.get(
            ME,
            HTTP_AUTHORIZATION=basic_header(member.login, member.raw_password),
            HTTP_X_AUTH_ACCESSKEY=mine.plaintext,
        )

    assert_invalid_request(
        response,
        "The request carries more than one credential (basic, access_key); send exactly one.",
    )
    assert_unused(mine)


def test_token_scheme_and_access_key_is_400_invalid_request(
    api, two_tokens, django_assert_num_queries
):
    mine, theirs = two_tokens

    with django_assert_num_queries(0):
        response = api.get(
            ME,
            HTTP_AUTHORIZATION=f"Token {mine.plaintext}",
            HTTP_X_AUTH_ACCESSKEY=theirs.plaintext,
        )

    assert_invalid_request(
        response,
        "The request carries more than one credential (token, access_key); send exactly one.",
    )
    assert_unused(mine, theirs)


def test_the_same_token_twice_is_still_two_credentials(api, two_tokens):
    mine, _ = two_tokens

    response = api.get(
        with_query(ME, access_token=mine.plaintext), HTTP_X_AUTH_ACCESSKEY=mine.plaintext
    )

    assert_invalid_request(
        response,
        "The request carries more than one credential (access_key, access_token_query); "
        "send exactly one.",
    )
    assert_unused(mine)


@pytest.mark.parametrize("same", [True, False], ids=["same-token", "two-tokens"])
def test_access_token_twice_in_the_query_is_400_invalid_request(api, two_tokens, same):
    mine, theirs = two_tokens
    second = mine if same else theirs

    response = api.get(f"{ME}?access_token={mine.plaintext}&access_token={second.plaintext}")

    assert_invalid_request(response, "The query string carries access_token more than once.")
    assert_unused(mine, theirs)


def test_a_token_wins_over_an_ambient_session_cookie(member, admin, make_token):
    token = make_token(admin)

    response = send("bearer", token.plaintext, client=logged_in(member))

    assert response.status_code == 200
    assert (response.json()["login"], response.json()["auth_method"]) == (admin.login, "bearer")


def test_a_bad_token_is_not_rescued_by_a_valid_session_cookie(member):
    response = send("access_token_query", "not-a-token", client=logged_in(member))

    assert response.status_code == 401
    assert response.json()["code"] == "malformed_token"


def test_a_token_request_with_a_session_cookie_needs_no_csrf_token(
    member, admin, make_token, private_project
):
    token = make_token(admin)
    before = UserStory.objects.count()

    response = send(
        "token",
        token.plaintext,
        path="/api/stories",
        method="post",
        data={"name": "Filed with a token", "project_id": private_project.id},
        client=logged_in(member),
    )

    assert response.status_code == 201, response.content
    story = UserStory.objects.get(name="Filed with a token")
    assert story.owner == admin, "the token's owner acted, not the cookie's"
    assert UserStory.objects.count() == before + 1


def test_query_credentials_turned_off_refuse_the_query_but_not_headers(
    settings, make_token, member
):
    settings.TOKENWARD = {**settings.TOKENWARD, "QUERY_STRING_CREDENTIALS": False}
    token = make_token(member)

    refused = send("access_token_query", token.plaintext)

    assert_invalid_request(refused, QUERY_OFF)
    assert refused.headers["Cache-Control"] == "private, no-store"
    assert_unused(token)

    for transport in ("bearer", "token", "access_key"):
        accepted = send(transport, token.plaintext)
        assert accepted.status_code == 200, transport
        assert accepted.json()["login"] == member.login


def test_query_credentials_turned_off_refuse_even_a_malformed_query_token(settings, db):
    settings.TOKENWARD = {**settings.TOKENWARD, "QUERY_STRING_CREDENTIALS": False}

    response = send("access_token_query", "whatever")

    assert_invalid_request(response, QUERY_OFF)

"""An Authorization header the server cannot use is a 401, even where anonymous may read."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.authn.test_token_transports import ALL_CHALLENGES
from tests.conftest import basic_header
from tokenward.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

UNUSABLE = {
    "detail": "The Authorization header cannot be used. Send 'Basic', 'Bearer' or 'Token', "
    "one space and the credential.",
    "code": "invalid_credentials",
}
# Each builds a header from a valid personal token and the member's valid Basic credentials:
# the credential inside is good, the way it is sent is not.
UNUSABLE_HEADERS = {
    "foreign scheme": lambda token, basic: "Digest x",
    "foreign scheme with parameters": lambda token, basic: 'Digest username="member", nonce="1"',
    "negotiate": lambda token, basic: "Negotiate YIIBhwYGKwYBBQUCoIIBezCCAXeg",
    "bearer and a tab": lambda token, basic: f"Bearer\t{token}",
    "token scheme and a tab": lambda token, basic: f"Token\t{token}",
    "basic and a tab": lambda token, basic: basic.replace(" ", "\t"),
    "a token with no scheme": lambda token, basic: token,
    "a space before the scheme": lambda token, basic: f" Bearer {token}",
    "an empty header": lambda token, basic: "",
}
# A scheme the server knows, with no value: refused by that scheme, with its challenge.
SCHEME_ALONE = {
    "Bearer": (
        "Bearer",
        {"detail": "Invalid Bearer header. No token was given.", "code": "malformed_token"},
    ),
    "Bearer ": (
        "Bearer",
        {"detail": "Invalid Bearer header. No token was given.", "code": "malformed_token"},
    ),
    "Token": (
        "Token",
        {"detail": "Invalid Token header. No token was given.", "code": "malformed_token"},
    ),
    "Basic": (
        "Basic",
        {
            "detail": "Invalid Basic header. "
            "The credentials must be one base64 string after 'Basic'.",
            "code": "invalid_credentials",
        },
    ),
}


@pytest.fixture
def projects(public_project, private_project):
    return {"public": public_project, "private": private_project}


@pytest.fixture
def token(make_token, member):
    return make_token(member)


def assert_nothing_used(token) -> None:
    """The token inside was not verified: no audit event but its issue, no recorded use."""
    assert not AuditEvent.objects.exclude(action="issued").exists()
    token.record.refresh_from_db()
    assert token.record.last_used_at is None


@pytest.mark.parametrize("which", ["public", "private"])
@pytest.mark.parametrize("variant", UNUSABLE_HEADERS)
def test_unusable_authorization_header_is_401_not_anonymous_access(
    api, projects, token, member, which, variant, django_assert_num_queries
):
    header = UNUSABLE_HEADERS[variant](
        token.plaintext, basic_header(member.login, member.raw_password)
    )
    project = projects[which]

    with django_assert_num_queries(0):
        response = api.get(f"/api/projects/{project.id}", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert response.json() == UNUSABLE
    assert response.headers["WWW-Authenticate"] == ALL_CHALLENGES
    assert token.plaintext not in response.content.decode()
    assert_nothing_used(token)


@pytest.mark.parametrize("which", ["public", "private"])
@pytest.mark.parametrize("header", SCHEME_ALONE)
def test_scheme_without_a_value_is_401_with_its_challenge(api, projects, which, header):
    scheme, body = SCHEME_ALONE[header]

    response = api.get(f"/api/projects/{projects[which].id}", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert response.json() == body
    assert response.headers["WWW-Authenticate"].startswith(f"{scheme} realm=")
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("header", ["Bearer \t{token}", "Bearer {token}\x0b", "Token \t{token}"])
def test_token_with_whitespace_other_than_spaces_is_malformed_not_trimmed(
    api, public_project, token, header
):
    response = api.get(
        f"/api/projects/{public_project.id}",
        HTTP_AUTHORIZATION=header.format(token=token.plaintext),
    )

    assert response.status_code == 401
    assert response.json() == {"detail": "Malformed token.", "code": "malformed_token"}
    assert_nothing_used(token)


def test_two_spaces_after_the_scheme_still_carry_the_token(api, token, member):
    # RFC 6750 §2.1: "Bearer" 1*SP b64token.
    response = api.get("/api/users/me", HTTP_AUTHORIZATION=f"Bearer  {token.plaintext}")

    assert response.status_code == 200
    assert response.json()["login"] == member.login


def test_unusable_authorization_header_beside_a_session_cookie_is_401(api, member, public_project):
    api.force_login(member)

    response = api.get(f"/api/projects/{public_project.id}", HTTP_AUTHORIZATION="Digest x")

    assert response.status_code == 401
    assert response.json() == UNUSABLE


def test_unusable_authorization_header_is_401_on_graphql(api, public_project):
    response = api.post(
        "/graphql",
        {"query": "{ projects { name } }"},
        format="json",
        HTTP_AUTHORIZATION="Digest x",
    )

    assert response.status_code == 401
    assert response.json() == UNUSABLE
    assert response.headers["WWW-Authenticate"] == ALL_CHALLENGES


def test_unusable_authorization_header_and_a_query_token_are_two_credentials(api, token):
    response = api.get(
        f"/api/users/me?access_token={token.plaintext}", HTTP_AUTHORIZATION="Digest x"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"
    assert_nothing_used(token)


def test_web_pages_ignore_the_authorization_header(member):
    """Pages authenticate with the session cookie alone; a browser may resend Basic
    credentials it was once given for the API, so a header there is neither used nor
    refused, valid or not."""
    browser = APIClient()
    browser.force_login(member)

    junk = browser.get("/profile/", HTTP_AUTHORIZATION="Digest x")
    anonymous = APIClient().get("/profile/", HTTP_AUTHORIZATION="Digest x")

    assert junk.status_code == 200
    assert member.login in junk.content.decode()
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/login")

"""Basic authentication (RFC 7617): the transport table every credential path is held to."""

from __future__ import annotations

import base64

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import basic_header

pytestmark = pytest.mark.django_db

ME = "/api/users/me"


def raw_basic(payload: bytes) -> str:
    return "Basic " + base64.b64encode(payload).decode()


def get_me(api, header: str):
    return api.get(ME, HTTP_AUTHORIZATION=header)


def test_correct_login_and_password_authenticate_and_record_the_method(api, member):
    response = get_me(api, basic_header(member.login, member.raw_password))

    assert response.status_code == 200
    assert response.json()["login"] == "mwhite"
    assert response.json()["auth_method"] == "basic"
    assert not Session.objects.exists(), "Basic authentication must not create a session"


def test_no_credentials_is_401_naming_the_schemes_without_an_error_code(api, db):
    response = api.get(ME)

    assert response.status_code == 401
    assert response.json() == {
        "detail": "Authentication credentials were not provided.",
        "code": "not_authenticated",
    }
    assert response.headers["WWW-Authenticate"].startswith('Basic realm="tokenward"')
    assert "error=" not in response.headers["WWW-Authenticate"]
    assert not Session.objects.exists()


def test_wrong_password_unknown_user_and_inactive_user_get_the_same_answer(api, member, inactive):
    answers = [
        get_me(api, basic_header(member.login, "not-the-password")),
        get_me(api, basic_header("nobody-has-this-login", "whatever")),
        get_me(api, basic_header(inactive.login, inactive.raw_password)),
    ]

    for response in answers:
        assert response.status_code == 401
        assert response.json() == {
            "detail": "Invalid username or password.",
            "code": "invalid_credentials",
        }
        assert "Basic" in response.headers["WWW-Authenticate"]


def test_unknown_user_costs_a_password_hash_too(api, db, monkeypatch):
    from django.contrib.auth import hashers

    calls = []
    real = hashers.Argon2PasswordHasher.encode
    monkeypatch.setattr(
        hashers.Argon2PasswordHasher,
        "encode",
        lambda self, *a, **kw: calls.append(1) or real(self, *a, **kw),
    )

    response = get_me(api, basic_header("nobody-has-this-login", "whatever"))

    assert response.status_code == 401
    assert calls, "an unknown login must still run the password hasher"


def test_requester_with_the_right_password_is_told_requesters_have_no_api_access(api, requester):
    response = get_me(api, basic_header(requester.login, requester.raw_password))

    assert response.status_code == 401
    assert response.json() == {
        "detail": "Requester accounts are not granted access to the API.",
        "code": "api_access_denied",
    }
    assert "WWW-Authenticate" in response.headers


def test_password_is_split_at_the_first_colon(api, make_user):
    user = make_user("colons", password="pa:ss:word-1234")

    response = get_me(api, basic_header("colons", "pa:ss:word-1234"))

    assert response.status_code == 200
    assert response.json()["login"] == user.login


def test_utf8_password_works(api, make_user):
    make_user("accent", password="mot-de-passé-123")

    response = get_me(api, raw_basic("accent:mot-de-passé-123".encode()))

    assert response.status_code == 200


def test_scheme_name_is_case_insensitive(api, member):
    token = basic_header(member.login, member.raw_password).split()[1]

    assert get_me(api, f"basic {token}").status_code == 200
    assert get_me(api, f"BASIC {token}").status_code == 200


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        ("Basic", "The credentials must be one base64 string after 'Basic'."),
        ("Basic a b", "The credentials must be one base64 string after 'Basic'."),
        ("Basic !!!not-base64!!!", "The credentials are not valid base64."),
        ("Basic " + base64.b64encode(b"no-colon-here").decode(), "must be 'login:password'."),
        (raw_basic(b"user:pass\x00word"), "The credentials contain control characters."),
        (raw_basic(b"user\r\nX-Injected: 1:pw"), "The credentials contain control characters."),
        (raw_basic(b"user:\xff\xfe"), "The credentials are not valid UTF-8."),
        ("Basic " + "A" * 10_240, "The header is too long."),
    ],
    ids=["no-value", "two-parts", "bad-base64", "no-colon", "nul", "crlf", "not-utf8", "10kb"],
)
def test_malformed_basic_header_is_a_clear_401_never_a_500(api, db, header, detail):
    with CaptureQueriesContext(connection) as queries:
        response = get_me(api, header)

    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "invalid_credentials"
    assert body["detail"].startswith("Invalid Basic header.")
    assert body["detail"].endswith(detail)
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert len(queries) == 0, "a malformed header is refused before any database query"


def test_wrong_credentials_fail_even_where_anonymous_may_read(api, public_project):
    assert api.get(f"/api/projects/{public_project.id}").status_code == 200

    response = api.get(
        f"/api/projects/{public_project.id}", HTTP_AUTHORIZATION=basic_header("x", "y")
    )

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_foreign_scheme_is_not_basic_and_is_refused_not_served_anonymously(api, public_project):
    # Not a Basic header, so not judged as one; the pipeline refuses what no transport takes
    # (tests/authn/test_authorization_header.py).
    response = api.get(f"/api/projects/{public_project.id}", HTTP_AUTHORIZATION="Digest username=x")

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    assert not response.json()["detail"].startswith("Invalid Basic header.")


def test_basic_credentials_are_not_echoed_in_the_error(api, member):
    response = get_me(api, basic_header(member.login, "secret-guess-123"))

    assert b"secret-guess-123" not in response.content

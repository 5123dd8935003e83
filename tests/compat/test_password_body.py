"""The endpoints that trade a login and password in the body for a token (Tuleap's
``POST /api/tokens``, TrialGrid's ``api-token-auth`` and ``api-token-auth-delete``) under
password guessing: the lockout, and one answer and one hash for every refusal."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from tests.lockout import (
    ACCOUNT_LIMIT,
    ADDRESS_LIMIT,
    GUESSES,
    WINDOW,
    guess,
    locked_body,
)
from tokenward.audit.models import AuditEvent
from tokenward.tokens.models import PersonalAccessToken, SessionToken

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("small_limits", "hashes")]


@dataclass(frozen=True)
class Endpoint:
    path: str
    method: str  # as the audit log names it
    refused_status: int
    refused: dict[str, str]


TULEAP = Endpoint(
    "/api/tokens",
    "tuleap_tokens",
    401,
    {"detail": "Invalid username or password.", "code": "invalid_credentials"},
)
TRIALGRID = Endpoint(
    "/api/v2/api-token-auth/",
    "api_token_auth",
    400,
    {"detail": "Unable to log in with provided credentials.", "code": "invalid_credentials"},
)
TRIALGRID_DELETE = replace(TRIALGRID, path="/api/v2/api-token-auth-delete/")


@pytest.fixture(params=[TULEAP, TRIALGRID, TRIALGRID_DELETE], ids=lambda e: e.path)
def endpoint(request) -> Endpoint:
    return request.param


def post(api, endpoint: Endpoint, login: str, password: str, address: str = "127.0.0.1"):
    body = {"username": login, "password": password}
    return api.post(endpoint.path, body, format="json", REMOTE_ADDR=address)


def tokens() -> int:
    return PersonalAccessToken.objects.count() + SessionToken.objects.count()


def test_after_the_limit_even_the_right_password_is_429_and_nothing_is_issued(
    api, endpoint, member, outsider, clock, hashes
):
    for _ in range(ACCOUNT_LIMIT):
        assert post(api, endpoint, member.login, "not-the-password").status_code == (
            endpoint.refused_status
        )
    hashes.clear()

    response = post(api, endpoint, member.login, member.raw_password)

    assert response.status_code == 429
    assert response.json() == locked_body(WINDOW)
    assert response.headers["Retry-After"] == str(WINDOW)
    assert hashes == []
    assert tokens() == 0
    [event] = AuditEvent.objects.filter(reason="too_many_attempts")
    assert (event.action, event.credential_kind) == ("failed", "password")
    assert (event.method, event.subject, event.address) == (endpoint.method, member, "127.0.0.1")
    assert post(api, endpoint, outsider.login, outsider.raw_password).status_code == 200


def test_the_endpoint_answers_again_when_the_window_ends(api, endpoint, member, clock):
    for _ in range(ACCOUNT_LIMIT):
        post(api, endpoint, member.login, "not-the-password")
    clock.shift(WINDOW - 1)
    assert post(api, endpoint, member.login, member.raw_password).headers["Retry-After"] == "1"
    clock.shift(1)

    assert post(api, endpoint, member.login, member.raw_password).status_code == 200


def test_failures_on_one_endpoint_count_on_the_others(api, member):
    post(api, TULEAP, member.login, "not-the-password")
    post(api, TRIALGRID, member.login, "not-the-password")
    post(api, TRIALGRID_DELETE, member.login, "not-the-password")

    response = post(api, TULEAP, member.login, member.raw_password)

    assert response.status_code == 429
    assert response.json()["code"] == "too_many_attempts"


def test_one_address_guessing_many_logins_is_locked_out_and_others_are_not(api, endpoint, member):
    for n in range(ADDRESS_LIMIT):
        post(api, endpoint, f"guess{n}", "whatever-1", address="192.0.2.1")

    locked = post(api, endpoint, member.login, member.raw_password, address="192.0.2.1")
    elsewhere = post(api, endpoint, member.login, member.raw_password, address="198.51.100.2")

    assert locked.status_code == 429
    assert elsewhere.status_code == 200


def test_a_right_password_clears_the_accounts_failures(api, endpoint, member):
    for _ in range(ACCOUNT_LIMIT - 1):
        post(api, endpoint, member.login, "not-the-password")
    assert post(api, endpoint, member.login, member.raw_password).status_code == 200

    for _ in range(ACCOUNT_LIMIT - 1):
        post(api, endpoint, member.login, "not-the-password")

    assert post(api, endpoint, member.login, member.raw_password).status_code == 200


def test_a_malformed_body_is_not_a_failed_attempt(api, endpoint, member):
    for _ in range(ACCOUNT_LIMIT + 1):
        response = api.post(endpoint.path, {"username": member.login}, format="json")
        assert response.status_code == 400
        assert response.json()["code"] == "invalid"

    assert post(api, endpoint, member.login, member.raw_password).status_code == 200


@pytest.mark.parametrize("case", GUESSES)
def test_unknown_wrong_and_inactive_get_one_answer_and_one_hash(
    case, api, endpoint, member, inactive, hashes
):
    login, password = guess(case, member, inactive)
    hashes.clear()

    response = post(api, endpoint, login, password)

    assert response.status_code == endpoint.refused_status
    assert response.json() == endpoint.refused
    assert len(hashes) == 1, hashes
    assert tokens() == 0

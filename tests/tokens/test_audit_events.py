"""Every refused use of a well-formed token is audited once; a malformed one costs nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tokenward.audit.models import AuditEvent
from tokenward.audit.services import CLI
from tokenward.credentials import format as token_format
from tokenward.credentials.format import TokenType
from tokenward.tokens.personal import revoke_personal_token

pytestmark = pytest.mark.django_db

ME = "/api/users/me"
ADDRESS = "198.51.100.23"
AGENT = "audit-test/1.0 (+https://example.com)"
TRANSPORTS = ["bearer", "token", "access_key", "access_token_query"]


@pytest.fixture
def send(as_token):
    """Return a function that presents a token in a transport, from a known client."""

    def call(token: str, transport: str):
        extra = {"REMOTE_ADDR": ADDRESS, "HTTP_USER_AGENT": AGENT}
        if transport == "access_token_query":
            return APIClient().get(ME, {"access_token": token}, **extra)
        return as_token(token, transport).get(ME, **extra)

    return call


def failures() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="failed").select_related("actor", "subject"))


def unknown(make_token, member, time_machine) -> tuple[str, None, str]:
    return token_format.generate(TokenType.PERSONAL), None, ""


def revoked(make_token, member, time_machine):
    issued = make_token(member)
    revoke_personal_token(issued.record, by=member, client=CLI)
    return issued.plaintext, member, str(issued.record.pk)


def expired(make_token, member, time_machine):
    issued = make_token(member, expires_at=timezone.now() + timedelta(hours=1))
    time_machine.move_to(timezone.now() + timedelta(hours=2))
    return issued.plaintext, member, str(issued.record.pk)


def inactive_owner(make_token, member, time_machine):
    issued = make_token(member)
    member.is_active = False
    member.save(update_fields=["is_active"])
    return issued.plaintext, member, str(issued.record.pk)


def owner_now_requester(make_token, member, time_machine):
    issued = make_token(member)
    member.role = "requester"
    member.save(update_fields=["role"])
    return issued.plaintext, member, str(issued.record.pk)


def permission_off(make_token, member, time_machine):
    issued = make_token(member)
    member.can_use_api_tokens = False
    member.save(update_fields=["can_use_api_tokens"])
    return issued.plaintext, member, str(issued.record.pk)


CASES = [
    (unknown, "invalid_token", "Invalid token."),
    (revoked, "token_revoked", "This token has been revoked."),
    (expired, "token_expired", "This token has expired."),
    (inactive_owner, "inactive_user", "This account is inactive."),
    (
        owner_now_requester,
        "api_access_denied",
        "Requester accounts are not granted access to the API.",
    ),
    (permission_off, "api_tokens_disabled", "This account may not use API tokens."),
]


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(("prepare", "reason", "detail"), CASES, ids=[c[1] for c in CASES])
def test_each_refused_use_writes_one_failed_event(
    send, make_token, member, time_machine, transport, prepare, reason, detail
):
    token, subject, credential_id = prepare(make_token, member, time_machine)

    response = send(token, transport)

    assert response.status_code == 401
    assert response.json() == {"detail": detail, "code": reason}
    [event] = failures()
    assert event.reason == reason
    assert event.subject == subject
    assert event.actor is None
    assert event.credential_kind == "personal_token"
    assert event.credential_id == credential_id
    assert event.method == transport
    assert event.address == ADDRESS
    assert event.user_agent == AGENT
    assert abs(timezone.now() - event.at) < timedelta(seconds=5)


def test_every_refused_use_is_audited_not_only_the_first(send, make_token, member):
    issued = make_token(member)
    revoke_personal_token(issued.record, by=member, client=CLI)

    for _ in range(3):
        assert send(issued.plaintext, "bearer").status_code == 401

    assert [e.reason for e in failures()] == ["token_revoked"] * 3


def test_a_cached_token_that_expires_is_audited_too(
    send, make_token, member, settings, time_machine
):
    settings.TOKENWARD = {**settings.TOKENWARD, "VERIFIED_TOKEN_CACHE_SECONDS": 86_400}
    issued = make_token(member, expires_at=timezone.now() + timedelta(hours=1))
    assert send(issued.plaintext, "bearer").status_code == 200
    time_machine.move_to(timezone.now() + timedelta(hours=2))

    response = send(issued.plaintext, "token")

    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"
    [event] = failures()
    assert (event.reason, event.subject, event.method) == ("token_expired", member, "token")
    assert event.credential_id == str(issued.record.pk)


def test_a_successful_use_writes_no_event(send, make_token, member):
    issued = make_token(member)

    assert send(issued.plaintext, "bearer").status_code == 200

    assert failures() == []


def _bad_checksum() -> str:
    token = token_format.generate(TokenType.PERSONAL)
    last = "A" if token[-1] != "A" else "B"
    return token[:-1] + last


MALFORMED = {
    "bad checksum": _bad_checksum,
    "truncated": lambda: token_format.generate(TokenType.PERSONAL)[:-2],
    "another kind": lambda: token_format.generate(TokenType.SESSION),
    "no prefix": lambda: "0123456789abcdef0123456789abcdef",
}


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("make_malformed", MALFORMED.values(), ids=list(MALFORMED))
def test_a_malformed_token_is_refused_without_a_query_or_an_event(
    send, django_assert_num_queries, transport, make_malformed
):
    token = make_malformed()

    with django_assert_num_queries(0):
        response = send(token, transport)

    assert response.status_code == 401
    assert response.json()["code"] == "malformed_token"
    assert response.json()["detail"].startswith("Malformed token.")
    assert not AuditEvent.objects.exists()

"""Rotating a personal access token: a new secret, the old one revoked in the same breath."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from rest_framework.test import APIClient

from tests.conftest import basic_header
from tokenward.audit.models import AuditEvent
from tokenward.tokens.models import PersonalAccessToken

pytestmark = pytest.mark.django_db

TOKENS = "/api/personal-tokens"
ME = "/api/users/me"
NOW = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)
NOT_FOUND = {"detail": "There is no such token.", "code": "not_found"}
REVOKED = {
    "detail": "This token has been revoked; it cannot be rotated.",
    "code": "token_not_live",
}
EXPIRED = {"detail": "This token has expired; it cannot be rotated.", "code": "token_not_live"}
TOKENS_DISABLED = {"detail": "This account may not use API tokens.", "code": "api_tokens_disabled"}


def rotate_url(token) -> str:
    return f"{TOKENS}/{token.record.id}/rotate"


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def events() -> list[tuple]:
    """Every audit event but uses: (action, token id, actor, subject, reason)."""
    rows = AuditEvent.objects.exclude(action="used").order_by("id")
    return [
        (
            e.action,
            e.credential_id,
            e.actor and e.actor.login,
            e.subject and e.subject.login,
            e.reason,
        )
        for e in rows
    ]


def live_rows(owner) -> list[PersonalAccessToken]:
    return list(PersonalAccessToken.objects.filter(owner=owner, revoked_at__isnull=True))


def assert_nothing_written(token, before_events: list[tuple], mailoutbox) -> None:
    row = PersonalAccessToken.objects.get(pk=token.record.pk)
    assert PersonalAccessToken.objects.filter(owner=row.owner).count() == 1
    assert events() == before_events
    assert mailoutbox == []


@pytest.fixture
def laptop(make_token, member):
    """A write-scoped token with a description and an expiry, issued before the test acts."""
    with time_machine.travel(NOW, tick=False):
        return make_token(
            member,
            name="laptop",
            description="The laptop CLI",
            scopes=["read", "write"],
            expires_at=NOW + timedelta(days=20),
        )


def rotate(client: APIClient, token, **extra):
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        return client.post(rotate_url(token), **extra)


# Success


def test_owner_rotates_a_token_and_gets_a_new_secret_once(
    as_basic, as_token, member, laptop, mailoutbox, django_capture_on_commit_callbacks
):
    assert as_token(laptop.plaintext).get(ME).status_code == 200  # the old one, now cached
    issued_before = events()

    with django_capture_on_commit_callbacks(execute=True):
        response = rotate(as_basic(member), laptop, HTTP_USER_AGENT="curl/8.0")

    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    assert response["Pragma"] == "no-cache"
    old = PersonalAccessToken.objects.get(pk=laptop.record.pk)
    new = PersonalAccessToken.objects.exclude(pk=old.pk).get()
    body = response.json()
    secret = body.pop("token")
    assert secret.startswith("twp_") and secret != laptop.plaintext
    assert body == {
        "id": new.id,
        "name": "laptop",
        "description": "The laptop CLI",
        "scopes": ["read", "write"],
        "display": f"twp_…{secret[-4:]}",
        "created_at": iso(NOW + timedelta(days=1)),
        "expires_at": iso(NOW + timedelta(days=20)),
        "last_used_at": None,
        "last_addresses": [],
        "last_user_agent": "",
        "last_method": "",
        "revoked_at": None,
        "revoked_by": None,
        "owner": "mwhite",
        "active": True,
    }
    # The old row is revoked by the owner, at the moment of rotation.
    assert old.revoked_at == NOW + timedelta(days=1)
    assert old.revoked_by == member
    assert (new.name, new.description, new.scopes, new.expires_at) == (
        old.name,
        old.description,
        old.scopes,
        old.expires_at,
    )
    assert new.digest != old.digest and secret not in (new.digest, new.name)
    assert events() == [
        *issued_before,
        ("revoked", str(old.id), "mwhite", "mwhite", "rotated"),
        ("issued", str(new.id), "mwhite", "mwhite", "rotated"),
    ]
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert (mail.to, mail.subject) == (
        ["mwhite@example.com"],
        "A new personal access token: laptop",
    )
    assert f"/profile/tokens/{new.id}/revoke/" in mail.body
    assert secret not in mail.body and laptop.plaintext not in mail.body
    # The old secret is refused at once (the cache dropped it); the new one works.
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        refused = as_token(laptop.plaintext).get(ME)
        accepted = as_token(secret).get(ME)
    assert refused.status_code == 401
    assert refused.json() == {"detail": "This token has been revoked.", "code": "token_revoked"}
    assert (accepted.status_code, accepted.json()["login"]) == (200, "mwhite")


def test_rotating_with_the_token_itself_answers_with_the_new_secret_and_ends_the_old(
    as_token, member, laptop
):
    client = as_token(laptop.plaintext)

    response = rotate(client, laptop)

    assert response.status_code == 201
    secret = response.json()["token"]
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        again = client.post(rotate_url(laptop))
        after = as_token(secret).get(ME)
    assert (again.status_code, again.json()["code"]) == (401, "token_revoked")
    assert after.status_code == 200
    assert [t.name for t in live_rows(member)] == ["laptop"]
    assert live_rows(member)[0].digest != laptop.record.digest


def test_an_administrator_cannot_rotate_another_users_token(
    as_basic, admin, member, laptop, mailoutbox
):
    # Administrators cannot create a token for another user (DESIGN), so they cannot hold
    # one by rotating theirs either: they revoke it, and the owner makes a new one.
    before = events()

    response = rotate(as_basic(admin), laptop)

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Only its owner can rotate a token; an administrator can revoke it, "
        "and the owner can then create a new one.",
        "code": "permission_denied",
    }
    assert_nothing_written(laptop, before, mailoutbox)


def test_a_token_without_expiry_gets_the_servers_cap_if_one_was_set_since(
    as_basic, member, make_token, settings
):
    token = make_token(member, name="forever", expires_at=None)
    assert token.record.expires_at is None
    settings.TOKENWARD = {**settings.TOKENWARD, "PERSONAL_TOKEN_MAX_DAYS": 30}

    response = rotate(as_basic(member), token)

    assert response.status_code == 201
    assert response.json()["expires_at"] == iso(NOW + timedelta(days=31))


def test_a_token_without_expiry_keeps_none_without_a_cap(as_basic, member, make_token):
    token = make_token(member, name="forever", expires_at=None)

    response = rotate(as_basic(member), token)

    assert (response.status_code, response.json()["expires_at"]) == (201, None)


# Refusals: nothing is written


def test_another_users_token_is_not_found(as_basic, outsider, laptop, mailoutbox):
    before = events()

    response = rotate(as_basic(outsider), laptop)

    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert_nothing_written(laptop, before, mailoutbox)
    assert PersonalAccessToken.objects.get(pk=laptop.record.pk).revoked_at is None


@pytest.mark.parametrize("token_id", ["999999", "999999999999999999"])
def test_an_unknown_token_is_not_found(as_basic, member, token_id):
    response = as_basic(member).post(f"{TOKENS}/{token_id}/rotate")

    assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert not PersonalAccessToken.objects.exists()


def test_a_revoked_token_cannot_be_rotated(as_basic, member, laptop, mailoutbox):
    client = as_basic(member)
    assert client.delete(f"{TOKENS}/{laptop.record.id}").status_code == 204
    before = events()

    response = rotate(client, laptop)

    assert response.status_code == 409
    assert response.json() == REVOKED
    assert response["Cache-Control"] == "no-store"
    assert_nothing_written(laptop, before, mailoutbox)


def test_an_expired_token_cannot_be_rotated(as_basic, member, laptop, mailoutbox):
    before = events()

    with time_machine.travel(NOW + timedelta(days=20), tick=False):
        response = as_basic(member).post(rotate_url(laptop))

    assert response.status_code == 409
    assert response.json() == EXPIRED
    assert_nothing_written(laptop, before, mailoutbox)
    assert PersonalAccessToken.objects.get(pk=laptop.record.pk).revoked_at is None


def test_an_account_without_the_api_token_permission_cannot_rotate(
    as_basic, member, laptop, mailoutbox
):
    member.can_use_api_tokens = False
    member.save(update_fields=["can_use_api_tokens"])
    before = events()

    response = rotate(as_basic(member), laptop)

    assert (response.status_code, response.json()) == (403, TOKENS_DISABLED)
    assert_nothing_written(laptop, before, mailoutbox)


def test_a_read_scoped_token_cannot_rotate(as_token, member, make_token, mailoutbox):
    reader = make_token(member, name="reader", scopes=["read"])
    before = events()

    response = rotate(as_token(reader.plaintext), reader)

    assert response.status_code == 403
    assert response.json() == {
        "detail": "This token lacks the write scope that this request needs.",
        "code": "insufficient_scope",
    }
    assert_nothing_written(reader, before, mailoutbox)


def test_an_anonymous_caller_is_refused(api, laptop, mailoutbox):
    before = events()

    response = rotate(api, laptop)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert_nothing_written(laptop, before, mailoutbox)


def test_get_is_not_allowed(as_basic, member, laptop):
    response = as_basic(member).get(rotate_url(laptop))

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert PersonalAccessToken.objects.count() == 1


# Concurrency


ROTATIONS = 10


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_rotations_of_one_token_have_exactly_one_winner(member, make_token):
    """Ten requests in threads, each on its own database connection, meet at a barrier."""
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL (DATABASE_URL): the SQLite test database is in memory, shared "
            "between threads through one cache with table locks, so it cannot race rotations"
        )
    token = make_token(member, name="laptop")
    header = basic_header(member.login, member.raw_password)
    barrier = threading.Barrier(ROTATIONS)
    answers: list[tuple[int, str]] = []

    def rotate_once() -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=header)
        try:
            barrier.wait(timeout=10)
            response = client.post(rotate_url(token))
            answers.append((response.status_code, response.json().get("code", "")))
        finally:
            connection.close()

    threads = [threading.Thread(target=rotate_once) for _ in range(ROTATIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert Counter(answers) == {(201, ""): 1, (409, "token_not_live"): ROTATIONS - 1}
    live = live_rows(member)
    assert [t.name for t in live] == ["laptop"]
    assert PersonalAccessToken.objects.filter(owner=member).count() == 2
    assert AuditEvent.objects.filter(action="revoked", reason="rotated").count() == 1
    assert AuditEvent.objects.filter(action="issued", reason="rotated").count() == 1

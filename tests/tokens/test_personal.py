"""The personal-token services: issue once, store only a digest, refuse bad requests whole."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from tokenward.audit.models import AuditEvent
from tokenward.audit.services import CLI, ClientInfo
from tokenward.tokens import issuance, personal
from tokenward.tokens.errors import TokenRequestError, TokensNotPermittedError
from tokenward.tokens.models import PersonalAccessToken

CLIENT = ClientInfo(method="api", address="192.0.2.7", user_agent="pytest/1")


def issue(owner, **fields):
    return personal.issue_personal_token(owner, client=CLIENT, **{"name": "ci", **fields})


def test_issue_returns_the_plaintext_and_stores_only_its_digest(member, settings):
    issued = issue(member, scopes=["read"])

    row = PersonalAccessToken.objects.get(pk=issued.record.pk)
    key = settings.TOKENWARD["TOKEN_DIGEST_KEY"].encode()
    assert row.digest == hmac.new(key, issued.plaintext.encode(), hashlib.sha256).hexdigest()
    assert row.last4 == issued.plaintext[-4:]
    assert row.scopes == ["read"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM tokens_personalaccesstoken")
        dump = repr(cursor.fetchall())
    assert issued.plaintext not in dump
    assert issued.plaintext[4:-4] not in dump


def test_issue_is_audited_with_who_and_from_where(member):
    issued = issue(member)

    event = AuditEvent.objects.get()
    assert (event.action, event.credential_kind, event.credential_id) == (
        "issued",
        "personal_token",
        str(issued.record.pk),
    )
    assert (event.actor, event.subject) == (member, member)
    assert (event.method, event.address, event.user_agent) == ("api", "192.0.2.7", "pytest/1")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "two\nlines"}, "name"),
        ({"scopes": ["admin"]}, "scopes"),
        ({"scopes": []}, "scopes"),
        ({"expires_at": timezone.now() - timedelta(seconds=1)}, "expires_at"),
    ],
)
def test_a_bad_request_writes_nothing(member, fields, field):
    with pytest.raises(TokenRequestError) as raised:
        issue(member, **fields)

    assert raised.value.field == field
    assert not PersonalAccessToken.objects.exists()
    assert not AuditEvent.objects.exists()
    assert mail.outbox == []


def test_a_live_name_is_unique_per_owner_but_free_again_after_revocation(member, outsider):
    first = issue(member, name="deploy")
    issue(outsider, name="deploy")

    with pytest.raises(TokenRequestError, match="already have a token named 'deploy'"):
        issue(member, name="deploy")
    personal.revoke_personal_token(first.record, by=member, client=CLI)
    again = issue(member, name="deploy")

    assert again.record.name == "deploy"
    assert PersonalAccessToken.objects.filter(owner=member).count() == 2


def test_nobody_issues_tokens_for_someone_else(member, admin):
    with pytest.raises(TokensNotPermittedError):
        issue(member, actor=admin)

    assert not PersonalAccessToken.objects.exists()


def test_an_owner_without_the_permission_gets_no_token(member):
    member.can_use_api_tokens = False
    member.save()

    with pytest.raises(TokensNotPermittedError, match="may not use API tokens"):
        issue(member)

    assert not PersonalAccessToken.objects.exists()


def test_the_longest_lifetime_is_a_setting(member, settings):
    settings.TOKENWARD = {**settings.TOKENWARD, "PERSONAL_TOKEN_MAX_DAYS": 30}

    capped = issue(member, name="default")
    with pytest.raises(TokenRequestError, match="at most 30 days"):
        issue(member, name="long", expires_at=timezone.now() + timedelta(days=31))

    assert timedelta(days=29) < capped.record.expires_at - timezone.now() <= timedelta(days=30)


def test_a_failure_after_the_row_is_written_leaves_no_usable_token(member, monkeypatch):
    def audit_fails(*args, **kwargs):
        raise RuntimeError("the audit table is unavailable")

    monkeypatch.setattr(issuance, "record_event", audit_fails)

    with pytest.raises(RuntimeError):
        issue(member)

    assert not PersonalAccessToken.objects.exists()
    assert mail.outbox == []


def test_revoking_twice_changes_nothing_the_second_time(member, admin):
    issued = issue(member)

    assert personal.revoke_personal_token(issued.record, by=admin, client=CLI) is True
    first = PersonalAccessToken.objects.get().revoked_at
    assert personal.revoke_personal_token(issued.record, by=member, client=CLI) is False

    row = PersonalAccessToken.objects.get()
    assert (row.revoked_at, row.revoked_by) == (first, admin)
    assert AuditEvent.objects.filter(action="revoked").count() == 1


def test_revoke_all_revokes_only_live_tokens_of_that_owner(member, outsider):
    issue(member, name="a")
    issue(member, name="b")
    gone = issue(member, name="c")
    personal.revoke_personal_token(gone.record, by=member, client=CLI)
    other = issue(outsider, name="a")

    assert personal.revoke_all_personal_tokens(member, by=member, client=CLI) == 2
    assert not PersonalAccessToken.objects.filter(owner=member, revoked_at__isnull=True).exists()
    assert PersonalAccessToken.objects.get(pk=other.record.pk).revoked_at is None


def test_endpoint_names_are_random():
    names = {personal.endpoint_token_name() for _ in range(50)}

    assert len(names) == 50
    assert all(len(name) == len("endpoint-") + 8 for name in names)

"""The new-token e-mail: sent once to the owner after commit, with a revoke link, no secret."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import transaction

from tokenward.audit.models import AuditEvent
from tokenward.audit.services import ClientInfo
from tokenward.tokens.errors import TokenRequestError
from tokenward.tokens.models import PersonalAccessToken

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
BROWSER = ClientInfo(
    method="web",
    address="203.0.113.42",
    user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
    origin="https://origin.example:8443",
)


@pytest.fixture
def issue(make_token, django_capture_on_commit_callbacks):
    """Issue a token as a committed request would, running the after-commit callbacks."""

    def run(owner, **fields):
        fields.setdefault("client", BROWSER)
        with (
            time_machine.travel(NOW, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return make_token(owner, **fields)

    return run


def test_creating_a_token_emails_its_owner_once(issue, member, mailoutbox):
    issued = issue(
        member,
        name="CI deploys",
        scopes=["read"],
        expires_at=datetime(2026, 8, 1, 12, 0, tzinfo=UTC),
    )

    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["mwhite@example.com"]
    assert mail.subject == "A new personal access token: CI deploys"
    assert mail.body.rstrip("\n") == (
        "Hello Mary White,\n"
        "\n"
        "A personal access token was created for your tokenward account mwhite.\n"
        "\n"
        "  Name:       CI deploys\n"
        "  Scopes:     read\n"
        "  Expires:    2026-08-01 12:00 UTC\n"
        "  Created:    2026-05-04 09:30 UTC\n"
        "  From:       203.0.113.42\n"
        "  User agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0\n"
        "\n"
        "If you did not create it, revoke it now:\n"
        f"https://origin.example:8443/profile/tokens/{issued.record.pk}/revoke/"
    )


def test_email_lists_every_scope_and_says_when_a_token_never_expires(issue, member, mailoutbox):
    issue(member, scopes=["read", "write"])

    body = mailoutbox[0].body
    assert "Scopes:     read, write\n" in body
    assert "Expires:    never\n" in body


def test_email_says_when_address_and_user_agent_are_unknown(issue, member, mailoutbox):
    issue(member, client=ClientInfo(method="cli"))

    body = mailoutbox[0].body
    assert "From:       unknown address\n" in body
    assert "User agent: unknown\n" in body


def test_public_url_setting_wins_over_the_request_origin(issue, member, mailoutbox, settings):
    settings.TOKENWARD = {**settings.TOKENWARD, "PUBLIC_URL": "https://tw.example/"}

    issued = issue(member)

    link = f"https://tw.example/profile/tokens/{issued.record.pk}/revoke/"
    assert f"\n{link}\n" in mailoutbox[0].body
    assert "origin.example" not in mailoutbox[0].body


def test_email_never_contains_the_token_or_its_digest(issue, member, mailoutbox):
    issued = issue(member)

    mail = mailoutbox[0]
    for secret in [issued.plaintext, issued.plaintext[4:], issued.record.digest]:
        assert secret not in mail.subject
        assert secret not in mail.body
    assert not mail.alternatives
    assert not mail.attachments


def test_no_email_for_an_owner_without_an_address(issue, outsider, mailoutbox):
    issue(outsider)

    assert mailoutbox == []
    assert PersonalAccessToken.objects.filter(owner=outsider).count() == 1


def test_no_email_before_the_transaction_commits(make_token, member, mailoutbox):
    with transaction.atomic():
        make_token(member, client=BROWSER)
        assert mailoutbox == []
    # The test's own transaction never commits, so neither does this one.
    assert mailoutbox == []


def test_no_email_and_no_row_when_the_issuing_transaction_rolls_back(
    make_token, member, mailoutbox, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        make_token(member, name="doomed", client=BROWSER)
        raise RuntimeError("the request failed after issuing")

    assert callbacks == []
    assert mailoutbox == []
    assert not PersonalAccessToken.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_refused_duplicate_name_sends_no_second_email(issue, member, mailoutbox):
    issue(member, name="twice")

    with pytest.raises(TokenRequestError):
        issue(member, name="twice")

    assert len(mailoutbox) == 1
    assert PersonalAccessToken.objects.filter(owner=member).count() == 1


def test_a_failing_mail_server_does_not_undo_the_token(issue, member, mailoutbox, monkeypatch):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr("tokenward.audit.notifications.send_mail", refuse)

    issued = issue(member)

    assert mailoutbox == []
    assert PersonalAccessToken.objects.filter(pk=issued.record.pk).exists()
    assert AuditEvent.objects.filter(action="issued", credential_id=str(issued.record.pk)).exists()

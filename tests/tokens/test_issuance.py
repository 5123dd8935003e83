"""Security check 25 for every stored kind: a failure after the token row is written (the
audit write) rolls the row back, so no usable orphan token is left, and no e-mail goes out."""

from __future__ import annotations

import pytest

from tokenward.audit.services import ClientInfo
from tokenward.tokens import issuance, offline, session
from tokenward.tokens.models import OfflineToken, SessionToken

pytestmark = pytest.mark.django_db

CLIENT = ClientInfo(method="test", address="127.0.0.1")


@pytest.mark.parametrize(
    ("issue", "model"),
    [
        (lambda user: session.issue_session_token(user, CLIENT), SessionToken),
        (lambda user: offline.issue_offline_token(user, client=CLIENT), OfflineToken),
    ],
    ids=["tuleap-24h", "offline"],
)
def test_a_failing_audit_write_leaves_no_token_and_sends_nothing(
    member, monkeypatch, mailoutbox, django_capture_on_commit_callbacks, issue, model
):
    def audit_fails(*args, **kwargs):
        raise RuntimeError("the audit table is unavailable")

    monkeypatch.setattr(issuance, "record_event", audit_fails)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        issue(member)

    assert not model.objects.exists()
    assert mailoutbox == []

"""``tokenward offline-token``: an administrator lists and revokes offline tokens."""

from __future__ import annotations

import pytest

from tokenward.audit.models import AuditEvent
from tokenward.audit.services import CLI
from tokenward.cli import main
from tokenward.tokens import offline

pytestmark = pytest.mark.django_db


def test_list_shows_no_secret(capsys, member):
    issued = offline.issue_offline_token(member, client=CLI, name="etl")

    assert main(["offline-token", "list", member.login]) == 0

    out = capsys.readouterr().out
    assert issued.record.display in out and "etl" in out and "active" in out
    assert issued.plaintext not in out and issued.record.digest not in out


def test_revoke_ends_the_token_and_its_access_tokens(capsys, member, as_token):
    issued = offline.issue_offline_token(member, client=CLI)
    access = offline.refresh_access_token(issued.plaintext, CLI).value
    assert as_token(access).get("/api/users/me").status_code == 200

    assert main(["offline-token", "revoke", str(issued.record.pk)]) == 0
    assert main(["offline-token", "revoke", str(issued.record.pk)]) == 0

    assert capsys.readouterr().out.splitlines() == [
        f"Revoked offline token {issued.record.pk}.",
        f"Already revoked: offline token {issued.record.pk}.",
    ]
    assert as_token(access).get("/api/users/me").status_code == 401
    event = AuditEvent.objects.get(action="revoked")
    assert (event.method, event.actor) == ("cli", None)


def test_revoking_an_unknown_id_fails(capsys):
    assert main(["offline-token", "revoke", "999"]) == 1
    assert "There is no offline token with id 999." in capsys.readouterr().err

"""``tokenward token``: list, revoke and revoke-all personal tokens; never print a secret."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from tests.test_cli import assert_one_error_line, tokenward
from tokenward.audit.models import AuditEvent
from tokenward.cli import main
from tokenward.tokens.models import PersonalAccessToken

NOW = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    """A data folder on which ``tokenward migrate`` has run once; tests get copies of it."""
    folder = tmp_path_factory.mktemp("migrated")
    assert tokenward(folder, "migrate").returncode == 0
    return folder


def revocations() -> list[tuple]:
    rows = AuditEvent.objects.filter(action="revoked").order_by("id")
    return [(e.credential_id, e.method, e.actor, e.subject.login) for e in rows]


@pytest.mark.django_db
def test_list_prints_every_token_with_its_status_and_no_secret(
    capsys, as_token, member, outsider, make_token
):
    with time_machine.travel(NOW, tick=False):
        live = make_token(member, name="laptop", scopes=["read"])
        revoked = make_token(member, name="ci")
        short = make_token(member, name="short", expires_at=NOW + timedelta(hours=1))
    make_token(outsider, name="theirs")
    with time_machine.travel(NOW + timedelta(minutes=30), tick=False):
        assert as_token(live.plaintext).get("/api/users/me").status_code == 200
    main(["token", "revoke", str(revoked.record.id)])
    capsys.readouterr()

    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        assert main(["token", "list", "mwhite"]) == 0

    out, err = capsys.readouterr()
    assert err == ""
    width = max(2, *(len(str(t.record.id)) for t in (short, revoked, live)))
    ids = [f"{t.record.id:<{width}}" for t in (short, revoked, live)]
    assert out.splitlines() == [
        f"{'ID':<{width}}  NAME    SCOPES      TOKEN      CREATED            "
        "LAST USED          EXPIRES            STATUS",
        f"{ids[0]}  short   read,write  {short.record.display}  2030-05-01 12:00Z  "
        "never              2030-05-01 13:00Z  expired",
        f"{ids[1]}  ci      read,write  {revoked.record.display}  2030-05-01 12:00Z  "
        "never              never              revoked",
        f"{ids[2]}  laptop  read        {live.record.display}  2030-05-01 12:00Z  "
        "2030-05-01 12:30Z  never              active",
    ]
    for token in (live, revoked, short):
        assert token.plaintext not in out and token.record.digest not in out


@pytest.mark.django_db
def test_list_of_a_user_without_tokens_prints_the_header(capsys, member):
    assert main(["token", "list", "mwhite"]) == 0

    assert capsys.readouterr().out.split() == [
        *("ID", "NAME", "SCOPES", "TOKEN", "CREATED", "LAST", "USED", "EXPIRES", "STATUS")
    ]


@pytest.mark.django_db
def test_revoke_revokes_audits_and_the_token_then_fails(capsys, as_token, member, make_token):
    token = make_token(member, name="laptop")
    other = make_token(member, name="ci")
    assert as_token(token.plaintext).get("/api/users/me").status_code == 200  # now cached

    assert main(["token", "revoke", str(token.record.id)]) == 0

    assert capsys.readouterr() == (f"Revoked personal token {token.record.id}.\n", "")
    row = PersonalAccessToken.objects.get(pk=token.record.id)
    assert row.revoked_at is not None and row.revoked_by is None
    assert revocations() == [(str(row.id), "cli", None, "mwhite")]
    refused = as_token(token.plaintext).get("/api/users/me")
    assert (refused.status_code, refused.json()["code"]) == (401, "token_revoked")
    assert as_token(other.plaintext).get("/api/users/me").status_code == 200


@pytest.mark.django_db
def test_revoking_again_says_so_and_changes_nothing(capsys, member, make_token):
    token = make_token(member, name="laptop")
    main(["token", "revoke", str(token.record.id)])
    revoked_at = PersonalAccessToken.objects.get().revoked_at
    capsys.readouterr()

    assert main(["token", "revoke", str(token.record.id)]) == 0

    assert capsys.readouterr() == (
        f"Personal token {token.record.id} was already revoked.\n",
        "",
    )
    assert PersonalAccessToken.objects.get().revoked_at == revoked_at
    assert len(revocations()) == 1


@pytest.mark.django_db
def test_revoking_an_unknown_id_is_one_error_line(capsys, member, make_token):
    token = make_token(member)

    assert main(["token", "revoke", str(token.record.id + 1)]) == 1

    assert capsys.readouterr() == (
        "",
        f"tokenward: There is no personal token with id {token.record.id + 1}.\n",
    )
    assert PersonalAccessToken.objects.get().revoked_at is None
    assert revocations() == []


@pytest.mark.django_db
def test_revoke_all_revokes_the_users_live_tokens(capsys, as_token, member, outsider, make_token):
    tokens = [make_token(member, name=name) for name in ("a", "b", "c")]
    theirs = make_token(outsider, name="theirs")
    main(["token", "revoke", str(tokens[0].record.id)])
    capsys.readouterr()

    assert main(["token", "revoke-all", "mwhite"]) == 0

    assert capsys.readouterr() == ("Revoked 2 personal tokens of 'mwhite'.\n", "")
    assert not PersonalAccessToken.objects.filter(owner=member, revoked_at__isnull=True).exists()
    assert revocations() == [(str(t.record.id), "cli", None, "mwhite") for t in tokens]
    for token in tokens:
        assert as_token(token.plaintext).get("/api/users/me").status_code == 401
    assert as_token(theirs.plaintext).get("/api/users/me").status_code == 200

    assert main(["token", "revoke-all", "mwhite"]) == 0
    assert capsys.readouterr().out == "Revoked 0 personal tokens of 'mwhite'.\n"


@pytest.mark.django_db
@pytest.mark.parametrize("command", ["list", "revoke-all"])
def test_unknown_login_is_one_error_line(capsys, member, make_token, command):
    make_token(member)

    assert main(["token", command, "ghost"]) == 1

    assert capsys.readouterr() == ("", "tokenward: There is no user with the login 'ghost'.\n")
    assert PersonalAccessToken.objects.get().revoked_at is None


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("token", "revoke", "7"), 1, "tokenward: There is no personal token with id 7."),
        (("token", "revoke", "abc"), 2, "argument id: invalid token id: 'abc'"),
        (("token", "revoke", "1" * 19), 2, "argument id: invalid token id"),
        (("token", "list"), 2, "the following arguments are required: login"),
        (("token", "list", "ghost"), 1, "tokenward: There is no user with the login 'ghost'."),
        (("token", "rotate", "7"), 2, "invalid choice: 'rotate'"),
    ],
    ids=["unknown-id", "bad-id", "huge-id", "no-login", "unknown-login", "no-such-command"],
)
def test_the_installed_command_answers_in_one_line(migrated, tmp_path, args, code, message):
    data = Path(shutil.copytree(migrated, tmp_path / "data"))
    assert tokenward(data, "user", "add", "alice").returncode == 0

    done = tokenward(data, *args)

    assert_one_error_line(done, code, message)

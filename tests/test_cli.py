"""The ``tokenward`` command, run as a real process against its own throw-away data folder."""

from __future__ import annotations

import io
import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
from django.contrib.auth.hashers import check_password

from tests.conftest import new_password

TOKENWARD = Path(sys.executable).parent / "tokenward"


def environment(data_dir: Path) -> dict[str, str]:
    """Return the environment of a fresh installation that keeps its data in ``data_dir``."""
    skip = ("TOKENWARD_", "DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
    env = {k: v for k, v in os.environ.items() if not k.startswith(skip)}
    return {**env, "TOKENWARD_DATA_DIR": str(data_dir)}


def tokenward(data_dir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """Run ``tokenward ARGS`` as a separate process and return what it did."""
    return subprocess.run(
        [str(TOKENWARD), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment(data_dir),
        cwd=data_dir,
        timeout=60,
        check=False,
    )


def users(data_dir: Path) -> dict[str, dict]:
    """Return the users stored in ``data_dir``'s database, read directly with SQLite."""
    with closing(sqlite3.connect(data_dir / "tokenward.sqlite3")) as db:
        db.row_factory = sqlite3.Row
        rows = db.execute("SELECT * FROM accounts_user ORDER BY id").fetchall()
    return {row["login"]: dict(row) for row in rows}


def projects(data_dir: Path) -> dict[str, dict]:
    """Return the projects stored in ``data_dir`` with their leader's and members' logins."""
    with closing(sqlite3.connect(data_dir / "tokenward.sqlite3")) as db:
        found = db.execute(
            "SELECT p.id, p.short_name, p.name, p.is_public, u.login FROM tracker_project p"
            " LEFT JOIN accounts_user u ON u.id = p.leader_id"
        ).fetchall()
        members = db.execute(
            "SELECT m.project_id, u.login FROM tracker_project_members m"
            " JOIN accounts_user u ON u.id = m.user_id ORDER BY u.login"
        ).fetchall()
    return {
        short: {
            "name": name,
            "public": bool(public),
            "leader": leader,
            "members": [login for pid, login in members if pid == id_],
        }
        for id_, short, name, public, leader in found
    }


def password_works(data_dir: Path, login: str, password: str) -> bool:
    return check_password(password, users(data_dir)[login]["password"])


def assert_one_error_line(done: subprocess.CompletedProcess[str], code: int, text: str) -> None:
    assert done.returncode == code
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.endswith("\n")
    assert text in done.stderr
    assert "Traceback" not in done.stderr


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    """A data folder on which ``tokenward migrate`` has run once; tests get copies of it."""
    folder = tmp_path_factory.mktemp("migrated")
    done = tokenward(folder, "migrate")
    assert done.returncode == 0, done.stderr
    return folder


@pytest.fixture(scope="module")
def seeded(migrated, tmp_path_factory) -> Path:
    """A migrated data folder holding the users alice, bob and carol."""
    folder = Path(shutil.copytree(migrated, tmp_path_factory.mktemp("seeded") / "data"))
    for login in ("alice", "bob", "carol"):
        assert tokenward(folder, "user", "add", login).returncode == 0
    return folder


@pytest.fixture
def data(migrated, tmp_path) -> Path:
    """This test's own migrated data folder, with no users."""
    return Path(shutil.copytree(migrated, tmp_path / "data"))


@pytest.fixture
def people(seeded, tmp_path) -> Path:
    """This test's own data folder holding the users alice, bob and carol."""
    return Path(shutil.copytree(seeded, tmp_path / "data"))


def test_migrate_creates_the_database_in_an_empty_data_folder(tmp_path):
    done = tokenward(tmp_path, "migrate")

    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert (tmp_path / "secret_key").is_file()
    assert users(tmp_path) == {}
    again = tokenward(tmp_path, "migrate")
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")


def test_user_add_with_every_option(data):
    password = new_password()

    done = tokenward(
        data,
        *("user", "add", "jdoe", "--email", "jdoe@example.com", "--name", "Jane Doe"),
        *("--role", "administrator", "--no-api-tokens", "--password-stdin"),
        stdin=password + "\n",
    )

    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "Created user 'jdoe' (id 1, administrator).\n"
    jdoe = users(data)["jdoe"]
    assert (jdoe["full_name"], jdoe["email"]) == ("Jane Doe", "jdoe@example.com")
    assert (jdoe["role"], jdoe["account_type"]) == ("administrator", "local")
    assert (jdoe["is_active"], jdoe["can_use_api_tokens"], jdoe["is_system"]) == (1, 0, 0)
    assert password_works(data, "jdoe", password)
    assert password not in done.stdout


def test_user_add_requester_sso_and_defaults(data):
    for args in (["asker", "--role", "requester"], ["ssouser", "--sso"], ["plain"]):
        assert tokenward(data, "user", "add", *args).returncode == 0

    found = {
        login: (u["role"], u["account_type"], u["can_use_api_tokens"])
        for login, u in users(data).items()
    }
    assert found == {
        "asker": ("requester", "local", 0),
        "ssouser": ("user", "sso", 1),
        "plain": ("user", "local", 1),
    }
    assert not users(data)["plain"]["password"].startswith("argon2")  # no usable password


def test_user_list_prints_one_aligned_row_per_user(people):
    tokenward(people, "user", "add", "jdoe", "--name", "Jane Doe", "--email", "j@example.com")
    tokenward(people, "user", "deactivate", "bob")

    done = tokenward(people, "user", "list")

    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == [
        "ID  LOGIN  ROLE  ACTIVE  API TOKENS  ACCOUNT  NAME      E-MAIL",
        "1   alice  user  yes     yes         local",
        "2   bob    user  no      yes         local",
        "3   carol  user  yes     yes         local",
        "4   jdoe   user  yes     yes         local    Jane Doe  j@example.com",
    ]


def keep_lookalike(data_dir: Path, login: str, new_login: str) -> None:
    """Rename ``login`` to ``new_login`` behind the services' back, without a login key: how
    a database from before logins were folded holds look-alikes."""
    with closing(sqlite3.connect(data_dir / "tokenward.sqlite3")) as db, db:
        db.execute(
            "UPDATE accounts_user SET login = ?, login_key = NULL WHERE login = ?",
            (new_login, login),
        )


def test_user_list_marks_the_logins_that_look_alike(people):
    keep_lookalike(people, "carol", "BOB")

    done = tokenward(people, "user", "list")

    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == [
        "ID  LOGIN  ROLE  ACTIVE  API TOKENS  ACCOUNT  NAME  E-MAIL  LOOKS LIKE",
        "1   alice  user  yes     yes         local",
        "2   bob    user  yes     yes         local                  BOB",
        "3   BOB    user  yes     yes         local                  bob",
    ]


def test_migrate_warns_about_the_logins_that_look_alike_and_keeps_them(people):
    keep_lookalike(people, "carol", "BOB")

    done = tokenward(people, "migrate")

    assert (done.returncode, done.stdout) == (0, "")
    assert done.stderr == (
        "tokenward: warning: These logins look alike: 'bob', 'BOB'. They differ only in "
        "letter case, character width or invisible characters. Rename all but one of these "
        "accounts; a login that looks like another can no longer be created. (tokenward.W001)\n"
    )
    assert list(users(people)) == ["alice", "bob", "BOB"]


def test_set_password_reads_standard_input(people):
    password = new_password()

    done = tokenward(people, "user", "set-password", "bob", "--password-stdin", stdin=password)

    assert (done.returncode, done.stdout, done.stderr) == (0, "Set the password of 'bob'.\n", "")
    assert password_works(people, "bob", password)
    assert not password_works(people, "bob", new_password())
    assert not password_works(people, "alice", password)


def test_deactivate_then_activate(people):
    done = tokenward(people, "user", "deactivate", "bob")
    assert (done.returncode, done.stdout, done.stderr) == (0, "Deactivated 'bob'.\n", "")
    assert [u["is_active"] for u in users(people).values()] == [1, 0, 1]

    done = tokenward(people, "user", "activate", "bob")
    assert (done.returncode, done.stdout, done.stderr) == (0, "Activated 'bob'.\n", "")
    assert [u["is_active"] for u in users(people).values()] == [1, 1, 1]


def test_project_add_with_leader_and_members(people):
    done = tokenward(
        people,
        *("project", "add", "WEB", "--name", "Web Site", "--public"),
        *("--leader", "alice", "--member", "bob", "carol"),
    )

    assert (done.returncode, done.stdout, done.stderr) == (0, "Created project 'WEB' (id 1).\n", "")
    assert projects(people) == {
        "WEB": {"name": "Web Site", "public": True, "leader": "alice", "members": ["bob", "carol"]}
    }


@pytest.mark.parametrize(
    "args",
    [
        ("user", "set-password", "ghost", "--password-stdin"),
        ("user", "deactivate", "ghost"),
        ("user", "activate", "ghost"),
        ("project", "add", "WEB", "--name", "Web", "--leader", "ghost"),
        ("project", "add", "WEB", "--name", "Web", "--leader", "alice", "--member", "bob", "ghost"),
    ],
    ids=["set-password", "deactivate", "activate", "project-leader", "project-member"],
)
def test_unknown_login_is_one_error_line_and_changes_nothing(people, args):
    before = users(people)

    done = tokenward(people, *args, stdin=new_password())

    assert_one_error_line(done, 1, "tokenward: There is no user with the login 'ghost'.")
    assert projects(people) == {}
    assert users(people) == before


@pytest.mark.parametrize("login", ["BOB", "\uff22\uff2f\uff22", "bob\u200b"])
def test_user_add_of_a_lookalike_of_bob_is_refused_naming_bob(people, login):
    before = users(people)

    done = tokenward(people, "user", "add", login)

    if login.startswith("bob"):
        message = (
            "tokenward: A login cannot hold invisible or formatting characters such as U+200B."
        )
    else:
        message = (
            f"tokenward: The login {login!r} looks like the existing login 'bob': logins must "
            "differ by more than letter case or character width."
        )
    assert_one_error_line(done, 1, message)
    assert users(people) == before


def test_duplicate_login_is_refused_and_the_first_user_kept(people):
    before = users(people)

    done = tokenward(people, "user", "add", "bob", "--name", "Other Bob", "--role", "administrator")

    assert_one_error_line(done, 1, "tokenward: The login 'bob' is already taken.")
    assert users(people) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("user", "add"), "the following arguments are required: login"),
        (("user", "add", "jdoe", "--role", "boss"), "argument --role: invalid choice: 'boss'"),
        (("user", "set-password", "jdoe"), "the following arguments are required: --password"),
        (("project", "add", "WEB"), "the following arguments are required: --name"),
        (("user", "remove", "jdoe"), "invalid choice: 'remove'"),
    ],
    ids=["add-no-login", "bad-role", "set-password-no-stdin", "project-no-name", "no-such-command"],
)
def test_wrong_arguments_are_one_error_line_with_exit_2(data, args, message):
    done = tokenward(data, *args)

    assert_one_error_line(done, 2, message)
    assert done.stderr.startswith("tokenward ")
    assert users(data) == {}


def test_weak_password_is_refused_and_no_user_created(data):
    done = tokenward(data, "user", "add", "jdoe", "--password-stdin", stdin="12345\n")

    assert_one_error_line(done, 1, "This password is too short.")
    assert users(data) == {}


# In-process runs of the same entry point: fast checks of the remaining rules.


@pytest.mark.django_db
def test_deactivating_the_system_user_is_refused(capsys):
    from tokenward.accounts.models import User
    from tokenward.accounts.services import ensure_bootstrap_accounts
    from tokenward.cli import main

    ensure_bootstrap_accounts(new_password())

    assert main(["user", "deactivate", "System"]) == 1

    out, err = capsys.readouterr()
    assert (out, err) == ("", "tokenward: The System user cannot be deactivated.\n")
    assert User.objects.get(login="System").is_active is True


@pytest.mark.django_db
def test_weak_new_password_is_refused_and_the_old_one_kept(capsys, monkeypatch, member):
    from tokenward.cli import main

    monkeypatch.setattr(sys, "stdin", io.StringIO("qwertyuiop\n"))

    assert main(["user", "set-password", member.login, "--password-stdin"]) == 1

    assert capsys.readouterr().err == "tokenward: This password is too common.\n"
    member.refresh_from_db()
    assert member.check_password(member.raw_password)


@pytest.mark.django_db
def test_empty_standard_input_sets_no_password(capsys, monkeypatch, member):
    from tokenward.cli import main

    monkeypatch.setattr(sys, "stdin", io.StringIO(""))

    assert main(["user", "set-password", member.login, "--password-stdin"]) == 1

    assert capsys.readouterr().err == "tokenward: No password was given on standard input.\n"
    member.refresh_from_db()
    assert member.check_password(member.raw_password)


@pytest.mark.django_db
def test_duplicate_project_short_name_is_refused(capsys, make_project):
    from tokenward.cli import main
    from tokenward.tracker.models import Project

    make_project(short_name="WEB", name="First")

    assert main(["project", "add", "WEB", "--name", "Second"]) == 1

    assert capsys.readouterr().err == "tokenward: The short name 'WEB' is already taken.\n"
    assert list(Project.objects.values_list("name", flat=True)) == ["First"]

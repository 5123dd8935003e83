"""Migration 0004 on a database that already holds logins that look alike: it succeeds,
deletes and renames nothing, keys the oldest of each group and leaves the others to the
start-up check."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tokenward.accounts.logins import login_key
from tokenward.accounts.models import User

BEFORE = [("accounts", "0003_password_failure_counter")]
AFTER = [("accounts", "0004_user_login_key")]
LOGINS = [
    "bob",
    "mwhite",
    "BOB",
    "carol",
    "\uff2d\uff37\uff28\uff29\uff34\uff25",
    "Bob",
    "carol\u200b",
]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.fixture
def back_to_the_latest_schema():
    """Leave the test database at the latest migrations, which later tests expect."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_the_latest_schema")
def test_the_migration_succeeds_on_a_database_holding_bob_and_BOB():
    old = migrate(BEFORE)
    OldUser = old.get_model("accounts", "User")
    for login in LOGINS:
        OldUser.objects.create(login=login, password="!")

    migrate(AFTER)

    keys = dict(User.objects.order_by("id").values_list("login", "login_key"))
    assert list(keys) == LOGINS  # every account kept, under its own login
    assert keys == {
        "bob": login_key("bob"),
        "mwhite": login_key("mwhite"),
        "BOB": None,
        "carol": login_key("carol"),
        "\uff2d\uff37\uff28\uff29\uff34\uff25": None,
        "Bob": None,
        "carol\u200b": None,
    }
    warnings = [m.msg for m in run_checks(databases=["default"]) if m.id == "tokenward.W001"]
    assert len(warnings) == 3
    assert warnings[0].endswith("'bob', 'BOB', 'Bob'.")
    assert warnings[1].endswith("'carol', 'carol\\u200b'.")  # repr() shows the invisible

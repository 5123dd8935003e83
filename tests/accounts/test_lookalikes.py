"""Logins that look alike: refused at creation and rename, held off by the database under
concurrency, and, where a database kept some from before, listed at start-up."""

from __future__ import annotations

import threading

import pytest
from django.core.checks import run_checks
from django.db import IntegrityError, connection, connections, transaction

from tokenward.accounts import lookalikes, services
from tokenward.accounts.models import User

pytestmark = pytest.mark.django_db

FULL_WIDTH_MWHITE = "\uff2d\uff37\uff28\uff29\uff34\uff25"


def keep_lookalike(existing: User, login: str) -> User:
    """Add an account named ``login`` the way a database from before the key holds it: no key."""
    user = services.create_user(f"kept-{existing.pk}-{login.encode().hex()}")
    User.objects.filter(pk=user.pk).update(login=login, login_key=None)
    return User.objects.get(pk=user.pk)


def clash_message(login: str, existing: str) -> str:
    return (
        f"The login {login!r} looks like the existing login {existing!r}: logins must differ "
        "by more than letter case or character width."
    )


@pytest.mark.parametrize(
    ("existing", "login"),
    [("bob", "BOB"), ("mwhite", FULL_WIDTH_MWHITE), ("strasse", "Straße"), ("fiona", "\ufb01ona")],
)
def test_creating_a_lookalike_of_an_existing_login_is_refused_naming_it(existing, login):
    services.create_user(existing)

    with pytest.raises(services.AccountFieldError) as refused:
        services.create_user(login)

    assert str(refused.value) == clash_message(login, existing)
    assert refused.value.field == "login"
    assert list(User.objects.values_list("login", flat=True)) == [existing]


@pytest.mark.parametrize("char", ["\u200b", "\u202e", "\u2066", "\ufeff", "\u00ad", "\u3164"])
def test_a_login_with_an_invisible_character_is_refused(char):
    services.create_user("mwhite")

    with pytest.raises(services.AccountError) as refused:
        services.create_user(f"mwhite{char}")

    assert str(refused.value) == (
        f"A login cannot hold invisible or formatting characters such as U+{ord(char):04X}."
    )
    assert list(User.objects.values_list("login", flat=True)) == ["mwhite"]


def test_the_database_refuses_a_lookalike_that_skips_the_services():
    User.objects.create_user("bob")

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("BOB")

    assert list(User.objects.values_list("login", flat=True)) == ["bob"]


def test_a_lookalike_created_between_the_check_and_the_save_is_refused_naming_it(monkeypatch):
    """The race of two creates, played in order: the check saw nothing, the key refuses."""
    services.create_user("bob")
    real = lookalikes.clashing_account
    calls = []

    def blind_first(login, *, exclude=None):  # the other create had not committed yet
        calls.append(login)
        return None if len(calls) == 1 else real(login, exclude=exclude)

    monkeypatch.setattr(services, "clashing_account", blind_first)

    with pytest.raises(services.AccountFieldError) as refused:
        services.create_user("BOB")

    assert str(refused.value) == clash_message("BOB", "bob")
    assert list(User.objects.values_list("login", flat=True)) == ["bob"]


def test_renaming_an_account_to_a_lookalike_is_refused_and_to_its_own_case_allowed(member):
    other = services.create_user("bob")

    with (
        pytest.raises(services.AccountFieldError) as refused,
        services.claiming_login("MWhite", user=other),
    ):
        other.login = "MWhite"
        other.save()

    assert str(refused.value) == clash_message("MWhite", "mwhite")
    assert User.objects.get(pk=other.pk).login == "bob"
    with services.claiming_login("MWhite", user=member):  # its own login, recased
        member.login = "MWhite"
        member.save(update_fields=["login"])
    member.refresh_from_db()
    assert (member.login, member.login_key) == ("MWhite", User.objects.get(pk=member.pk).login_key)
    assert User.objects.filter(login_key__isnull=True).count() == 0


def test_a_kept_lookalike_still_counts_when_the_keyed_account_is_gone():
    bob = services.create_user("bob")
    keep_lookalike(bob, "BOB")
    bob.delete()

    with pytest.raises(services.AccountFieldError) as refused:
        services.create_user("Bob")

    assert str(refused.value) == clash_message("Bob", "BOB")


def test_a_kept_lookalike_keeps_working_and_gets_a_key_once_renamed_apart():
    bob = services.create_user("bob")
    kept = keep_lookalike(bob, "BOB")

    services.set_password(kept, "a long enough password 1", validate=False)
    assert User.objects.get(pk=kept.pk).login_key is None  # unchanged login: no key asked

    with services.claiming_login("robert", user=kept):
        kept.login = "robert"
        kept.save()
    assert User.objects.get(pk=kept.pk).login_key is not None
    assert lookalikes.lookalike_groups() == []


def test_the_start_up_check_names_each_group_of_lookalikes():
    bob = services.create_user("bob")
    keep_lookalike(bob, "BOB")
    keep_lookalike(bob, "Bob")
    mwhite = services.create_user("mwhite")
    keep_lookalike(mwhite, FULL_WIDTH_MWHITE)
    services.create_user("carol")

    warnings = [m for m in run_checks(databases=["default"]) if m.id == "tokenward.W001"]

    assert [w.msg for w in warnings] == [
        "These logins look alike: 'bob', 'BOB', 'Bob'.",
        f"These logins look alike: 'mwhite', '{FULL_WIDTH_MWHITE}'.",
    ]
    assert all("Rename all but one of these accounts" in w.hint for w in warnings)
    assert User.objects.count() == 6  # nothing deleted


def test_the_start_up_check_is_silent_without_lookalikes(member, admin):
    assert not [m for m in run_checks(databases=["default"]) if m.id == "tokenward.W001"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="parallel writers need PostgreSQL: run with DATABASE_URL=postgres://...",
)
def test_two_simultaneous_creates_of_bob_and_BOB_cannot_both_succeed():
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def create(login: str) -> None:
        try:
            start.wait(timeout=10)
            services.create_user(login)
            outcomes.append("created")
        except services.AccountError as refused:
            outcomes.append(str(refused))
        finally:
            connections.close_all()

    pool = [threading.Thread(target=create, args=(login,)) for login in ("bob", "BOB")]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=30)

    assert len(outcomes) == 2 and outcomes.count("created") == 1
    [refused] = [outcome for outcome in outcomes if outcome != "created"]
    assert "looks like the existing login" in refused
    assert User.objects.count() == 1

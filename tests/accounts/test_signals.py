"""credentials_changed fires for a changed login, password or deactivation, by any path."""

from __future__ import annotations

import pytest

from tokenward.accounts import services
from tokenward.accounts.models import User
from tokenward.accounts.signals import credentials_changed


@pytest.fixture
def heard():
    events = []

    def listener(sender, user, reasons, **kwargs):
        events.append((user.pk, reasons))

    credentials_changed.connect(listener)
    yield events
    credentials_changed.disconnect(listener)


def test_a_password_change_through_the_service(member, heard):
    services.set_password(User.objects.get(pk=member.pk), "another-long-password-7")

    assert heard == [(member.pk, frozenset({"password"}))]


def test_a_login_change_through_the_api(admin, member, as_basic, heard):
    response = as_basic(admin).patch(f"/api/users/{member.pk}", {"login": "mary"}, format="json")

    assert response.status_code == 200
    assert heard == [(member.pk, frozenset({"login"}))]


def test_deactivation_but_not_activation(member, heard):
    user = User.objects.get(pk=member.pk)
    services.set_active(user, False)
    services.set_active(user, True)

    assert heard == [(member.pk, frozenset({"deactivated"}))]


def test_other_changes_and_creation_are_silent(make_user, member, heard):
    user = User.objects.get(pk=member.pk)
    user.full_name = "Someone Else"
    user.save()
    make_user("newcomer", password=False)

    assert heard == []


def test_a_second_save_after_a_change_is_silent(member, heard):
    user = User.objects.get(pk=member.pk)
    user.login = "renamed"
    user.save()
    user.save()

    assert heard == [(member.pk, frozenset({"login"}))]


def test_a_rehash_of_the_same_password_is_silent(member, heard, settings):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "tests.hashers.FastArgon2PasswordHasher",
    ]
    user = User.objects.get(pk=member.pk)

    assert user.check_password(member.raw_password)  # upgrades the hash to PBKDF2 and saves

    assert User.objects.get(pk=member.pk).password.startswith("pbkdf2_sha256$")
    assert heard == []

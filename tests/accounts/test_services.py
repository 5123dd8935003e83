"""Account services: creation rules, passwords, activation and the first-start accounts."""

from __future__ import annotations

import pytest

from tokenward.accounts import services
from tokenward.accounts.models import User
from tokenward.accounts.policy import check_api_access
from tokenward.errors import AccessDeniedError

pytestmark = pytest.mark.django_db


def test_api_token_permission_defaults_by_role():
    assert services.create_user("a", role="administrator").can_use_api_tokens
    assert services.create_user("u").can_use_api_tokens
    assert not services.create_user("r", role="requester").can_use_api_tokens
    assert not services.create_user("n", can_use_api_tokens=False).can_use_api_tokens


@pytest.mark.parametrize("login", ["", "with space", "co:lon", "x" * 151])
def test_bad_logins_are_refused(login):
    with pytest.raises(services.AccountError):
        services.create_user(login)
    assert not User.objects.exists()


def test_bad_role_email_and_duplicate_are_refused():
    services.create_user("taken")
    with pytest.raises(services.AccountError, match="role"):
        services.create_user("x", role="overlord")
    with pytest.raises(services.AccountError, match="e-mail"):
        services.create_user("y", email="not-an-address")
    with pytest.raises(services.AccountError, match="already taken"):
        services.create_user("taken")
    assert list(User.objects.values_list("login", flat=True)) == ["taken"]


def test_weak_passwords_are_refused():
    with pytest.raises(services.AccountError):
        services.create_user("weak", password="password")
    assert not User.objects.filter(login="weak").exists()


def test_sso_accounts_have_no_local_password():
    user = services.create_user("sso", account_type="sso")

    assert not user.has_usable_password()
    with pytest.raises(services.AccountError):
        services.set_password(user, "a-long-good-password-1")


def test_first_start_creates_admin_and_system_once():
    first = services.ensure_bootstrap_accounts(None)
    second = services.ensure_bootstrap_accounts(None)

    assert first.created_admin and first.created_system
    assert first.admin_password and first.admin_password != "admin"
    assert User.objects.get(login="admin").check_password(first.admin_password)
    assert second == services.Bootstrap(False, False, None)
    system = User.objects.get(is_system=True)
    assert system.login == "System"
    assert system.is_administrator
    assert not system.has_usable_password()


def test_given_admin_password_is_used_and_not_returned():
    boot = services.ensure_bootstrap_accounts("given-admin-password-1")

    assert boot.admin_password is None
    assert User.objects.get(login="admin").check_password("given-admin-password-1")


def test_api_access_policy():
    user = services.create_user("u")
    check_api_access(user)
    for change, code in [
        ({"is_active": False}, "inactive_user"),
        ({"role": "requester"}, "api_access_denied"),
    ]:
        other = services.create_user(
            f"p{code}", **({"role": change["role"]} if "role" in change else {})
        )
        for field, value in change.items():
            setattr(other, field, value)
        with pytest.raises(AccessDeniedError) as caught:
            check_api_access(other)
        assert caught.value.code == code


def test_system_user_needs_its_password_before_any_api_access():
    services.ensure_bootstrap_accounts("given-admin-password-1")
    system = User.objects.get(is_system=True)
    with pytest.raises(AccessDeniedError) as caught:
        check_api_access(system)
    assert caught.value.code == "password_not_set"

    services.set_password(system, "system-password-for-tests-42")
    check_api_access(system)


def test_system_user_cannot_be_deactivated():
    services.ensure_bootstrap_accounts("given-admin-password-1")
    with pytest.raises(services.AccountError):
        services.set_active(User.objects.get(is_system=True), False)

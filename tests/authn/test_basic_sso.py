"""Basic and single sign-on: no Basic for SSO accounts, nor for the System user without the form."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session

from tests.conftest import basic_header, new_password
from tokenward.accounts import services as accounts
from tokenward.accounts import site
from tokenward.accounts.models import SiteSettings

pytestmark = pytest.mark.django_db

ME = "/api/users/me"
GENERIC = {"detail": "Invalid username or password.", "code": "invalid_credentials"}
BASIC_DISABLED = {
    "detail": "Basic authentication is disabled for the System user while the login form is "
    "disabled for single sign-on; use a token instead.",
    "code": "basic_disabled",
}


@pytest.fixture(params=["configuration", "administrator"])
def form_disabled(request, settings):
    """The login form disabled by the server's configuration, or by an administrator's choice."""
    if request.param == "configuration":
        settings.TOKENWARD = {**settings.TOKENWARD, "LOGIN_FORM_ENABLED": False}
    else:
        SiteSettings.objects.create(pk=1, login_form_enabled=False)
        site.forget_cached()
    return settings


@pytest.fixture
def system(db):
    """The System user, with no usable password yet, as the first start leaves it."""
    accounts.ensure_bootstrap_accounts(new_password())
    return accounts.find_user("System")


def with_password(user):
    user.raw_password = new_password()
    accounts.set_password(user, user.raw_password)
    return user


def get_me(api, login: str, password: str):
    return api.get(ME, HTTP_AUTHORIZATION=basic_header(login, password))


def answer(response) -> tuple[int, dict, str]:
    return response.status_code, response.json(), response.headers["WWW-Authenticate"]


@pytest.mark.parametrize("login_form_enabled", [True, False])
def test_sso_account_gets_the_same_answer_as_a_wrong_password(
    api, settings, make_user, member, login_form_enabled
):
    settings.TOKENWARD = {**settings.TOKENWARD, "LOGIN_FORM_ENABLED": login_form_enabled}
    sso = make_user("alice", account_type="sso", password=None)

    refused = get_me(api, sso.login, "any-password-at-all")
    wrong = get_me(api, member.login, "not-the-password")

    assert refused.json() == GENERIC
    assert answer(refused) == answer(wrong)
    assert refused.content == wrong.content
    assert not Session.objects.exists()


def test_sso_account_costs_a_password_hash_like_a_wrong_password(api, make_user, monkeypatch):
    from django.contrib.auth import hashers

    sso = make_user("alice", account_type="sso", password=None)
    calls = []
    real = hashers.Argon2PasswordHasher.encode
    monkeypatch.setattr(
        hashers.Argon2PasswordHasher,
        "encode",
        lambda self, *a, **kw: calls.append(1) or real(self, *a, **kw),
    )

    response = get_me(api, sso.login, "any-password-at-all")

    assert response.status_code == 401
    assert calls, "an account without a usable password must still run the password hasher"


def test_system_user_basic_with_the_form_disabled_is_refused_after_the_password(
    api, form_disabled, system
):
    with_password(system)

    response = get_me(api, "System", system.raw_password)

    assert response.status_code == 401
    assert response.json() == BASIC_DISABLED
    assert "Bearer" in response.headers["WWW-Authenticate"]  # the schemes to use instead
    assert system.raw_password.encode() not in response.content
    assert not Session.objects.exists()


def test_system_user_basic_with_the_form_disabled_and_a_wrong_password_is_generic(
    api, form_disabled, system, member
):
    with_password(system)

    refused = get_me(api, "System", "not-the-password")
    wrong = get_me(api, member.login, "not-the-password")

    assert refused.json() == GENERIC
    assert answer(refused) == answer(wrong)


def test_system_user_basic_without_a_password_says_it_is_not_set(api, form_disabled, system):
    response = get_me(api, "System", "any-password-at-all")

    assert response.status_code == 401
    assert response.json() == {
        "detail": "The System user's password is not set; an administrator must set it first.",
        "code": "password_not_set",
    }


def test_system_user_basic_with_the_form_enabled_works_once_its_password_is_set(
    api, system, make_token
):
    token = make_token(system)
    # Before: Basic and the token both say what is missing (Targetprocess's FAQ).
    before = get_me(api, "System", "any-password-at-all")
    token_before = api.get(ME, HTTP_AUTHORIZATION=f"Bearer {token.plaintext}")
    assert (before.status_code, before.json()["code"]) == (401, "password_not_set")
    assert token_before.status_code == 401
    assert token_before.json()["code"] == "password_not_set"

    with_password(system)
    response = get_me(api, "System", system.raw_password)

    assert response.status_code == 200
    assert response.json()["login"] == "System"
    assert response.json()["auth_method"] == "basic"


def test_other_users_basic_keeps_working_with_the_form_disabled(
    api, form_disabled, member, admin, system
):
    with_password(system)

    for user in (member, admin):
        response = get_me(api, user.login, user.raw_password)

        assert response.status_code == 200, user.login
        assert response.json()["login"] == user.login
        assert response.json()["auth_method"] == "basic"


def test_system_users_personal_token_works_with_the_form_disabled(
    api, form_disabled, system, make_token
):
    with_password(system)
    token = make_token(system)

    response = api.get(ME, HTTP_AUTHORIZATION=f"Bearer {token.plaintext}")

    assert response.status_code == 200
    assert response.json()["login"] == "System"
    assert get_me(api, "System", system.raw_password).json() == BASIC_DISABLED

"""The old cookie of an account that was deactivated: no page, the administration pages
included, lets it do anything, however the account was deactivated."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.conftest import basic_header, new_password
from tests.web.conftest import STEP_UP, csrf_token, submit_login
from tokenward.accounts.models import User
from tokenward.audit.models import AuditEvent
from tokenward.tokens.models import PersonalAccessToken

pytestmark = pytest.mark.django_db

USERS = "/admin/users/"
TOKENS = "/profile/tokens/"


def post(client: Client, path: str, data: dict):
    return client.post(path, {**data, "csrfmiddlewaretoken": csrf_token(client)})


def assert_sent_to_log_in(response) -> None:
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


@pytest.fixture
def chief(make_user):
    """Another active administrator: the one who deactivates, and not the last one."""
    return make_user("chief", role="administrator")


@pytest.fixture(params=["by_an_administrator", "behind_the_services"])
def deactivate(request, chief):
    """Deactivate an account: through the API, or by a bare save (a shell, a script, a bug)."""

    def run(user: User) -> None:
        if request.param == "by_an_administrator":
            client = Client()
            response = client.patch(
                f"/api/users/{user.pk}",
                json.dumps({"is_active": False}),
                content_type="application/json",
                headers={"Authorization": basic_header(chief.login, chief.raw_password)},
            )
            assert response.status_code == 200
        else:
            User.objects.filter(pk=user.pk).update(is_active=False)

    return run


@pytest.fixture
def as_admin(browser, admin) -> Client:
    assert submit_login(browser, admin.login, admin.raw_password).status_code == 302
    return browser


def test_deactivated_admins_old_cookie_cannot_create_an_administrator(as_admin, admin, deactivate):
    deactivate(admin)
    events = AuditEvent.objects.count()

    response = post(
        as_admin,
        USERS,
        {"login": "sleeper", "role": "administrator", "account_type": "local"},
    )

    assert_sent_to_log_in(response)
    assert not User.objects.filter(login="sleeper").exists()
    assert AuditEvent.objects.count() == events


def test_deactivated_admins_old_cookie_cannot_set_a_password(as_admin, admin, member, deactivate):
    deactivate(admin)
    password = new_password()
    events = AuditEvent.objects.count()

    response = post(
        as_admin,
        f"/admin/users/{member.pk}/",
        {"form": "password", "password": password, "confirmation": password},
    )

    assert_sent_to_log_in(response)
    member.refresh_from_db()
    assert member.check_password(member.raw_password) and not member.check_password(password)
    assert AuditEvent.objects.count() == events


def test_deactivated_admins_old_cookie_cannot_reactivate_itself(as_admin, admin, deactivate):
    deactivate(admin)
    events = AuditEvent.objects.count()

    response = post(
        as_admin,
        f"/admin/users/{admin.pk}/",
        {"form": "account", "role": "administrator", "account_type": "local", "is_active": "on"},
    )

    assert_sent_to_log_in(response)
    admin.refresh_from_db()
    assert admin.is_active is False
    assert AuditEvent.objects.count() == events


def test_deactivated_users_old_cookie_cannot_pass_step_up(logged_in, member, deactivate):
    deactivate(member)
    events = AuditEvent.objects.count()

    response = post(logged_in, STEP_UP, {"password": member.raw_password, "next": TOKENS})

    assert_sent_to_log_in(response)
    assert_sent_to_log_in(logged_in.get(TOKENS))
    assert AuditEvent.objects.count() == events


def test_deactivated_users_old_cookie_cannot_create_a_token_on_the_page(
    stepped_up, member, deactivate
):
    deactivate(member)

    response = post(stepped_up, TOKENS, {"name": "kept", "scopes": ["read"], "expiry": "30"})

    assert_sent_to_log_in(response)
    assert not PersonalAccessToken.objects.exists()
    assert not AuditEvent.objects.filter(credential_kind="personal_token").exists()


def test_deactivated_users_old_cookie_cannot_create_a_token_through_the_api(
    stepped_up, member, deactivate
):
    deactivate(member)

    response = stepped_up.post(
        "/api/personal-tokens",
        json.dumps({"name": "kept", "scopes": ["read"]}),
        content_type="application/json",
        headers={"X-CSRFToken": csrf_token(stepped_up)},
    )

    assert response.status_code == 401
    assert response["WWW-Authenticate"]
    assert response.json() == {"detail": "This account is inactive.", "code": "inactive_user"}
    assert "_auth_user_id" not in stepped_up.session  # the session itself has ended
    assert not PersonalAccessToken.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/profile/",
        TOKENS,
        STEP_UP,
        "/profile/tokens/revoke-all/",
        "/auth/offline-token",
        "/oauth/applications/",
        "/oauth/authorize/?response_type=code&client_id=any",
        USERS,
        "/admin/settings/",
        "/admin/audit/",
    ],
)
def test_every_page_sends_a_deactivated_admins_old_cookie_to_log_in(as_admin, admin, path):
    User.objects.filter(pk=admin.pk).update(is_active=False)

    assert_sent_to_log_in(as_admin.get(path))


def test_a_deactivated_account_is_still_refused_at_the_login_form(browser, member):
    User.objects.filter(pk=member.pk).update(is_active=False)

    response = submit_login(browser, member.login, member.raw_password)

    assert response.status_code == 200
    assert "_auth_user_id" not in browser.session

"""Web sessions of accounts that lose their rights end at once, through every door, for good.

Deactivating an account, making it a Requester or switching it to single sign-on (on the
administration page, in the API, or with ``tokenward user deactivate``) ends every web
session it holds; the administrator's own session is untouched; nothing revives them.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.contrib.auth.base_user import AbstractBaseUser
from django.test import Client

from tests.conftest import basic_header
from tests.web.conftest import csrf_token, step_up, submit_login
from tokenward.accounts import services as accounts
from tokenward.accounts.models import User
from tokenward.audit.models import AuditEvent
from tokenward.audit.services import CLI, ClientInfo
from tokenward.cli import main
from tokenward.tokens.models import PersonalAccessToken

pytestmark = pytest.mark.django_db

TOKENS = "/profile/tokens/"
# change: (the fields it sets, the reason its audit event gives)
CHANGES = {
    "deactivate": ({"is_active": False}, "deactivated"),
    "requester": ({"role": "requester"}, "requester"),
    "sso": ({"account_type": "sso"}, "sso"),
}


def post(client: Client, path: str, data: dict):
    return client.post(path, {**data, "csrfmiddlewaretoken": csrf_token(client)})


def browser_of(user: User) -> Client:
    """A browser in which ``user`` logged in through the form and confirmed the password."""
    browser = Client(enforce_csrf_checks=True)
    assert submit_login(browser, user.login, user.raw_password).status_code == 302
    assert step_up(browser, user.raw_password).status_code == 302
    return browser


@pytest.fixture
def as_admin(admin) -> Client:
    return browser_of(admin)


def on_the_page(as_admin: Client, admin: User, user: User, fields: dict) -> None:
    data = {
        "form": "account",
        "role": user.role,
        "account_type": user.account_type,
        "can_use_api_tokens": "on",
        **({"is_active": "on"} if user.is_active else {}),
    }
    for name, value in fields.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = "on" if value is True else value
    response = post(as_admin, f"/admin/users/{user.pk}/", data)
    assert response.status_code == 302, response.content.decode()


def in_the_api(as_admin: Client, admin: User, user: User, fields: dict) -> None:
    response = Client().patch(
        f"/api/users/{user.pk}",
        json.dumps(fields),
        content_type="application/json",
        headers={"Authorization": basic_header(admin.login, admin.raw_password)},
    )
    assert response.status_code == 200, response.content.decode()


def on_the_command_line(as_admin: Client, admin: User, user: User, fields: dict) -> None:
    assert fields == {"is_active": False}  # the command line only deactivates
    assert main(["user", "deactivate", user.login]) == 0


Door = Callable[[Client, User, User, dict], None]
# door: (how it changes an account, the audit's method, whether the administrator is named)
DOORS: dict[str, tuple[Door, str, bool]] = {
    "page": (on_the_page, "web", True),
    "api": (in_the_api, "api", True),
    "cli": (on_the_command_line, CLI.method, False),
}
TABLE = [
    pytest.param(door, change, id=f"{door}-{change}")
    for door in DOORS
    for change in CHANGES
    if door != "cli" or change == "deactivate"
]


def assert_session_ended(browser: Client, member: User) -> None:
    """The old cookie opens no page, creates nothing and is refused by the API."""
    page = browser.get("/profile/")
    created = post(browser, TOKENS, {"name": "kept", "scopes": ["read"], "expiry": "30"})
    api = browser.get("/api/users/me")

    assert (page.status_code, page["Location"]) == (302, "/login/?next=/profile/")
    assert (created.status_code, created["Location"]) == (302, f"/login/?next={TOKENS}")
    assert not PersonalAccessToken.objects.filter(owner=member).exists()
    assert api.status_code == 401
    assert api.json() == {
        "detail": "Authentication credentials were not provided.",
        "code": "not_authenticated",
    }


@pytest.mark.parametrize(("door", "change"), TABLE)
def test_losing_rights_ends_every_web_session_at_once(as_admin, admin, member, door, change):
    fields, reason = CHANGES[change]
    change_through, method, names_admin = DOORS[door]
    first, second = browser_of(member), browser_of(member)
    assert first.get("/profile/").status_code == 200

    change_through(as_admin, admin, User.objects.get(pk=member.pk), fields)

    assert_session_ended(first, member)
    assert_session_ended(second, member)
    ended = AuditEvent.objects.get(credential_kind="web_session")
    assert (ended.action, ended.subject, ended.reason, ended.method) == (
        "revoked",
        member,
        reason,
        method,
    )
    assert ended.actor == (admin if names_admin else None)
    (field,) = fields
    assert AuditEvent.objects.filter(
        action="changed", credential_kind="account", subject=member, reason=field
    ).exists()
    assert as_admin.get("/admin/users/").status_code == 200  # the administrator's own session


@pytest.mark.parametrize("change", CHANGES)
def test_changing_back_does_not_revive_an_ended_session(as_admin, admin, member, change):
    fields, _ = CHANGES[change]
    browser = browser_of(member)
    before = {name: getattr(member, name) for name in fields}
    client = ClientInfo(method="web")
    accounts.update_account(member, fields, by=admin, client=client)

    accounts.update_account(member, before, by=admin, client=client)

    assert_session_ended(browser, member)
    assert browser_of(member).get("/profile/").status_code == 200  # a new log-in works


def test_reactivating_on_the_command_line_does_not_revive_an_ended_session(member):
    browser = browser_of(member)
    assert main(["user", "deactivate", member.login]) == 0

    assert main(["user", "activate", member.login]) == 0

    assert_session_ended(browser, member)
    assert AuditEvent.objects.filter(credential_kind="web_session").count() == 1


def test_a_change_made_by_another_process_ends_the_session(member, admin):
    """The session store and the account row are shared; no process remembers a session."""
    browser = browser_of(member)
    elsewhere = User.objects.get(pk=member.pk)  # another worker's copy of the account

    accounts.update_account(elsewhere, {"role": "requester"}, by=admin, client=CLI)

    assert_session_ended(browser, member)


def test_an_administrator_who_makes_themselves_a_requester_ends_their_own_session(
    as_admin, admin, make_user
):
    make_user("chief", role="administrator")  # not the last administrator

    on_the_page(as_admin, admin, admin, {"role": "requester"})

    response = as_admin.get("/admin/users/")
    assert (response.status_code, response["Location"]) == (302, "/login/?next=/admin/users/")


@pytest.mark.parametrize(
    "fields",
    [{"can_use_api_tokens": False}, {"role": "administrator"}],
    ids=["api-permission", "promotion"],
)
def test_changes_that_take_no_sign_in_right_away_leave_sessions_alone(admin, member, fields):
    browser = browser_of(member)

    accounts.update_account(member, fields, by=admin, client=CLI)

    assert browser.get("/profile/").status_code == 200
    assert not AuditEvent.objects.filter(credential_kind="web_session").exists()


def test_a_refused_change_ends_no_session(admin, member):
    browser = browser_of(admin)

    with pytest.raises(accounts.AccountFieldError):
        accounts.update_account(admin, {"is_active": False}, by=admin, client=CLI)

    admin.refresh_from_db()
    assert (admin.is_active, admin.session_epoch) == (True, 0)
    assert browser.get("/admin/users/").status_code == 200
    assert not AuditEvent.objects.filter(credential_kind="web_session").exists()


def test_sessions_made_before_epochs_existed_stay_valid(member):
    """Epoch 0 gives Django's own session hash: upgrading logs nobody out."""
    assert member.session_epoch == 0
    assert member.get_session_auth_hash() == AbstractBaseUser.get_session_auth_hash(member)

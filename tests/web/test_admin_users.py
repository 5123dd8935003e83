"""The administration pages for users: who reaches them, and what they change."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import basic_header, new_password
from tests.web.conftest import csrf_token, lapse_confirmation, step_up, submit_login
from tokenward.accounts import services as accounts
from tokenward.accounts.models import User
from tokenward.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

USERS = "/admin/users/"


@pytest.fixture
def as_admin(browser, admin) -> Client:
    assert submit_login(browser, admin.login, admin.raw_password).status_code == 302
    return browser


@pytest.fixture
def system(db):
    accounts.ensure_bootstrap_accounts(new_password())
    return accounts.find_user("System")


def page(user: User) -> str:
    return f"/admin/users/{user.pk}/"


def post(client: Client, path: str, data: dict):
    return client.post(path, {**data, "csrfmiddlewaretoken": csrf_token(client)})


def account_data(user: User, **changes) -> dict:
    data = {
        "form": "account",
        "role": user.role,
        "account_type": user.account_type,
        **({"is_active": "on"} if user.is_active else {}),
        **({"can_use_api_tokens": "on"} if user.can_use_api_tokens else {}),
    }
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = "on" if value is True else value
    return data


@pytest.mark.parametrize("path", [USERS, "/admin/users/1/", "/admin/settings/", "/admin/audit/"])
def test_anonymous_visitors_are_sent_to_the_login_page(browser, path):
    response = browser.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.parametrize("path", [USERS, "/admin/settings/", "/admin/audit/"])
def test_non_administrators_are_refused(logged_in, member, path):
    response = logged_in.get(path)
    refused_post = post(logged_in, USERS, {"login": "intruder"})

    assert response.status_code == 403
    assert "Only administrators" in response.content.decode()
    assert "max-age=0" in response["Cache-Control"]
    assert refused_post.status_code == 403
    assert not User.objects.filter(login="intruder").exists()


def test_users_page_lists_every_account_with_its_access(as_admin, admin, member, requester, system):
    response = as_admin.get(USERS)

    html = response.content.decode()
    assert response.status_code == 200
    assert "max-age=0" in response["Cache-Control"]
    for user in (admin, member, requester, system):
        assert f'href="/admin/users/{user.pk}/"' in html
    assert "Requester" in html and "Not allowed" in html
    assert '<span class="badge">System</span>' in html
    assert 'aria-current="page">Users<' in html


def test_users_page_searches_by_login(as_admin, member, outsider):
    html = as_admin.get(USERS, {"q": "WHI"}).content.decode()

    assert member.login in html
    assert outsider.login not in html


def test_changing_role_activation_permission_and_sign_in_writes_the_row(as_admin, admin, member):
    data = account_data(
        member, role="requester", is_active=False, can_use_api_tokens=False, account_type="sso"
    )

    response = post(as_admin, page(member), data)

    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.role, member.is_active, member.can_use_api_tokens, member.account_type) == (
        "requester",
        False,
        False,
        "sso",
    )
    events = AuditEvent.objects.filter(subject=member, action="changed", actor=admin)
    assert sorted(events.values_list("reason", flat=True)) == [
        "account_type",
        "can_use_api_tokens",
        "is_active",
        "role",
    ]
    assert "Saved:" in as_admin.get(page(member)).content.decode()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"role": "user"}, "The System user is an administrator."),
        ({"is_active": False}, "The System user cannot be deactivated."),
        ({"account_type": "sso"}, "The System user keeps a local password."),
    ],
)
def test_what_the_api_refuses_for_the_system_user_the_page_refuses(
    as_admin, as_basic, admin, system, changes, message
):
    response = post(as_admin, page(system), account_data(system, **changes))
    api = as_basic(admin).patch(
        f"/api/users/{system.pk}",
        {name: value for name, value in changes.items()},
        format="json",
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert api.status_code == 400
    assert message in str(api.json())
    system.refresh_from_db()
    assert (system.role, system.is_active, system.account_type) == ("administrator", True, "local")
    assert not AuditEvent.objects.filter(action="changed").exists()


@pytest.mark.parametrize("changes", [{"role": "user"}, {"is_active": False}])
def test_the_last_administrator_cannot_demote_or_deactivate_themselves(as_admin, admin, changes):
    response = post(as_admin, page(admin), account_data(admin, **changes))

    assert response.status_code == 400
    assert "last active administrator" in response.content.decode()
    admin.refresh_from_db()
    assert admin.is_administrator and admin.is_active


def test_an_administrator_may_step_down_when_another_remains(as_admin, admin, make_user):
    make_user("deputy", role="administrator")

    response = post(as_admin, page(admin), account_data(admin, role="user"))

    assert response.status_code == 302
    admin.refresh_from_db()
    assert admin.role == "user"
    assert as_admin.get(USERS).status_code == 403


def test_an_invalid_choice_is_refused_and_nothing_is_written(as_admin, member):
    response = post(as_admin, page(member), account_data(member, role="overlord"))

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    member.refresh_from_db()
    assert member.role == "user"


def test_setting_the_system_password_opens_basic_and_the_old_one_fails(as_admin, api, system):
    first, second = new_password(), new_password()
    assert (
        post(
            as_admin, page(system), {"form": "password", "password": first, "confirmation": first}
        ).status_code
        == 302
    )
    assert (
        api.get("/api/users/me", HTTP_AUTHORIZATION=basic_header("System", first)).status_code
        == 200
    )

    response = post(
        as_admin, page(system), {"form": "password", "password": second, "confirmation": second}
    )

    assert response.status_code == 302
    me = api.get("/api/users/me", HTTP_AUTHORIZATION=basic_header("System", second))
    assert me.status_code == 200
    assert me.json()["login"] == "System"
    old = api.get("/api/users/me", HTTP_AUTHORIZATION=basic_header("System", first))
    assert old.status_code == 401
    event = AuditEvent.objects.filter(credential_kind="password", subject=system).first()
    assert event is not None and event.reason == "set_by_administrator"
    page_html = as_admin.get(page(system)).content.decode()
    assert second not in page_html and first not in page_html


def test_a_weak_or_mismatched_password_is_refused(as_admin, member):
    weak = post(
        as_admin, page(member), {"form": "password", "password": "123", "confirmation": "123"}
    )
    strong = new_password()
    differ = post(
        as_admin,
        page(member),
        {"form": "password", "password": strong, "confirmation": strong + "x"},
    )

    assert weak.status_code == 400
    assert "too short" in weak.content.decode()
    assert "123" not in weak.content.decode().split("csrfmiddlewaretoken")[-1].split("value=")[0]
    assert differ.status_code == 400
    assert "The two passwords differ." in differ.content.decode()
    member.refresh_from_db()
    assert member.check_password(member.raw_password)


def test_a_single_sign_on_account_has_no_password_to_set(as_admin, make_user):
    sso = make_user("alice", account_type="sso", password=None)
    password = new_password()

    shown = as_admin.get(page(sso)).content.decode()
    response = post(
        as_admin, page(sso), {"form": "password", "password": password, "confirmation": password}
    )

    assert "it has no local password to set" in shown
    assert 'name="confirmation"' not in shown
    assert response.status_code == 400
    assert "Single-sign-on accounts have no local password." in response.content.decode()
    sso.refresh_from_db()
    assert not sso.has_usable_password()


def test_an_administrator_setting_another_users_password_ends_their_sessions(
    as_admin, member, make_user
):
    theirs = Client(enforce_csrf_checks=True)
    assert submit_login(theirs, member.login, member.raw_password).status_code == 302
    password = new_password()

    post(
        as_admin, page(member), {"form": "password", "password": password, "confirmation": password}
    )

    assert theirs.get("/profile/").status_code == 302
    assert as_admin.get(USERS).status_code == 200


@pytest.mark.parametrize("whose", ["own", "another user's", "the System user's"])
def test_an_unattended_administrator_session_cannot_set_a_password(
    as_admin, admin, member, system, whose
):
    account = {"own": admin, "another user's": member, "the System user's": system}[whose]
    lapse_confirmation(as_admin)  # logged in long ago; the password not confirmed since
    before = account.password
    password = new_password()

    response = post(
        as_admin,
        page(account),
        {
            "form": "password",
            "password": password,
            "confirmation": password,
            "current_password": admin.raw_password,
        },
    )

    assert response.status_code == 403
    body = response.content.decode()
    assert "Confirm your password, then do it again: nothing was changed." in body
    assert f'value="{page(account)}"' in body and password not in body
    account.refresh_from_db()
    assert account.password == before
    assert not AuditEvent.objects.filter(credential_kind="password", action="changed").exists()
    assert not AuditEvent.objects.filter(reason="set_by_administrator").exists()


def test_the_password_form_works_again_after_confirming(as_admin, admin, member):
    lapse_confirmation(as_admin)
    assert step_up(as_admin, admin.raw_password, next_url=page(member)).status_code == 302
    password = new_password()

    response = post(
        as_admin, page(member), {"form": "password", "password": password, "confirmation": password}
    )

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.check_password(password)


def test_setting_your_own_password_asks_for_the_current_one(as_admin, admin, member):
    own = as_admin.get(page(admin)).content.decode()
    theirs = as_admin.get(page(member)).content.decode()
    password = new_password()
    data = {"form": "password", "password": password, "confirmation": password}

    missing = post(as_admin, page(admin), data)
    wrong = post(as_admin, page(admin), {**data, "current_password": "not-the-password"})

    assert 'name="current_password"' in own and 'autocomplete="current-password"' in own
    assert 'name="current_password"' not in theirs
    assert missing.status_code == 400 and wrong.status_code == 400
    assert "That password is not correct." in wrong.content.decode()
    assert "not-the-password" not in wrong.content.decode()
    admin.refresh_from_db()
    assert admin.check_password(admin.raw_password)
    [failed] = AuditEvent.objects.filter(action="failed")
    assert (failed.subject, failed.reason, failed.method) == (admin, "wrong_password", "step_up")
    assert not AuditEvent.objects.filter(reason="set_by_administrator").exists()

    right = post(as_admin, page(admin), {**data, "current_password": admin.raw_password})

    assert right.status_code == 302
    admin.refresh_from_db()
    assert admin.check_password(password)
    assert as_admin.get(USERS).status_code == 200  # this session stays


def test_a_post_without_a_csrf_token_is_refused(as_admin, member):
    response = as_admin.post(page(member), account_data(member, role="administrator"))

    assert response.status_code == 403
    member.refresh_from_db()
    assert member.role == "user"


def test_creating_a_user(as_admin, admin):
    password = new_password()
    response = post(
        as_admin,
        USERS,
        {
            "login": "newbie",
            "full_name": "New Bie",
            "email": "n@example.com",
            "role": "user",
            "account_type": "local",
            "password": password,
        },
    )

    created = User.objects.get(login="newbie")
    assert response.status_code == 302
    assert response["Location"] == page(created)
    assert created.check_password(password)
    assert AuditEvent.objects.filter(subject=created, actor=admin, reason="created").exists()


def test_creating_a_user_with_a_taken_login_shows_the_form_again(as_admin, member):
    response = post(
        as_admin, USERS, {"login": member.login, "role": "user", "account_type": "local"}
    )

    assert response.status_code == 400
    assert "is already taken" in response.content.decode()
    assert User.objects.filter(login=member.login).count() == 1


@pytest.mark.parametrize(
    "login", ["MWhite", "\uff2d\uff37\uff28\uff29\uff34\uff25", "mwhite\u200b"]
)
def test_creating_a_lookalike_of_a_login_on_the_page_is_refused_naming_the_clash(
    as_admin, member, login
):
    response = post(as_admin, USERS, {"login": login, "role": "user", "account_type": "local"})

    assert response.status_code == 400
    page_text = response.content.decode()
    if login.endswith("\u200b"):
        assert "A login cannot hold invisible or formatting characters such as U+200B." in page_text
    else:
        assert (
            f"The login &#x27;{login}&#x27; looks like the existing login &#x27;mwhite&#x27;"
            in page_text
        )
    assert sorted(User.objects.values_list("login", flat=True)) == ["boss", "mwhite"]
    assert not AuditEvent.objects.filter(reason="created").exists()


def test_an_unknown_user_is_not_found(as_admin):
    assert as_admin.get("/admin/users/999999/").status_code == 404

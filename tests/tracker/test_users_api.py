"""The canonical users API: every API user reads, administrators manage, and "me"."""

from __future__ import annotations

import pytest

from tests.conftest import basic_header
from tokenward.accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def system(db):
    from tokenward.accounts.services import ensure_bootstrap_accounts

    ensure_bootstrap_accounts("throwaway-admin-pw-1")
    return User.objects.get(is_system=True)


def test_anonymous_cannot_list_users(api, member):
    response = api.get("/api/users/")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_users_list_their_fellow_users(as_basic, member, admin):
    response = as_basic(member).get("/api/users/")

    assert response.status_code == 200
    logins = sorted(u["login"] for u in response.json())
    assert logins == ["boss", "mwhite"]
    assert "password" not in response.json()[0]


def test_me_describes_the_caller_and_honours_fields(as_basic, member):
    response = as_basic(member).get("/api/users/me?fields=login,name,role,auth_method")

    assert response.status_code == 200
    assert response.json() == {
        "login": "mwhite",
        "name": "Mary White",
        "role": "user",
        "auth_method": "basic",
    }


def test_administrator_creates_a_user(as_basic, admin):
    response = as_basic(admin).post(
        "/api/users/",
        {"login": "newbie", "email": "n@example.com", "role": "requester"},
        format="json",
    )

    assert response.status_code == 201
    user = User.objects.get(login="newbie")
    assert user.role == "requester"
    assert user.can_use_api_tokens is False
    assert not user.has_usable_password()


def test_user_cannot_create_users(as_basic, member):
    response = as_basic(member).post("/api/users/", {"login": "sneaky"}, format="json")

    assert response.status_code == 403
    assert not User.objects.filter(login="sneaky").exists()


def test_duplicate_login_is_400(as_basic, admin, member):
    response = as_basic(admin).post("/api/users/", {"login": "mwhite"}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert User.objects.filter(login="mwhite").count() == 1


def test_administrator_deactivates_a_user_and_their_basic_stops_working(as_basic, admin, member):
    response = as_basic(admin).patch(f"/api/users/{member.id}", {"is_active": False}, format="json")

    assert response.status_code == 200
    assert as_basic(member).get("/api/users/me").status_code == 401


def test_system_user_cannot_be_deactivated_or_demoted(as_basic, admin, system):
    url = f"/api/users/{system.id}"

    assert as_basic(admin).patch(url, {"is_active": False}, format="json").status_code == 400
    assert as_basic(admin).patch(url, {"role": "user"}, format="json").status_code == 400
    system.refresh_from_db()
    assert system.is_active and system.role == "administrator"


def test_system_user_basic_works_only_once_its_password_is_set(api, as_basic, admin, system):
    new_password = "system-password-for-tests-42"
    header = basic_header("System", new_password)
    assert api.get("/api/users/me", HTTP_AUTHORIZATION=header).status_code == 401

    response = as_basic(admin).post(
        f"/api/users/{system.id}/password", {"password": new_password}, format="json"
    )

    assert response.status_code == 204
    me = api.get("/api/users/me", HTTP_AUTHORIZATION=header)
    assert me.status_code == 200
    assert me.json()["is_system"] is True


def test_weak_password_is_refused(as_basic, admin, member):
    response = as_basic(admin).post(
        f"/api/users/{member.id}/password", {"password": "123"}, format="json"
    )

    assert response.status_code == 400
    assert "password" in response.json()["errors"]
    assert as_basic(member).get("/api/users/me").status_code == 200


def test_users_cannot_set_passwords(as_basic, member, admin):
    response = as_basic(member).post(
        f"/api/users/{admin.id}/password", {"password": "taken-over-123456"}, format="json"
    )

    assert response.status_code == 403
    assert as_basic(admin).get("/api/users/me").status_code == 200


def test_administrator_creates_an_inactive_user(as_basic, admin):
    response = as_basic(admin).post(
        "/api/users/", {"login": "dormant", "is_active": False}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["is_active"] is False
    assert User.objects.get(login="dormant").is_active is False


@pytest.mark.parametrize("login", ["has:colon", "has space", ""])
def test_logins_basic_cannot_carry_are_refused_on_create_and_change(as_basic, admin, member, login):
    created = as_basic(admin).post("/api/users/", {"login": login}, format="json")
    changed = as_basic(admin).patch(f"/api/users/{member.id}", {"login": login}, format="json")

    assert created.status_code == 400
    assert "login" in created.json()["errors"]
    assert changed.status_code == 400
    member.refresh_from_db()
    assert member.login == "mwhite"
    assert User.objects.count() == 2


def lookalike_error(login: str, existing: str) -> dict:
    return {
        "detail": "The request is invalid; see errors.",
        "code": "invalid",
        "errors": {
            "login": [
                f"The login {login!r} looks like the existing login {existing!r}: logins must "
                "differ by more than letter case or character width."
            ]
        },
    }


@pytest.mark.parametrize("login", ["MWHITE", "MWhite", "\uff2d\uff37\uff28\uff29\uff34\uff25"])
def test_creating_a_lookalike_of_mwhite_is_400_naming_mwhite(as_basic, admin, member, login):
    response = as_basic(admin).post("/api/users/", {"login": login}, format="json")

    assert response.status_code == 400
    assert response.json() == lookalike_error(login, "mwhite")
    assert sorted(User.objects.values_list("login", flat=True)) == ["boss", "mwhite"]


@pytest.mark.parametrize("char", ["\u200b", "\u202e", "\u2060", "\ufeff"])
def test_creating_mwhite_with_an_invisible_character_is_400(as_basic, admin, member, char):
    response = as_basic(admin).post("/api/users/", {"login": f"mwhite{char}"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "login": [
            f"A login cannot hold invisible or formatting characters such as U+{ord(char):04X}."
        ]
    }
    assert User.objects.count() == 2


def test_renaming_a_user_to_a_lookalike_of_another_is_400(as_basic, admin, member, outsider):
    response = as_basic(admin).patch(
        f"/api/users/{outsider.id}", {"login": "MWhite", "full_name": "Not Mary"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == lookalike_error("MWhite", "mwhite")
    outsider.refresh_from_db()
    assert (outsider.login, outsider.full_name) == ("stranger", "Some Stranger")


def test_a_user_may_be_renamed_to_another_case_of_their_own_login(as_basic, admin, member):
    response = as_basic(admin).patch(f"/api/users/{member.id}", {"login": "MWhite"}, format="json")

    assert response.status_code == 200
    assert response.json()["login"] == "MWhite"
    assert User.objects.get(pk=member.id).login == "MWhite"


def test_a_kept_lookalike_can_be_changed_and_renamed_apart(as_basic, admin, member):
    kept = User.objects.create_user("kept")
    User.objects.filter(pk=kept.pk).update(login="MWHITE", login_key=None)  # from before 0004

    changed = as_basic(admin).patch(f"/api/users/{kept.id}", {"full_name": "M"}, format="json")
    renamed = as_basic(admin).patch(f"/api/users/{kept.id}", {"login": "mw2"}, format="json")

    assert (changed.status_code, renamed.status_code) == (200, 200)
    kept.refresh_from_db()
    assert (kept.login, kept.full_name) == ("mw2", "M")
    assert kept.login_key is not None


def arabic_indic(number: int) -> str:
    """Return ``number`` in Arabic-Indic digits, which int() reads as ASCII ones."""
    return "".join(chr(0x0660 + int(digit)) for digit in str(number))


def test_a_user_id_in_arabic_indic_digits_reads_no_user(as_basic, admin):
    response = as_basic(admin).get("/api/users/" + arabic_indic(admin.id))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_user_id_in_arabic_indic_digits_sets_no_password(as_basic, admin):
    url = f"/api/users/{arabic_indic(admin.id)}/password"

    response = as_basic(admin).post(url, {"password": "a-new-long-pass-1"}, format="json")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    admin.refresh_from_db()
    assert admin.check_password(admin.raw_password)

"""Targetprocess ``GET /api/v1/Users/LoggedUser``: who is logged in, their role, and how."""

from __future__ import annotations

import pytest

from tests.compat.conftest import JSON, children, xml_of

pytestmark = pytest.mark.django_db

LOGGED_USER = "/api/v1/Users/LoggedUser"


def test_logged_user_is_xml_by_default_with_the_seed_shape(as_basic, member):
    response = as_basic(member).get(LOGGED_USER)

    assert response.status_code == 200
    root = xml_of(response)
    assert root.tag == "User"
    assert root.attrib == {"ResourceType": "User", "Id": str(member.id)}
    fields = children(root)
    assert list(fields) == [
        "FirstName",
        "LastName",
        "Login",
        "Email",
        "IsActive",
        "IsAdministrator",
        "Role",
        "AuthenticationMethod",
    ]
    assert {tag: el.text for tag, el in fields.items() if tag != "Role"} == {
        "FirstName": "Mary",
        "LastName": "White",
        "Login": "mwhite",
        "Email": "mwhite@example.com",
        "IsActive": "true",
        "IsAdministrator": "false",
        "AuthenticationMethod": "basic",
    }
    assert fields["Role"].attrib == {"ResourceType": "Role", "Id": "2", "Name": "User"}


def test_logged_user_as_json_for_an_administrator(as_basic, admin):
    response = as_basic(admin).get(LOGGED_USER, {"format": "json"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "ResourceType": "User",
        "Id": admin.id,
        "FirstName": "Big",
        "LastName": "Boss",
        "Login": "boss",
        "Email": "boss@example.com",
        "IsActive": True,
        "IsAdministrator": True,
        "Role": {"ResourceType": "Role", "Id": 1, "Name": "Administrator"},
        "AuthenticationMethod": "basic",
    }


def test_logged_user_reports_a_session_cookie_as_the_authentication_method(as_session, member):
    response = as_session(member).get(LOGGED_USER, **JSON)

    assert response.status_code == 200
    assert response.json()["AuthenticationMethod"] == "session"


def test_missing_email_is_nil_and_a_single_word_name_has_an_empty_last_name(as_basic, make_user):
    user = make_user("solo", full_name="Cher")

    response = as_basic(user).get(LOGGED_USER)

    fields = children(xml_of(response))
    assert fields["Email"].attrib == {"nil": "true"}
    assert fields["Email"].text is None
    assert fields["FirstName"].text == "Cher"
    assert fields["LastName"].text is None  # an empty element
    assert as_basic(user).get(LOGGED_USER, **JSON).json()["Email"] is None


def test_name_splits_at_the_first_space_only(as_basic, make_user):
    user = make_user("vdb", full_name="Anna van der Berg")

    body = as_basic(user).get(LOGGED_USER, **JSON).json()

    assert (body["FirstName"], body["LastName"]) == ("Anna", "van der Berg")


@pytest.mark.parametrize(
    "path", ["/api/v1/Users/LoggedUser/", "/api/v1/users/loggeduser", "/API/V1/USERS/LOGGEDUSER"]
)
def test_trailing_slash_and_any_letter_case_reach_the_same_resource(as_basic, member, path):
    response = as_basic(member).get(path, **JSON)

    assert response.status_code == 200
    assert response.json()["Login"] == "mwhite"

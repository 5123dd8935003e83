"""TrialGrid ``GET /api/v2/users/``: the canonical user list under TrialGrid's path."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

USERS = "/api/v2/users/"


def test_user_list_is_the_canonical_list(as_basic, member, admin, outsider):
    client = as_basic(member)

    response = client.get(USERS)

    assert response.status_code == 200
    assert response.json() == client.get("/api/users/").json()
    assert [user["login"] for user in response.json()] == ["mwhite", "boss", "stranger"]
    assert response.json()[0] == {
        "id": member.id,
        "login": "mwhite",
        "name": "Mary White",
        "full_name": "Mary White",
        "email": "mwhite@example.com",
        "role": "user",
        "is_active": True,
        "can_use_api_tokens": True,
        "account_type": "local",
        "is_system": False,
        "date_joined": member.date_joined.isoformat().replace("+00:00", "Z"),
    }


def test_user_list_path_works_without_the_trailing_slash(as_basic, member):
    response = as_basic(member).get("/api/v2/users")

    assert response.status_code == 200
    assert [user["login"] for user in response.json()] == ["mwhite"]


def test_users_cannot_be_created_through_the_alias(as_basic, admin):
    response = as_basic(admin).post(USERS, {"login": "new"}, format="json")

    assert response.status_code == 405

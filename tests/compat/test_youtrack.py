"""YouTrack `/api/admin/projects[/{id}]` with `fields=`, and `fields=` on `/api/users/me`."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

PROJECTS = "/api/admin/projects"
SEED_FIELDS = "id,name,shortName,createdBy(login,name,id),leader(login,name,id)"


def yt_user(user) -> dict:
    return {"$type": "User", "login": user.login, "name": user.name, "id": f"1-{user.id}"}


@pytest.fixture
def lonely(make_project):
    """A private project without leader, creator or members."""
    return make_project(name="Lonely", short_name="LONE")


def test_seed_fields_selector_returns_exactly_the_selected_keys(
    as_basic, member, admin, private_project, public_project
):
    response = as_basic(member).get(PROJECTS, {"fields": SEED_FIELDS})

    assert response.status_code == 200
    boss = {"login": "boss", "name": "Big Boss", "id": f"1-{admin.id}"}
    assert response.json() == [
        {
            "id": f"0-{project.id}",
            "name": project.name,
            "shortName": project.short_name,
            "createdBy": boss,
            "leader": boss,
        }
        for project in (private_project, public_project)
    ]


def test_without_fields_a_project_has_the_full_youtrack_representation(
    as_basic, member, admin, private_project
):
    response = as_basic(member).get(f"{PROJECTS}/0-{private_project.id}")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "$type": "Project",
        "id": f"0-{private_project.id}",
        "name": "Secret Project",
        "shortName": "SEC",
        "leader": yt_user(admin),
        "createdBy": yt_user(admin),
        "archived": False,
    }


def test_type_is_returned_only_when_selected(as_basic, member, private_project):
    response = as_basic(member).get(
        f"{PROJECTS}/0-{private_project.id}", {"fields": "$type,id,leader($type,login)"}
    )

    assert response.json() == {
        "$type": "Project",
        "id": f"0-{private_project.id}",
        "leader": {"$type": "User", "login": "boss"},
    }


def test_project_without_leader_or_creator_has_null_users(as_basic, admin, lonely):
    body = as_basic(admin).get(f"{PROJECTS}/{lonely.id}").json()

    assert (body["leader"], body["createdBy"]) == (None, None)


def test_project_id_is_accepted_with_or_without_the_type_prefix(as_basic, member, private_project):
    client = as_basic(member)

    prefixed = client.get(f"{PROJECTS}/0-{private_project.id}")
    bare = client.get(f"{PROJECTS}/{private_project.id}")

    assert prefixed.status_code == bare.status_code == 200
    assert prefixed.json() == bare.json()


def test_non_member_lists_only_public_projects(as_basic, outsider, private_project, public_project):
    response = as_basic(outsider).get(PROJECTS, {"fields": "id"})

    assert response.json() == [{"id": f"0-{public_project.id}"}]


def test_non_member_reading_a_private_project_is_404_as_a_missing_one(
    as_basic, outsider, private_project
):
    response = as_basic(outsider).get(f"{PROJECTS}/0-{private_project.id}")

    assert response.status_code == 404
    assert response.json() == {"detail": "No Project matches the given query.", "code": "not_found"}


def test_administrator_lists_every_project(
    as_basic, admin, private_project, public_project, lonely
):
    response = as_basic(admin).get(PROJECTS, {"fields": "shortName"})

    assert response.json() == [{"shortName": "SEC"}, {"shortName": "OPEN"}, {"shortName": "LONE"}]


def test_unknown_project_is_404(as_basic, member, db):
    response = as_basic(member).get(f"{PROJECTS}/0-999999999")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_skip_and_top_select_a_slice(as_basic, admin, private_project, public_project, lonely):
    response = as_basic(admin).get(PROJECTS, {"$skip": "1", "$top": "1", "fields": "shortName"})

    assert response.status_code == 200
    assert response.json() == [{"shortName": "OPEN"}]


@pytest.mark.parametrize(("name", "value"), [("$top", "-1"), ("$top", "x"), ("$skip", "-2")])
def test_bad_skip_or_top_is_400(as_basic, admin, name, value):
    response = as_basic(admin).get(PROJECTS, {name: value})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["errors"]) == [name]


def test_malformed_fields_selector_is_400(as_basic, member, private_project):
    response = as_basic(member).get(PROJECTS, {"fields": "id,leader(login"})

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid fields selector. The fields selector has an unclosed '('.",
        "code": "invalid",
    }


def test_projects_are_read_only_here(as_basic, admin, db):
    response = as_basic(admin).post(PROJECTS, {"name": "x", "short_name": "X"}, format="json")

    assert response.status_code == 405


def test_users_me_with_fields_returns_exactly_login_name_and_id(as_basic, member):
    response = as_basic(member).get("/api/users/me", {"fields": "login,name,id"})

    assert response.status_code == 200
    assert response.json() == {"login": "mwhite", "name": "Mary White", "id": member.id}

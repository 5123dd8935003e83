"""The canonical projects API: who reads, who changes, in JSON and XML."""

from __future__ import annotations

import pytest
from defusedxml import ElementTree as ET

from tests.conftest import basic_header
from tokenward.tracker.models import Project

pytestmark = pytest.mark.django_db


@pytest.fixture
def projects(private_project, public_project, make_project):
    hidden = make_project(name="Hidden", short_name="HID")
    return {"private": private_project, "public": public_project, "hidden": hidden}


def short_names(response) -> list[str]:
    return [p["short_name"] for p in response.json()]


def test_anonymous_lists_only_public_projects(api, projects):
    response = api.get("/api/projects/")

    assert response.status_code == 200
    assert short_names(response) == ["OPEN"]


def test_member_lists_public_and_own_projects(as_basic, member, projects):
    response = as_basic(member).get("/api/projects")

    assert response.status_code == 200
    assert sorted(short_names(response)) == ["OPEN", "SEC"]


def test_outsider_lists_only_public_projects(as_basic, outsider, projects):
    assert short_names(as_basic(outsider).get("/api/projects/")) == ["OPEN"]


def test_administrator_lists_every_project(as_basic, admin, projects):
    assert sorted(short_names(as_basic(admin).get("/api/projects/"))) == ["HID", "OPEN", "SEC"]


def test_leader_reads_the_project_they_lead(as_basic, make_user, make_project):
    lead = make_user("lead")
    project = make_project(short_name="LED", leader=lead)

    assert as_basic(lead).get(f"/api/projects/{project.id}").status_code == 200


@pytest.mark.parametrize("who", ["requester", "inactive"])
def test_requester_and_inactive_users_get_401(request, as_basic, projects, who):
    user = request.getfixturevalue(who)

    response = as_basic(user).get("/api/projects/")

    assert response.status_code == 401
    assert response.json()["code"] in {"api_access_denied", "invalid_credentials"}


def test_project_detail_has_the_full_representation(as_basic, member, private_project, admin):
    response = as_basic(member).get(f"/api/projects/{private_project.id}")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == private_project.id
    assert body["uri"] == f"projects/{private_project.id}"
    assert body["name"] == "Secret Project"
    assert body["short_name"] == "SEC"
    assert body["is_public"] is False
    assert body["leader"] == {"id": admin.id, "login": "boss", "name": "Big Boss"}
    assert body["created_by"]["login"] == "boss"
    assert body["members"] == [{"id": member.id, "login": "mwhite", "name": "Mary White"}]


def test_private_project_is_404_for_anonymous_and_outsiders_as_a_missing_one(
    api, as_basic, outsider, private_project
):
    # Every door, as a table: tests/tracker/test_private_projects.py.
    anonymous = api.get(f"/api/projects/{private_project.id}")
    stranger = as_basic(outsider).get(f"/api/projects/{private_project.id}")

    missing = {"detail": "No Project matches the given query.", "code": "not_found"}
    assert (anonymous.status_code, anonymous.json()) == (404, missing)
    assert (stranger.status_code, stranger.json()) == (404, missing)


def test_unknown_project_is_404_json(as_basic, admin):
    response = as_basic(admin).get("/api/projects/999999")

    assert response.status_code == 404
    assert response.json() == {"detail": "No Project matches the given query.", "code": "not_found"}


def test_only_administrators_create_projects(as_basic, admin, member):
    payload = {"name": "New", "short_name": "NEW", "is_public": True, "member_ids": [member.id]}

    refused = as_basic(member).post("/api/projects/", payload, format="json")
    assert refused.status_code == 403
    assert not Project.objects.filter(short_name="NEW").exists()

    created = as_basic(admin).post("/api/projects/", payload, format="json")
    assert created.status_code == 201
    project = Project.objects.get(short_name="NEW")
    assert project.created_by == admin
    assert list(project.members.all()) == [member]
    assert created.json()["created_by"]["login"] == "boss"


def test_anonymous_cannot_create_projects(api, db):
    response = api.post("/api/projects/", {"name": "X", "short_name": "X"}, format="json")

    assert response.status_code == 401
    assert not Project.objects.exists()


def test_invalid_project_is_400_with_field_errors(as_basic, admin, private_project):
    response = as_basic(admin).post(
        "/api/projects/", {"name": "", "short_name": "SEC"}, format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["errors"]) == {"name", "short_name"}
    assert Project.objects.count() == 1


def test_members_cannot_change_or_delete_their_project(as_basic, member, private_project):
    url = f"/api/projects/{private_project.id}"

    assert as_basic(member).patch(url, {"name": "Mine"}, format="json").status_code == 403
    assert as_basic(member).delete(url).status_code == 403
    private_project.refresh_from_db()
    assert private_project.name == "Secret Project"


def test_administrators_change_and_delete_projects(as_basic, admin, private_project):
    url = f"/api/projects/{private_project.id}"

    changed = as_basic(admin).patch(url, {"name": "Renamed", "is_public": True}, format="json")
    assert changed.status_code == 200
    assert changed.json()["name"] == "Renamed"

    assert as_basic(admin).delete(url).status_code == 204
    assert not Project.objects.filter(id=private_project.id).exists()


def test_xml_on_request(api, public_project):
    response = api.get(f"/api/projects/{public_project.id}?format=xml")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    assert root.findtext("short_name") == "OPEN"


def test_xml_body_creates_a_project(as_basic, admin):
    body = "<root><name>From XML</name><short_name>XML</short_name></root>"

    response = as_basic(admin).post(
        "/api/projects/", body, content_type="application/xml", HTTP_ACCEPT="application/json"
    )

    assert response.status_code == 201
    assert Project.objects.filter(short_name="XML", name="From XML").exists()


def test_fields_selector_keeps_exactly_the_named_keys(api, public_project):
    response = api.get(f"/api/projects/{public_project.id}?fields=id,name,leader(login,name),nope")

    assert response.status_code == 200
    assert response.json() == {
        "id": public_project.id,
        "name": "Open Project",
        "leader": {"login": "boss", "name": "Big Boss"},
    }


def test_bad_fields_selector_is_400(api, public_project):
    response = api.get(f"/api/projects/{public_project.id}?fields=id,leader(login")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "fields" in response.json()["detail"]


def test_wrong_password_on_a_public_project_is_still_401(api, public_project, member):
    response = api.get(
        f"/api/projects/{public_project.id}",
        HTTP_AUTHORIZATION=basic_header(member.login, "wrong-password"),
    )

    assert response.status_code == 401


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("leader_id", 1.5),
        ("leader_id", True),
        ("leader_id", "ADMIN"),
        ("member_ids", [1.5]),
        ("member_ids", [True]),
        ("member_ids", ["MEMBER"]),
    ],
)
def test_a_json_user_id_that_is_not_an_integer_creates_no_project(
    as_basic, admin, member, field, value
):
    ids = {"ADMIN": str(admin.id), "MEMBER": str(member.id)}
    value = [ids.get(v, v) for v in value] if isinstance(value, list) else ids.get(value, value)
    payload = {"name": "New", "short_name": "NEW", field: value}

    response = as_basic(admin).post("/api/projects/", payload, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert not Project.objects.filter(short_name="NEW").exists()

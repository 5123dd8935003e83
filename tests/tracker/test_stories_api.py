"""The canonical user-stories API: read with the project, written by its members."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tokenward.tracker.models import UserStory

pytestmark = pytest.mark.django_db


@pytest.fixture
def stories(make_story, private_project, public_project, make_project, member):
    hidden = make_project(short_name="HID")
    return {
        "private": make_story(private_project, name="Private story", owner=member),
        "public": make_story(public_project, name="Public story"),
        "hidden": make_story(hidden, name="Hidden story"),
    }


def names(response) -> list[str]:
    return sorted(s["name"] for s in response.json())


def test_anonymous_reads_stories_of_public_projects_only(api, stories):
    response = api.get("/api/stories/")

    assert response.status_code == 200
    assert names(response) == ["Public story"]


def test_member_reads_stories_of_their_projects(as_basic, member, stories):
    assert names(as_basic(member).get("/api/stories/")) == ["Private story", "Public story"]


def test_administrator_reads_every_story(as_basic, admin, stories):
    assert len(as_basic(admin).get("/api/stories/").json()) == 3


def test_stories_filter_by_project(as_basic, admin, stories, private_project):
    response = as_basic(admin).get(f"/api/stories/?project={private_project.id}")

    assert names(response) == ["Private story"]


# Past 18 digits: 2**63 and -2**63 - 1 (beyond a 64-bit column), 10**30, twenty nines
# (SQLite could not bind them: OverflowError, a 500); "²" passes isdigit() but not int().
IMPOSSIBLE_IDS = [
    "abc",
    "-1",
    "9223372036854775808",
    "-9223372036854775809",
    "1" + "0" * 30,
    "99999999999999999999",
    "1000000000000000000",
    "²",
]


@pytest.mark.parametrize("project", IMPOSSIBLE_IDS)
def test_a_project_filter_that_is_no_id_is_400(api, stories, project):
    response = api.get("/api/stories/", {"project": project})

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The request is invalid; see errors.",
        "code": "invalid",
        "errors": {"project": ["A project id is a whole number from 0 to 999999999999999999."]},
    }


def test_the_largest_project_filter_finds_nothing(as_basic, admin, stories):
    response = as_basic(admin).get("/api/stories/", {"project": "999999999999999999"})

    assert response.status_code == 200
    assert response.json() == []


def test_the_schema_bounds_the_project_filter(api):
    schema = api.get("/api/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    parameters = schema["paths"]["/api/stories/"]["get"]["parameters"]
    project = next(p for p in parameters if p["name"] == "project")
    assert {"type": "integer", "minimum": 0, "maximum": 999999999999999999} in (
        project["schema"]["anyOf"]
    )


@pytest.mark.parametrize("field", ["project_id", "owner_id"])
@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 10**30, "99999999999999999999"])
def test_an_impossible_id_in_a_story_is_400(as_basic, admin, private_project, field, value):
    body = {"name": "x", "project_id": private_project.id, field: value}

    response = as_basic(admin).post("/api/stories/", body, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert not UserStory.objects.exists()


def test_story_detail(as_basic, member, stories, private_project):
    story = stories["private"]

    response = as_basic(member).get(f"/api/stories/{story.id}")

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Private story"
    assert body["project"] == {
        "id": private_project.id,
        "name": "Secret Project",
        "short_name": "SEC",
    }
    assert body["owner"]["login"] == "mwhite"
    assert body["state"] == "open"


def test_private_story_is_404_to_anonymous_and_outsiders(api, as_basic, outsider, stories):
    url = f"/api/stories/{stories['private'].id}"

    assert api.get(url).status_code == 404
    assert as_basic(outsider).get(url).status_code == 404


def test_member_creates_a_story_owned_by_themselves(as_basic, member, private_project):
    response = as_basic(member).post(
        "/api/stories/",
        {"name": "Write docs", "description": "All of them", "project_id": private_project.id},
        format="json",
    )

    assert response.status_code == 201
    story = UserStory.objects.get(name="Write docs")
    assert story.owner == member
    assert story.project == private_project
    assert response.json()["id"] == story.id


def test_outsider_cannot_write_stories_of_a_public_project(as_basic, outsider, public_project):
    response = as_basic(outsider).post(
        "/api/stories/", {"name": "Graffiti", "project_id": public_project.id}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["detail"] == "Only members of this project change its stories."
    assert not UserStory.objects.exists()


def test_anonymous_cannot_write_stories(api, public_project):
    response = api.post(
        "/api/stories/", {"name": "Graffiti", "project_id": public_project.id}, format="json"
    )

    assert response.status_code == 401
    assert not UserStory.objects.exists()


def test_unknown_project_or_state_is_400(as_basic, admin, private_project):
    unknown = as_basic(admin).post(
        "/api/stories/", {"name": "x", "project_id": 999999}, format="json"
    )
    bad_state = as_basic(admin).post(
        "/api/stories/",
        {"name": "x", "project_id": private_project.id, "state": "sleeping"},
        format="json",
    )

    assert unknown.status_code == 400
    assert "project_id" in unknown.json()["errors"]
    assert bad_state.status_code == 400
    assert "state" in bad_state.json()["errors"]
    assert not UserStory.objects.exists()


def test_member_updates_and_deletes_stories(as_basic, member, stories):
    url = f"/api/stories/{stories['private'].id}"

    changed = as_basic(member).patch(url, {"state": "done"}, format="json")
    assert changed.status_code == 200
    assert changed.json()["state"] == "done"

    assert as_basic(member).delete(url).status_code == 204
    assert not UserStory.objects.filter(id=stories["private"].id).exists()


def test_member_cannot_move_a_story_into_a_project_they_do_not_belong_to(as_basic, member, stories):
    hidden_project = stories["hidden"].project

    response = as_basic(member).patch(
        f"/api/stories/{stories['private'].id}", {"project_id": hidden_project.id}, format="json"
    )

    # A project the member may not read is missing to it: an invalid id, not a 403.
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["project_id"]
    stories["private"].refresh_from_db()
    assert stories["private"].project.short_name == "SEC"


def test_outsider_cannot_change_a_public_story(as_basic, outsider, stories):
    response = as_basic(outsider).patch(
        f"/api/stories/{stories['public'].id}", {"name": "Defaced"}, format="json"
    )

    assert response.status_code == 403
    stories["public"].refresh_from_db()
    assert stories["public"].name == "Public story"


# JSON carries types: an id is a JSON integer. Each of these named row 1 (int() of it) or
# the project's row through its digits as a string.
NOT_AN_INTEGER = {"float": 1.5, "whole-float": 1.0, "true": True, "string": "ID", "list": ["ID"]}


@pytest.mark.parametrize("field", ["project_id", "owner_id"])
@pytest.mark.parametrize("value", NOT_AN_INTEGER.values(), ids=NOT_AN_INTEGER.keys())
def test_a_json_id_that_is_not_an_integer_creates_no_story(
    as_basic, admin, member, private_project, field, value
):
    target = private_project.id if field == "project_id" else member.id
    value = [str(target)] if value == ["ID"] else str(target) if value == "ID" else value
    body = {"name": "x", "project_id": private_project.id, field: value}

    response = as_basic(admin).post("/api/stories/", body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["errors"]) == [field]
    assert "Incorrect type" in response.json()["errors"][field][0]
    assert not UserStory.objects.exists()


def test_a_form_or_xml_id_is_its_ascii_digits(as_basic, admin, private_project):
    client = as_basic(admin)
    form = "application/x-www-form-urlencoded"

    created = client.post(
        "/api/stories/", f"name=x&project_id={private_project.id}", content_type=form
    )
    spelt = quote("".join(chr(0x0660 + int(d)) for d in str(private_project.id)))
    arabic = client.post("/api/stories/", f"name=y&project_id={spelt}", content_type=form)
    xml = client.post(
        "/api/stories/",
        "<root><name>z</name><project_id>1.5</project_id></root>",
        content_type="application/xml",
    )

    assert created.status_code == 201
    assert created.json()["project"]["id"] == private_project.id
    for refused in (arabic, xml):
        assert refused.status_code == 400
        assert list(refused.json()["errors"]) == ["project_id"]
    assert list(UserStory.objects.values_list("name", flat=True)) == ["x"]


def test_a_story_id_in_non_ascii_digits_is_404(as_basic, admin, stories):
    arabic_indic = "".join(chr(0x0660 + int(d)) for d in str(stories["private"].id))

    response = as_basic(admin).get("/api/stories/" + arabic_indic)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"

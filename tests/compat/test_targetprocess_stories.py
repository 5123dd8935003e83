"""Targetprocess ``GET /api/v1/UserStories/[{id}]``: visible stories as UserStory entities."""

from __future__ import annotations

import pytest

from tests.compat.conftest import JSON, children, xml_of

pytestmark = pytest.mark.django_db

STORIES = "/api/v1/UserStories/"


def ids(response) -> list[int]:
    return [item["Id"] for item in response.json()["Items"]]


@pytest.fixture
def stories(make_project, make_story, private_project, public_project, member):
    """One story in the member's private project, one public, one in a project nobody joined."""
    lonely = make_project(name="Lonely", short_name="LONE")
    return {
        "private": make_story(private_project, owner=member, name="Secret work"),
        "public": make_story(public_project, name="Open work", state="in_progress"),
        "lonely": make_story(lonely, name="Nobody's work", state="done"),
    }


def test_member_lists_the_stories_of_their_projects_and_public_ones(as_basic, member, stories):
    response = as_basic(member).get(STORIES, **JSON)

    assert response.status_code == 200
    assert response.json().keys() == {"Items"}
    assert ids(response) == [stories["private"].id, stories["public"].id]


def test_non_member_lists_only_public_stories(as_basic, outsider, stories):
    response = as_basic(outsider).get(STORIES, **JSON)

    assert ids(response) == [stories["public"].id]


def test_administrator_lists_every_story(as_basic, admin, stories):
    response = as_basic(admin).get(STORIES, **JSON)

    assert ids(response) == [s.id for s in stories.values()]


def test_story_entity_carries_state_project_and_owner_references(as_basic, member, stories):
    story = stories["private"]

    response = as_basic(member).get(f"{STORIES}{story.id}", **JSON)

    assert response.status_code == 200
    assert response.json() == {
        "ResourceType": "UserStory",
        "Id": story.id,
        "Name": "Secret work",
        "Description": "",
        "CreateDate": story.created_at.isoformat(),
        "ModifyDate": story.modified_at.isoformat(),
        "EntityState": {"ResourceType": "EntityState", "Id": 1, "Name": "Open"},
        "Project": {"ResourceType": "Project", "Id": story.project_id, "Name": "Secret Project"},
        "Owner": {
            "ResourceType": "GeneralUser",
            "Id": member.id,
            "FirstName": "Mary",
            "LastName": "White",
            "Login": "mwhite",
        },
    }


def test_story_without_owner_has_a_nil_owner_in_xml_and_null_in_json(as_basic, admin, stories):
    story = stories["lonely"]

    root = xml_of(as_basic(admin).get(f"{STORIES}{story.id}"))

    assert root.tag == "UserStory"
    assert root.attrib == {"ResourceType": "UserStory", "Id": str(story.id), "Name": story.name}
    fields = children(root)
    assert fields["Owner"].attrib == {"nil": "true"}
    assert fields["EntityState"].attrib == {
        "ResourceType": "EntityState",
        "Id": "3",
        "Name": "Done",
    }
    assert fields["Project"].attrib["Name"] == "Lonely"
    assert as_basic(admin).get(f"{STORIES}{story.id}", **JSON).json()["Owner"] is None


def test_collection_xml_is_user_story_elements_inside_user_stories(as_basic, member, stories):
    response = as_basic(member).get(STORIES)

    assert response.status_code == 200
    root = xml_of(response)
    assert root.tag == "UserStories"
    assert root.attrib == {}  # one page: no Prev, no Next
    assert [child.tag for child in root] == ["UserStory", "UserStory"]
    assert [child.get("Id") for child in root] == [
        str(stories["private"].id),
        str(stories["public"].id),
    ]
    assert root[1].get("Name") == "Open work"
    assert children(root[1])["EntityState"].get("Name") == "In Progress"


def test_non_member_reading_a_private_story_is_404_as_a_missing_one(as_basic, outsider, stories):
    response = as_basic(outsider).get(f"{STORIES}{stories['private'].id}", **JSON)

    assert response.status_code == 404
    assert response.json() == {
        "detail": "No UserStory matches the given query.",
        "code": "not_found",
    }


def test_administrator_reads_any_story(as_basic, admin, stories):
    response = as_basic(admin).get(f"{STORIES}{stories['private'].id}", **JSON)

    assert response.status_code == 200
    assert response.json()["Name"] == "Secret work"


def test_unknown_story_is_404(as_basic, member, stories):
    response = as_basic(member).get(f"{STORIES}999999999", **JSON)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_story_paths_accept_no_trailing_slash_and_lower_case(as_basic, member, stories):
    client = as_basic(member)
    story = stories["public"]

    assert ids(client.get("/api/v1/UserStories", **JSON)) == ids(client.get(STORIES, **JSON))
    assert client.get(f"/api/v1/userstories/{story.id}/", **JSON).json()["Id"] == story.id


def test_stories_are_read_only_here(as_basic, admin, stories):
    response = as_basic(admin).post(STORIES, {"name": "x"}, format="json", **JSON)

    assert response.status_code == 405

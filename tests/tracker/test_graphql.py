"""GraphQL at /graphql: the REST API's authentication pipeline, and the tracker's access rules."""

from __future__ import annotations

import json

import pytest
from django.utils.crypto import get_random_string
from rest_framework.test import APIClient

from tests.conftest import basic_header
from tokenward.tracker.models import UserStory

pytestmark = pytest.mark.django_db

PROJECTS = "{ projects { name userStories { name } } }"
ME = "{ me { login name email role isActive authMethod } }"
CREATE = """
mutation Create($projectId: ID!, $name: String!) {
  createUserStory(projectId: $projectId, name: $name, description: "From GraphQL") {
    name description state owner { login } project { shortName }
  }
}"""
UPDATE = """
mutation Update($id: ID!, $name: String, $state: String) {
  updateUserStory(id: $id, name: $name, state: $state) { id name state }
}"""


def gql(client: APIClient, query: str, **variables) -> tuple[int, dict]:
    response = client.post("/graphql", {"query": query, "variables": variables}, format="json")
    return response.status_code, response.json()


def project_names(body: dict) -> set[str]:
    return {project["name"] for project in body["data"]["projects"]}


def error_messages(body: dict) -> list[str]:
    return [error["message"] for error in body["errors"]]


def logged_in(user) -> APIClient:
    """A browser signed in as ``user``, holding a CSRF cookie as any page of the site sets it."""
    client = APIClient(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = get_random_string(32)
    client.force_login(user)
    return client


@pytest.fixture
def stories(private_project, public_project, make_story, member):
    return {
        "secret": make_story(private_project, name="Secret story", owner=member),
        "open": make_story(public_project, name="Open story"),
    }


# --- reading: who sees what ------------------------------------------------------------


def test_anonymous_sees_only_public_projects_and_no_me(api, stories):
    status, body = gql(api, PROJECTS)
    assert status == 200
    assert body["data"]["projects"] == [
        {"name": "Open Project", "userStories": [{"name": "Open story"}]}
    ]

    status, body = gql(api, ME)
    assert status == 200
    assert body == {"data": {"me": None}}


def test_anonymous_sees_names_but_not_emails_of_public_project_people(api, public_project):
    status, body = gql(api, "{ projects { leader { login name email role } } }")

    assert status == 200
    assert body["data"]["projects"] == [
        {"leader": {"login": "boss", "name": "Big Boss", "email": None, "role": None}}
    ]


def test_member_sees_their_private_project_and_its_stories(as_basic, member, stories):
    status, body = gql(as_basic(member), PROJECTS)

    assert status == 200
    assert body["data"]["projects"] == [
        {"name": "Secret Project", "userStories": [{"name": "Secret story"}]},
        {"name": "Open Project", "userStories": [{"name": "Open story"}]},
    ]


def test_outsider_does_not_see_the_private_project_or_its_stories(as_basic, outsider, stories):
    client = as_basic(outsider)
    secret = stories["secret"]

    assert project_names(gql(client, PROJECTS)[1]) == {"Open Project"}
    _, body = gql(client, "query($id: ID!) { project(id: $id) { name } }", id=secret.project_id)
    assert body == {"data": {"project": None}}
    _, body = gql(client, "query($id: ID!) { userStory(id: $id) { name } }", id=secret.id)
    assert body == {"data": {"userStory": None}}
    _, body = gql(client, "{ userStories { name } }")
    assert body == {"data": {"userStories": [{"name": "Open story"}]}}


def test_outsider_filtering_stories_by_a_private_project_gets_none(as_basic, outsider, stories):
    query = "query($p: ID) { userStories(projectId: $p) { name } }"

    _, body = gql(as_basic(outsider), query, p=stories["secret"].project_id)

    assert body == {"data": {"userStories": []}}


def test_nested_story_project_gives_no_way_into_private_projects(as_basic, outsider, stories):
    query = "{ userStories { project { name userStories { name } } } }"

    _, body = gql(as_basic(outsider), query)

    assert body["data"]["userStories"] == [
        {"project": {"name": "Open Project", "userStories": [{"name": "Open story"}]}}
    ]


def test_admin_sees_every_project(as_basic, admin, stories, make_project):
    make_project(name="Nobody's Project")

    _, body = gql(as_basic(admin), PROJECTS)

    assert project_names(body) == {"Secret Project", "Open Project", "Nobody's Project"}


def test_project_lists_its_leader_creator_and_members(as_basic, member, private_project):
    query = "query($id: ID!) { project(id: $id) { shortName isPublic leader { login } "
    query += "createdBy { login } members { login email } } }"

    _, body = gql(as_basic(member), query, id=private_project.id)

    assert body["data"]["project"] == {
        "shortName": "SEC",
        "isPublic": False,
        "leader": {"login": "boss"},
        "createdBy": {"login": "boss"},
        "members": [{"login": "mwhite", "email": "mwhite@example.com"}],
    }


def test_me_names_the_user_and_basic_as_the_method(as_basic, member):
    status, body = gql(as_basic(member), ME)

    assert status == 200
    assert body["data"]["me"] == {
        "login": "mwhite",
        "name": "Mary White",
        "email": "mwhite@example.com",
        "role": "user",
        "isActive": True,
        "authMethod": "basic",
    }


def test_invalid_id_is_a_graphql_error_not_a_crash(as_basic, member):
    status, body = gql(as_basic(member), 'query { project(id: "abc") { name } }')

    assert status == 200
    assert body["data"] == {"project": None}
    assert error_messages(body) == ["'abc' is not a valid project id."]


# --- authentication: the REST API's responses ------------------------------------------


def test_requester_is_refused_with_api_access_denied(as_basic, requester):
    response = as_basic(requester).post("/graphql", {"query": ME}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "api_access_denied"
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_inactive_user_is_refused(as_basic, inactive):
    response = as_basic(inactive).post("/graphql", {"query": ME}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_wrong_password_is_refused_even_for_a_public_query(as_basic, member, public_project):
    response = as_basic(member, "not-the-password").post(
        "/graphql", {"query": PROJECTS}, format="json"
    )

    assert response.status_code == 401
    assert response.json() == {
        "detail": "Invalid username or password.",
        "code": "invalid_credentials",
    }
    assert response.headers["WWW-Authenticate"] == 'Basic realm="tokenward", charset="UTF-8"'


@pytest.mark.parametrize(
    "header", ["Basic", "Basic !!!not-base64!!!", "Basic Zm9vYmFy", "Basic a b"]
)
def test_malformed_basic_header_is_a_401_not_a_crash(api, header):
    api.credentials(HTTP_AUTHORIZATION=header)

    response = api.post("/graphql", {"query": ME}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    assert response.json()["detail"].startswith("Invalid Basic header.")
    assert "WWW-Authenticate" in response.headers


def test_get_query_runs_under_basic_authentication(as_basic, member):
    response = as_basic(member).get("/graphql", {"query": "{ me { login authMethod } }"})

    assert response.status_code == 200
    assert response.json() == {"data": {"me": {"login": "mwhite", "authMethod": "basic"}}}


def test_get_request_cannot_run_a_mutation(as_basic, member, private_project):
    variables = json.dumps({"projectId": private_project.id, "name": "Via GET"})

    response = as_basic(member).get("/graphql", {"query": CREATE, "variables": variables})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"
    assert not UserStory.objects.exists()


# --- session cookie: CSRF on POST ------------------------------------------------------


def test_session_post_without_csrf_token_is_refused(member, private_project):
    client = logged_in(member)

    response = client.post(
        "/graphql",
        {"query": CREATE, "variables": {"projectId": private_project.id, "name": "Sneaky"}},
        format="json",
    )

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert response.json()["detail"].startswith("CSRF Failed")
    assert not UserStory.objects.exists()


def test_session_post_with_csrf_token_runs(member, private_project):
    client = logged_in(member)

    response = client.post(
        "/graphql",
        {"query": CREATE, "variables": {"projectId": private_project.id, "name": "Honest"}},
        format="json",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
    )

    assert response.status_code == 200
    assert response.json()["data"]["createUserStory"]["name"] == "Honest"
    assert private_project.stories.get().name == "Honest"


def test_session_get_needs_no_csrf_token_and_reports_session(member):
    response = logged_in(member).get("/graphql", {"query": "{ me { authMethod } }"})

    assert response.status_code == 200
    assert response.json() == {"data": {"me": {"authMethod": "session"}}}


def test_explicit_basic_credentials_win_over_a_session_cookie(member, admin):
    client = logged_in(member)
    client.credentials(HTTP_AUTHORIZATION=basic_header(admin.login, admin.raw_password))

    status, body = gql(client, "{ me { login authMethod } }")

    assert status == 200
    assert body == {"data": {"me": {"login": "boss", "authMethod": "basic"}}}


def test_basic_post_needs_no_csrf_token(as_basic, member):
    status, body = gql(as_basic(member), "{ me { login } }")

    assert status == 200
    assert body == {"data": {"me": {"login": "mwhite"}}}


# --- mutations ---------------------------------------------------------------------------


def test_member_creates_a_story_in_their_project(as_basic, member, private_project):
    status, body = gql(as_basic(member), CREATE, projectId=private_project.id, name=" Login page ")

    assert status == 200
    assert body["data"]["createUserStory"] == {
        "name": "Login page",
        "description": "From GraphQL",
        "state": "open",
        "owner": {"login": "mwhite"},
        "project": {"shortName": "SEC"},
    }
    story = private_project.stories.get()
    assert (story.name, story.owner) == ("Login page", member)


def test_admin_creates_a_story_in_any_project(as_basic, admin, make_project):
    project = make_project(name="Nobody's Project")

    status, body = gql(as_basic(admin), CREATE, projectId=project.id, name="Admin story")

    assert status == 200
    assert "errors" not in body
    assert project.stories.get().name == "Admin story"


def test_outsider_cannot_create_a_story(as_basic, outsider, private_project, public_project):
    # A private project is missing to an outsider; a public one is there, but not theirs.
    for project, message in (
        (private_project, f"There is no project with id {private_project.id}."),
        (public_project, "You do not have permission to change stories of this project."),
    ):
        status, body = gql(as_basic(outsider), CREATE, projectId=project.id, name="Intruder")

        assert status == 200
        assert body["data"] is None
        assert error_messages(body) == [message]
    assert not UserStory.objects.exists()


def test_anonymous_cannot_create_a_story_even_in_a_public_project(api, public_project):
    status, body = gql(api, CREATE, projectId=public_project.id, name="Anonymous")

    assert status == 200
    assert error_messages(body) == ["Authentication required."]
    assert not UserStory.objects.exists()


@pytest.mark.parametrize(
    ("name", "project_id", "message"),
    [
        ("   ", None, "A user story needs a name."),
        ("x" * 301, None, "A user story's name is at most 300 characters."),
        ("Lost", 999999, "There is no project with id 999999."),
        ("Lost", "P-1", "'P-1' is not a valid project id."),
    ],
)
def test_invalid_story_input_is_a_clear_error(
    as_basic, member, private_project, name, project_id, message
):
    status, body = gql(
        as_basic(member), CREATE, projectId=project_id or private_project.id, name=name
    )

    assert status == 200
    assert error_messages(body) == [message]
    assert not UserStory.objects.exists()


def test_member_updates_a_story(as_basic, member, stories):
    story = stories["secret"]

    status, body = gql(as_basic(member), UPDATE, id=story.id, name="Renamed", state="done")

    assert status == 200
    assert body["data"]["updateUserStory"] == {
        "id": str(story.id),
        "name": "Renamed",
        "state": "done",
    }
    story.refresh_from_db()
    assert (story.name, story.state) == ("Renamed", "done")


def test_outsider_cannot_update_a_story(as_basic, outsider, stories):
    story = stories["secret"]

    _, body = gql(as_basic(outsider), UPDATE, id=story.id, name="Defaced")

    assert error_messages(body) == [f"There is no user story with id {story.id}."]
    story.refresh_from_db()
    assert story.name == "Secret story"


def test_anonymous_cannot_update_a_story(api, stories):
    story = stories["open"]

    _, body = gql(api, UPDATE, id=story.id, name="Defaced")

    assert error_messages(body) == ["Authentication required."]
    story.refresh_from_db()
    assert story.name == "Open story"


def test_unknown_state_is_refused(as_basic, member, stories):
    story = stories["secret"]

    _, body = gql(as_basic(member), UPDATE, id=story.id, state="finished")

    assert error_messages(body) == ["The state must be one of: open, in_progress, done."]
    story.refresh_from_db()
    assert story.state == "open"


def test_updating_an_unknown_story_is_a_clear_error(as_basic, admin):
    _, body = gql(as_basic(admin), UPDATE, id=424242, name="Ghost")

    assert error_messages(body) == ["There is no user story with id 424242."]


# --- hostile and broken requests -----------------------------------------------------------


def test_too_deep_query_is_refused(as_basic, member, stories):
    nested = "userStories { project { " * 6 + "name" + " } }" * 6
    status, body = gql(as_basic(member), "{ projects { " + nested + " } }")

    assert status == 200
    assert body["data"] is None
    assert "exceeds maximum operation depth of 10" in error_messages(body)[0]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"not json", "application/json"),
        (b"[1, 2]", "application/json"),
        (b"42", "application/json"),
        (b"\xff\xfe", "application/json"),
        (b"query=%7Bme%7Bid%7D%7D", "application/x-www-form-urlencoded"),
    ],
)
def test_broken_request_bodies_are_a_400_not_a_crash(as_basic, member, body, content_type):
    response = as_basic(member).generic("POST", "/graphql", body, content_type=content_type)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"
    assert response.json()["detail"].endswith(".")


def test_session_multipart_post_is_refused_without_a_crash(member):
    client = logged_in(member)
    token = client.cookies["csrftoken"].value

    response = client.post(
        "/graphql", {"operations": json.dumps({"query": ME})}, HTTP_X_CSRFTOKEN=token
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"


def test_graphiql_is_served_to_browsers_with_a_csrf_cookie(api):
    response = api.get("/graphql", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert b"graphiql" in response.content.lower()
    assert "csrftoken" in response.cookies


def test_an_unexpected_failure_is_masked_not_shown(as_basic, member, monkeypatch):
    def broken(user):
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr("tokenward.tracker.access.visible_stories", broken)

    status, body = gql(as_basic(member), "{ userStories { name } }")

    assert status == 200
    assert error_messages(body) == ["Unexpected error."]
    assert "hunter2" not in json.dumps(body)

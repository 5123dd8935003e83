"""Scopes: a read token reads and writes nothing; no token grants more than its owner has."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.authn.test_token_transports import TRANSPORTS, send, with_query
from tokenward.tracker.models import Project, UserStory

pytestmark = pytest.mark.django_db

SCOPE_CHALLENGE = 'Bearer realm="tokenward", error="insufficient_scope", scope="write"'
LACKS_WRITE = {
    "detail": "This token lacks the write scope that this request needs.",
    "code": "insufficient_scope",
}
CREATE = """
mutation Create($projectId: ID!, $name: String!) {
  createUserStory(projectId: $projectId, name: $name) { name owner { login } }
}"""


@pytest.fixture(params=TRANSPORTS)
def transport(request) -> str:
    return request.param


@pytest.fixture
def story(make_story, private_project, member):
    return make_story(private_project, name="Original name", owner=member)


@pytest.fixture
def read_token(make_token, member):
    return make_token(member, scopes=["read"]).plaintext


@pytest.fixture
def write_token(make_token, member):
    return make_token(member, scopes=["write"]).plaintext


def counts() -> tuple[int, int]:
    return Project.objects.count(), UserStory.objects.count()


def assert_lacks_write(response) -> None:
    assert response.status_code == 403
    assert response.json() == LACKS_WRITE
    assert response.headers["WWW-Authenticate"] == SCOPE_CHALLENGE


def gql(token: str, query: str, transport: str = "bearer", **variables):
    return send(
        transport,
        token,
        path="/graphql",
        method="post",
        data={"query": query, "variables": variables},
    )


# --- REST: a read token --------------------------------------------------------------------


def test_read_token_reads_projects_and_stories(transport, read_token, story, public_project):
    projects = send(transport, read_token, path="/api/projects")
    stories = send(transport, read_token, path="/api/stories")
    detail = send(transport, read_token, path=f"/api/stories/{story.id}")

    assert projects.status_code == 200
    assert {p["name"] for p in projects.json()} == {"Secret Project", "Open Project"}
    assert stories.status_code == 200
    assert [s["name"] for s in stories.json()] == ["Original name"]
    assert (detail.status_code, detail.json()["name"]) == (200, "Original name")


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("post", "/api/stories", {"name": "Smuggled"}),
        ("patch", "/api/stories/{story}", {"name": "Changed"}),
        ("delete", "/api/stories/{story}", None),
    ],
    ids=["create", "change", "delete"],
)
def test_read_token_cannot_write_stories(
    transport, read_token, story, private_project, method, path, data
):
    if method == "post":
        data = {**data, "project_id": private_project.id}
    before = counts()

    response = send(
        transport, read_token, path=path.format(story=story.id), method=method, data=data
    )

    assert_lacks_write(response)
    assert counts() == before
    story.refresh_from_db()
    assert story.name == "Original name"


def test_read_token_of_an_administrator_cannot_change_projects(make_token, admin, private_project):
    token = make_token(admin, scopes=["read"]).plaintext
    before = counts()

    created = send("bearer", token, "/api/projects", "post", {"name": "New", "short_name": "NEW"})
    changed = send(
        "access_key", token, f"/api/projects/{private_project.id}", "patch", {"name": "Renamed"}
    )
    deleted = send("token", token, f"/api/projects/{private_project.id}", "delete")

    for response in (created, changed, deleted):
        assert_lacks_write(response)
    assert counts() == before
    private_project.refresh_from_db()
    assert private_project.name == "Secret Project"


def test_read_token_may_not_use_an_unsafe_method_even_where_it_is_not_allowed(read_token, story):
    # The scope is checked before the route: the 403 says what the token lacks.
    response = send("bearer", read_token, f"/api/v1/UserStories/{story.id}?format=json", "post", {})

    assert_lacks_write(response)


# --- REST: a write token, within its owner's rights ----------------------------------------


def test_write_token_reads_and_writes_stories(transport, write_token, story, private_project):
    assert send(transport, write_token, path="/api/stories").status_code == 200

    created = send(
        transport,
        write_token,
        "/api/stories",
        "post",
        {"name": "Filed", "project_id": private_project.id},
    )
    changed = send(transport, write_token, f"/api/stories/{story.id}", "patch", {"name": "New"})

    assert created.status_code == 201, created.content
    assert UserStory.objects.get(name="Filed").project == private_project
    assert changed.status_code == 200
    story.refresh_from_db()
    assert story.name == "New"

    deleted = send(transport, write_token, f"/api/stories/{story.id}", "delete")

    assert deleted.status_code == 204
    assert not UserStory.objects.filter(pk=story.pk).exists()


def test_write_token_of_a_member_cannot_create_a_project(transport, write_token):
    before = counts()

    response = send(
        transport, write_token, "/api/projects", "post", {"name": "Mine", "short_name": "MINE"}
    )

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Only administrators create projects.",
        "code": "permission_denied",
    }
    assert counts() == before


def test_write_token_cannot_read_a_private_project_its_owner_is_not_in(
    transport, write_token, make_project, make_story, outsider
):
    closed = make_project(name="Closed", short_name="CLO", members=[outsider])
    hidden = make_story(closed, name="Hidden")

    project = send(transport, write_token, path=f"/api/projects/{closed.id}")
    listed = send(transport, write_token, path="/api/projects")
    changed = send(transport, write_token, f"/api/stories/{hidden.id}", "patch", {"name": "Mine"})

    assert project.status_code == 404  # missing to it, as to its owner
    assert project.json() == {"detail": "No Project matches the given query.", "code": "not_found"}
    assert "Closed" not in {p["name"] for p in listed.json()}
    assert changed.status_code == 404
    hidden.refresh_from_db()
    assert hidden.name == "Hidden"


def test_administrators_write_token_creates_a_project(make_token, admin):
    token = make_token(admin, scopes=["read", "write"]).plaintext

    response = send("bearer", token, "/api/projects", "post", {"name": "Made", "short_name": "MAD"})

    assert response.status_code == 201, response.content
    assert Project.objects.get(short_name="MAD").created_by == admin


# --- GraphQL ------------------------------------------------------------------------------


def test_graphql_query_with_a_read_token(transport, read_token, story, member):
    response = gql(read_token, "{ me { login authMethod } userStories { name } }", transport)

    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "me": {"login": member.login, "authMethod": transport},
            "userStories": [{"name": "Original name"}],
        }
    }


def test_graphql_mutation_with_a_read_token_is_insufficient_scope(
    transport, read_token, private_project
):
    before = counts()

    response = gql(read_token, CREATE, transport, projectId=private_project.id, name="Smuggled")

    assert_lacks_write(response)
    assert counts() == before


def test_graphql_mutation_with_a_write_token_creates_the_story(write_token, private_project):
    response = gql(write_token, CREATE, projectId=private_project.id, name="Via GraphQL")

    assert response.status_code == 200
    assert response.json() == {
        "data": {"createUserStory": {"name": "Via GraphQL", "owner": {"login": "mwhite"}}}
    }
    assert UserStory.objects.filter(name="Via GraphQL", project=private_project).exists()


def test_graphql_operation_name_cannot_hide_a_mutation_from_the_scope_check(
    read_token, private_project
):
    document = "query Harmless { me { login } }\n" + CREATE.replace("mutation Create", "mutation M")
    before = counts()

    response = send(
        "bearer",
        read_token,
        "/graphql",
        "post",
        {
            "query": document,
            "operationName": "M",
            "variables": {"projectId": private_project.id, "name": "Smuggled"},
        },
    )

    assert_lacks_write(response)
    assert counts() == before


def test_graphql_mutation_over_get_with_a_read_token_is_insufficient_scope(
    read_token, private_project
):
    mutation = (
        f'mutation {{ createUserStory(projectId: {private_project.id}, name: "X") {{ name }} }}'
    )
    before = counts()

    response = send("bearer", read_token, path=with_query("/graphql", query=mutation))

    assert_lacks_write(response)
    assert counts() == before


def test_graphql_body_that_is_not_json_is_refused_whatever_it_holds(read_token, private_project):
    # The scope check cannot read such a body; strawberry must not run it either.
    mutation = (
        f'mutation {{ createUserStory(projectId: {private_project.id}, name: "X") {{ name }} }}'
    )
    before = counts()

    for content_type in ("application/graphql", "text/plain"):
        response = APIClient().post(
            "/graphql",
            mutation,
            content_type=content_type,
            HTTP_AUTHORIZATION=f"Bearer {read_token}",
        )
        assert response.status_code == 400, content_type
        assert response.json() == {"detail": "Unsupported content type.", "code": "invalid_request"}

    assert counts() == before


# --- the seed paths -------------------------------------------------------------------------


def test_read_token_works_on_the_seed_paths(read_token, story, private_project, member):
    stories = send("access_token_query", read_token, path="/api/v1/UserStories/?format=json")
    youtrack = send("bearer", read_token, path="/api/admin/projects")
    tuleap = send("access_key", read_token, path=f"/api/projects/{private_project.id}")
    trialgrid = send("token", read_token, path="/api/v2/users/")
    logged = send("access_token_query", read_token, path="/api/v1/Users/LoggedUser?format=json")

    assert stories.status_code == 200
    assert [item["Id"] for item in stories.json()["Items"]] == [story.id]
    assert youtrack.status_code == 200
    assert {p["name"] for p in youtrack.json()} == {"Secret Project"}
    assert tuleap.status_code == 200
    assert tuleap.json()["name"] == "Secret Project"
    assert trialgrid.status_code == 200
    assert member.login in {u["login"] for u in trialgrid.json()}
    assert logged.status_code == 200
    assert (logged.json()["Login"], logged.json()["AuthenticationMethod"]) == (
        member.login,
        "access_token_query",
    )

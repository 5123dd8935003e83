"""A private project, and its stories, are missing to whoever may not read them: every door
answers a non-member exactly as it answers an id that does not exist."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.conftest import basic_header
from tokenward.tracker.models import Project, UserStory

pytestmark = pytest.mark.django_db

# Explicit ids, long enough that no other number in a reply (a GraphQL error's column, say)
# is taken for one when the id is blanked out of the reply.
PRIVATE_PROJECT, PRIVATE_STORY = 424242, 434343
MISSING_PROJECT, MISSING_STORY = 525252, 535353
STORY_NAME = "Hidden story"

GQL_PROJECT = "query P($id: ID!) { project(id: $id) { name } }"
GQL_STORY = "query S($id: ID!) { userStory(id: $id) { name } }"
GQL_CREATE = 'mutation C($p: ID!) { createUserStory(projectId: $p, name: "Mine") { name } }'
GQL_UPDATE = 'mutation U($id: ID!) { updateUserStory(id: $id, name: "Mine") { name } }'

# door: (method, path, JSON body); {project} and {story} are filled with the ids.
DOORS = {
    "canonical project": ("get", "/api/projects/{project}", None),
    "canonical project, change": ("patch", "/api/projects/{project}", {"name": "Mine"}),
    "canonical project, delete": ("delete", "/api/projects/{project}", None),
    "Tuleap project": ("get", "/api/projects/{project}/", None),
    "YouTrack project": ("get", "/api/admin/projects/0-{project}?fields=id,name", None),
    "YouTrack project, bare id": ("get", "/api/admin/projects/{project}", None),
    "canonical story": ("get", "/api/stories/{story}", None),
    "canonical story, change": ("patch", "/api/stories/{story}", {"name": "Mine"}),
    "canonical story, delete": ("delete", "/api/stories/{story}", None),
    "canonical story, create in the project": (
        "post",
        "/api/stories",
        {"name": "Mine", "project_id": "{project}"},
    ),
    "canonical stories of the project": ("get", "/api/stories?project={project}", None),
    "Targetprocess story": ("get", "/api/v1/UserStories/{story}?format=json", None),
    "Targetprocess story, XML": ("get", "/api/v1/UserStories/{story}", None),
    "GraphQL project": (
        "post",
        "/graphql",
        {"query": GQL_PROJECT, "variables": {"id": "{project}"}},
    ),
    "GraphQL story": ("post", "/graphql", {"query": GQL_STORY, "variables": {"id": "{story}"}}),
    "GraphQL create story": (
        "post",
        "/graphql",
        {"query": GQL_CREATE, "variables": {"p": "{project}"}},
    ),
    "GraphQL update story": (
        "post",
        "/graphql",
        {"query": GQL_UPDATE, "variables": {"id": "{story}"}},
    ),
}


@pytest.fixture
def private(make_project, make_story, member, admin):
    project = make_project(id=PRIVATE_PROJECT, members=[member], leader=admin, created_by=admin)
    make_story(project, id=PRIVATE_STORY, owner=member, name=STORY_NAME)
    return project


def fill(value, project: int, story: int):
    """Return ``value`` with the ``{project}`` and ``{story}`` placeholders filled in."""
    if isinstance(value, str):
        return value.replace("{project}", str(project)).replace("{story}", str(story))
    if isinstance(value, dict):
        return {key: fill(item, project, story) for key, item in value.items()}
    return value


def knock(client: APIClient, door: str, project: int, story: int) -> tuple[int, str]:
    """Return the status and the body, ids blanked, of ``door`` asked about these ids."""
    method, path, body = DOORS[door]
    response = getattr(client, method)(
        fill(path, project, story), fill(body, project, story), format="json"
    )
    text = response.content.decode()
    text = text.replace(str(project), "<project>").replace(str(story), "<story>")
    return response.status_code, text


def outsider_client(outsider) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic_header(outsider.login, outsider.raw_password))
    return client


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("caller", ["outsider", "anonymous"])
def test_private_project_answers_a_non_member_as_a_missing_one(door, caller, private, outsider):
    client = outsider_client(outsider) if caller == "outsider" else APIClient()

    hidden = knock(client, door, PRIVATE_PROJECT, PRIVATE_STORY)
    missing = knock(client, door, MISSING_PROJECT, MISSING_STORY)

    assert hidden == missing
    assert hidden[0] in {200, 400, 401, 404}
    assert STORY_NAME not in hidden[1]
    assert Project.objects.get(id=PRIVATE_PROJECT).name == private.name
    assert list(UserStory.objects.values_list("id", "name")) == [(PRIVATE_STORY, STORY_NAME)]


@pytest.mark.parametrize(
    "door", ["canonical project", "canonical story", "Targetprocess story", "YouTrack project"]
)
def test_outsider_reading_a_private_project_gets_404_not_403(door, private, outsider):
    status, body = knock(outsider_client(outsider), door, PRIVATE_PROJECT, PRIVATE_STORY)

    assert status == 404
    assert '"code":"not_found"' in body.replace(" ", "") or "<code>not_found</code>" in body


@pytest.mark.parametrize("door", ["canonical project", "canonical story", "YouTrack project"])
def test_member_still_reads_the_private_project(door, private, member):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic_header(member.login, member.raw_password))

    status, _ = knock(client, door, PRIVATE_PROJECT, PRIVATE_STORY)

    assert status == 200

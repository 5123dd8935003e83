"""Every seed path refuses anonymous, Requester, inactive and wrong-password requests alike."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.compat.conftest import JSON, xml_of
from tests.conftest import basic_header

pytestmark = pytest.mark.django_db

SEED_PATHS = [
    "/api/v1/Users/LoggedUser",
    "/api/v1/UserStories/",
    "/api/v1/UserStories/{story}",
    "/api/admin/projects",
    "/api/admin/projects/0-{project}",
    "/api/users/me",
    "/api/v2/users/",
]


@pytest.fixture(params=SEED_PATHS)
def seed_path(request, public_project, make_story) -> str:
    """Each seed path, pointing at public data that anonymous users could read elsewhere."""
    story = make_story(public_project)
    return request.param.format(project=public_project.id, story=story.id)


def test_anonymous_request_is_401_with_a_challenge_even_for_public_data(api, seed_path):
    response = api.get(seed_path, **JSON)

    assert response.status_code == 401
    assert response.json() == {
        "detail": "Authentication credentials were not provided.",
        "code": "not_authenticated",
    }
    assert response.headers["WWW-Authenticate"].startswith('Basic realm="tokenward"')


def test_requester_is_refused_api_access(as_basic, requester, seed_path):
    response = as_basic(requester).get(seed_path, **JSON)

    assert response.status_code == 401
    assert response.json() == {
        "detail": "Requester accounts are not granted access to the API.",
        "code": "api_access_denied",
    }
    assert "WWW-Authenticate" in response.headers


def test_inactive_user_with_basic_gets_the_same_answer_as_a_wrong_password(
    as_basic, inactive, seed_path
):
    response = as_basic(inactive).get(seed_path, **JSON)

    assert response.status_code == 401
    assert response.json() == {
        "detail": "Invalid username or password.",
        "code": "invalid_credentials",
    }
    assert "WWW-Authenticate" in response.headers


def test_inactive_user_with_a_session_is_told_the_account_is_inactive(
    as_session, inactive, seed_path
):
    response = as_session(inactive).get(seed_path, **JSON)

    assert response.status_code == 401
    assert response.json() == {"detail": "This account is inactive.", "code": "inactive_user"}


def test_wrong_password_is_401_invalid_credentials(api, member, seed_path):
    response = api.get(
        seed_path, HTTP_AUTHORIZATION=basic_header(member.login, "not-the-password"), **JSON
    )

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    assert response.headers["WWW-Authenticate"].startswith('Basic realm="tokenward"')


@pytest.mark.parametrize("path", ["/api/v1/Users/LoggedUser", "/api/v1/UserStories/"])
def test_targetprocess_refusal_is_an_xml_error_by_default(api, db, path):
    response = api.get(path)

    assert response.status_code == 401
    root = xml_of(response)
    assert root.tag == "Error"
    assert root.findtext("detail") == "Authentication credentials were not provided."
    assert root.findtext("code") == "not_authenticated"
    assert "WWW-Authenticate" in response.headers


@pytest.mark.parametrize(
    ("name", "kwargs", "path"),
    [
        ("tp-logged-user", {}, "/api/v1/Users/LoggedUser"),
        ("tp-stories", {}, "/api/v1/UserStories"),
        ("tp-story", {"pk": 7}, "/api/v1/UserStories/7"),
        ("yt-projects", {}, "/api/admin/projects"),
        ("yt-project", {"pk": 7}, "/api/admin/projects/7"),
        ("tg-users", {}, "/api/v2/users"),
    ],
)
def test_seed_paths_reverse_to_their_documented_spelling(name, kwargs, path):
    assert reverse(name, kwargs=kwargs) == path

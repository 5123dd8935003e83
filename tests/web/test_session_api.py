"""A browser that logged in through the form calls the API with its cookie, under CSRF rules."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.web.conftest import submit_login

pytestmark = pytest.mark.django_db


def post_story(client: Client, project_id: int, **headers: str):
    body = json.dumps({"name": "Written in the browser", "project_id": project_id})
    return client.post("/api/stories/", body, content_type="application/json", headers=headers)


def test_session_cookie_authenticates_api_calls(logged_in, member):
    response = logged_in.get("/api/users/me")

    assert response.status_code == 200
    body = response.json()
    assert body["login"] == member.login
    assert body["auth_method"] == "session"


def test_requester_logged_in_to_the_pages_gets_no_api_access(browser, requester):
    submit_login(browser, requester.login, requester.raw_password)

    response = browser.get("/api/users/me")

    assert response.status_code == 401  # the project's rule: refused credentials are a 401
    assert response.json()["code"] == "api_access_denied"


def test_unsafe_api_call_without_csrf_header_is_refused(logged_in, private_project):
    from tokenward.tracker.models import UserStory

    response = post_story(logged_in, private_project.id)

    assert response.status_code == 403
    assert response.json()["detail"].startswith("CSRF Failed")
    assert not UserStory.objects.exists()


def test_unsafe_api_call_with_a_wrong_csrf_header_is_refused(logged_in, private_project):
    from tokenward.tracker.models import UserStory

    response = post_story(logged_in, private_project.id, X_CSRFToken="x" * 64)

    assert response.status_code == 403
    assert response.json()["detail"].startswith("CSRF Failed")
    assert not UserStory.objects.exists()


def test_unsafe_api_call_with_the_csrf_header_passes(logged_in, member, private_project):
    from tokenward.tracker.models import UserStory

    token = logged_in.cookies["csrftoken"].value
    response = post_story(logged_in, private_project.id, X_CSRFToken=token)

    assert response.status_code == 201
    assert response.json()["owner"]["login"] == member.login
    story = UserStory.objects.get()
    assert story.name == "Written in the browser"
    assert story.project_id == private_project.id
    assert story.owner_id == member.id


def test_csrf_token_from_before_login_is_no_longer_accepted(browser, member, private_project):
    from tests.web.conftest import csrf_token

    stale = csrf_token(browser)
    submit_login(browser, member.login, member.raw_password)

    response = post_story(browser, private_project.id, X_CSRFToken=stale)

    assert response.status_code == 403

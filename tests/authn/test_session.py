"""Session-cookie authentication: who the cookie stands for, CSRF, and when it stops working."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.conftest import basic_header

pytestmark = pytest.mark.django_db


def logged_in(user) -> APIClient:
    client = APIClient(enforce_csrf_checks=True)
    client.get("/login/")  # as a browser would: the login page sets the CSRF cookie
    client.force_login(user)
    return client


def test_session_cookie_authenticates_and_records_the_method(member):
    response = logged_in(member).get("/api/users/me")

    assert response.status_code == 200
    assert response.json()["auth_method"] == "session"


def test_session_of_a_deactivated_user_is_refused_with_a_reason(member):
    client = logged_in(member)
    member.is_active = False
    member.save()

    response = client.get("/api/users/me")

    assert response.status_code == 401
    assert response.json() == {"detail": "This account is inactive.", "code": "inactive_user"}


def test_requester_session_gets_no_api_access(requester):
    response = logged_in(requester).get("/api/users/me")

    assert response.status_code == 401
    assert response.json()["code"] == "api_access_denied"


def test_password_change_ends_other_sessions(member):
    client = logged_in(member)
    member.set_password("a-brand-new-password-42")
    member.save()

    response = client.get("/api/users/me")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_unsafe_request_without_csrf_token_is_refused(member, private_project):
    response = logged_in(member).post(
        "/api/stories/", {"name": "Sneaky", "project_id": private_project.id}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert response.json()["detail"].startswith("CSRF Failed")
    assert not private_project.stories.exists()


def test_unsafe_request_with_csrf_token_passes(member, private_project):
    client = logged_in(member)
    token = client.cookies["csrftoken"].value

    response = client.post(
        "/api/stories/",
        {"name": "Honest", "project_id": private_project.id},
        format="json",
        HTTP_X_CSRFTOKEN=token,
    )

    assert response.status_code == 201
    assert private_project.stories.get().name == "Honest"


def test_text_plain_body_with_a_cookie_is_refused(member, private_project):
    client = logged_in(member)
    token = client.cookies["csrftoken"].value

    response = client.post(
        "/api/stories/",
        data="name=x",
        content_type="text/plain",
        HTTP_X_CSRFTOKEN=token,
    )

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert not private_project.stories.exists()


def test_explicit_basic_credentials_win_over_an_ambient_session_cookie(member, admin):
    client = logged_in(member)

    response = client.get(
        "/api/users/me", HTTP_AUTHORIZATION=basic_header(admin.login, admin.raw_password)
    )

    assert response.status_code == 200
    assert response.json()["login"] == admin.login
    assert response.json()["auth_method"] == "basic"


def test_wrong_basic_credentials_are_not_rescued_by_a_valid_session(member):
    client = logged_in(member)

    response = client.get("/api/users/me", HTTP_AUTHORIZATION=basic_header(member.login, "bad"))

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"

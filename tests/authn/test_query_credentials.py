"""Query-string credentials: kept out of caches, Referer headers and the links of a page."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from defusedxml.ElementTree import fromstring
from django.contrib.sessions.models import Session
from rest_framework.test import APIClient

from tests.authn.test_token_transports import ME, send, with_query
from tokenward.credentials.format import TokenType, generate
from tokenward.redaction import redact_uri

pytestmark = pytest.mark.django_db

STORIES = "/api/v1/UserStories/"
NO_STORE = "private, no-store"


def assert_kept_private(response) -> None:
    assert response.headers["Cache-Control"] == NO_STORE
    assert response.headers["Referrer-Policy"] == "no-referrer"


@pytest.fixture
def token(make_token, member):
    return make_token(member)


@pytest.fixture
def stories(make_story, private_project, member) -> list[int]:
    return [make_story(private_project, owner=member).id for _ in range(4)]


def test_success_is_not_stored_and_sends_no_referrer(token, member):
    response = send("access_token_query", token.plaintext)

    assert response.status_code == 200
    assert response.json()["login"] == member.login
    assert_kept_private(response)
    assert not Session.objects.exists()


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("access_token=not-a-token", 401, "malformed_token"),
        ("access_token={unknown}", 401, "invalid_token"),
        ("access_token={unknown}&access_token={unknown}", 400, "invalid_request"),
        ("token={unknown}", 401, "malformed_token"),
    ],
    ids=["malformed", "unknown", "twice", "token-parameter"],
)
def test_refusals_are_not_stored_and_send_no_referrer(api, db, query, status, code):
    unknown = generate(TokenType.PERSONAL)

    response = api.get(f"{ME}?{query.format(unknown=unknown)}")

    assert (response.status_code, response.json()["code"]) == (status, code)
    assert_kept_private(response)
    assert unknown.encode() not in response.content


def test_conflict_with_a_header_is_not_stored_and_sends_no_referrer(api, token):
    response = api.get(
        with_query(ME, access_token=token.plaintext), HTTP_AUTHORIZATION=f"Bearer {token.plaintext}"
    )

    assert (response.status_code, response.json()["code"]) == (400, "invalid_request")
    assert_kept_private(response)


def test_turned_off_query_credentials_are_refused_with_the_same_headers(settings, token):
    settings.TOKENWARD = {**settings.TOKENWARD, "QUERY_STRING_CREDENTIALS": False}

    response = send("access_token_query", token.plaintext)

    assert (response.status_code, response.json()["code"]) == (400, "invalid_request")
    assert_kept_private(response)


def test_not_found_is_not_stored_either(token):
    response = send("access_token_query", token.plaintext, path="/api/stories/999999")

    assert response.status_code == 404
    assert_kept_private(response)


def test_scope_refusal_is_not_stored_either(make_token, member, private_project):
    read = make_token(member, scopes=["read"])

    response = send(
        "access_token_query",
        read.plaintext,
        path="/api/stories",
        method="post",
        data={"name": "x", "project_id": private_project.id},
    )

    assert (response.status_code, response.json()["code"]) == (403, "insufficient_scope")
    assert_kept_private(response)


@pytest.mark.parametrize("transport", ["bearer", "token", "access_key"])
def test_header_credentials_keep_the_default_headers(token, transport):
    response = send(transport, token.plaintext)

    assert response.status_code == 200
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_requests_without_credentials_keep_the_default_headers(api, public_project):
    response = api.get(f"/api/projects/{public_project.id}?fields=name")

    assert response.status_code == 200
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Cache-Control" not in response.headers


# --- Targetprocess paging links --------------------------------------------------------------


def test_paging_links_in_json_never_carry_the_token(token, stories):
    client = APIClient(enforce_csrf_checks=True)
    url = with_query(f"{STORIES}?take=1&format=json", access_token=token.plaintext)
    seen: list[int] = []

    while url:
        response = client.get(url)
        assert response.status_code == 200
        assert_kept_private(response)
        assert token.plaintext.encode() not in response.content
        body = response.json()
        seen += [item["Id"] for item in body["Items"]]
        for link in (body.get("Next"), body.get("Prev")):
            assert link is None or "access_token" not in unquote(link)
        # As Targetprocess clients do: the credential is added to each request anew.
        url = body.get("Next") and with_query(body["Next"], access_token=token.plaintext)

    assert seen == stories


def test_paging_links_in_xml_never_carry_the_token(token, stories):
    response = send("access_token_query", token.plaintext, path=f"{STORIES}?take=1&skip=1")

    assert response.status_code == 200
    assert token.plaintext.encode() not in response.content
    root = fromstring(response.content)
    assert root.get("Next") and root.get("Prev")
    assert "access_token" not in root.get("Next") + root.get("Prev")


def test_paging_links_drop_a_percent_encoded_credential_name_too(token, stories):
    response = APIClient().get(f"{STORIES}?take=1&format=json&access%5Ftoken={token.plaintext}")

    assert response.status_code == 200
    assert token.plaintext.encode() not in response.content
    assert "Next" in response.json()


# --- web pages ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/profile/", "/login/", "/", "/profile/tokens/1/revoke/"])
def test_web_pages_refuse_a_query_string_token(api, token, path):
    response = api.get(with_query(path, access_token=token.plaintext))

    assert response.status_code == 400
    assert "not accepted on web pages" in response.content.decode()
    assert token.plaintext not in response.content.decode()
    assert "Location" not in response.headers
    assert_kept_private(response)
    assert not Session.objects.exists()


def test_a_web_page_refuses_a_query_token_in_json_too(api, token):
    response = api.get(
        with_query("/profile/", token=token.plaintext), HTTP_ACCEPT="application/json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"
    assert_kept_private(response)


def test_a_login_redirect_never_carries_a_query_string_token(api, token):
    response = api.get(with_query("/profile/", access_token=token.plaintext))

    assert token.plaintext not in unquote(response.headers.get("Location", ""))
    assert token.plaintext not in redact_uri(
        f"/login/?next=/profile/%3Faccess_token%3D{token.plaintext}"
    )

"""The cookieless endpoints (``/auth/token``, ``/auth/jwks.json``, ``/oauth/introspect/``).

DRF views with no authentication class: no CSRF check (no cookie is read), JSON whatever
the ``Accept`` header asks, Django's bare 405 for another method, no automatic OpenAPI entry.
"""

from __future__ import annotations

import base64
from urllib.parse import urlencode

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from tests.oauth.conftest import make_app, obtain_tokens  # noqa: F401  (fixtures)
from tokenward.audit.models import AuditEvent
from tokenward.audit.services import CLI
from tokenward.tokens import offline

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"
ENDPOINTS = {"/auth/token": "POST", "/auth/jwks.json": "GET", "/oauth/introspect/": "POST"}


def basic(app) -> str:
    return "Basic " + base64.b64encode(f"{app.client_id}:{app.secret}".encode()).decode()


@pytest.fixture
def offline_token(member) -> str:
    return offline.issue_offline_token(member, client=CLI, name="etl").plaintext


@pytest.mark.parametrize("accept", ["text/html", "application/xml", "image/png;;q=x"])
def test_any_accept_header_gets_the_json_reply(offline_token, accept):
    body = urlencode({"refresh_token": offline_token})

    response = Client().post("/auth/token", body, content_type=FORM, HTTP_ACCEPT=accept)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["refresh_token"] == offline_token
    assert "Allow" not in response and "Vary" not in response
    assert AuditEvent.objects.filter(action="issued", credential_kind="jwt_access_token").exists()


def test_introspection_answers_json_to_a_browser_accept_header(
    make_app,  # noqa: F811  (the OAuth fixtures, imported above)
    member,
    obtain_tokens,  # noqa: F811
):
    app = make_app()
    tokens = obtain_tokens(app, member, scope="read")

    response = Client().post(
        "/oauth/introspect/",
        {"token": tokens["access_token"]},
        HTTP_AUTHORIZATION=basic(app),
        HTTP_ACCEPT="text/html",
    )

    assert response.status_code == 200
    assert response.json()["active"] is True


def test_a_logged_in_browser_without_a_csrf_token_is_not_refused(member, offline_token):
    # No cookie is read, so a cross-site post carries nothing of the visitor's: no 403.
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(member)
    body = urlencode({"refresh_token": offline_token})

    response = browser.post("/auth/token", body, content_type=FORM)

    assert response.status_code == 200
    assert set(response.json()) >= {"access_token", "refresh_token"}


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("method", ["HEAD", "OPTIONS", "PUT", "DELETE"])
def test_another_method_is_an_empty_405_naming_the_one_allowed(path, method):
    response = Client().generic(method, path, HTTP_ACCEPT="application/json")

    assert response.status_code == 405
    assert response["Allow"] == ENDPOINTS[path]
    assert response.content == b""
    assert not AuditEvent.objects.exists()


def test_the_schema_has_only_the_hand_written_entries():
    generator = SchemaGenerator()
    generator._initialise_endpoints()

    assert not {endpoint[0] for endpoint in generator.endpoints} & set(ENDPOINTS)

"""The OpenAPI schema: served, valid, and complete for the canonical API."""

from __future__ import annotations

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_schema_is_served_without_credentials(api):
    response = api.get("/api/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ["/api/users/", "/api/users/me", "/api/projects/{id}", "/api/stories/"]:
        assert any(p.rstrip("/") == path.rstrip("/") for p in paths), path


def test_schema_generates_with_no_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert out.read_text().startswith("openapi:")


def test_docs_page_is_served(api):
    assert api.get("/api/docs").status_code == 200


def test_unknown_api_path_is_a_json_404(api):
    response = api.get("/api/no-such-thing")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_the_token_endpoints_are_in_the_schema(api):
    schema = api.get("/api/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    for path, method in [
        ("/auth/token", "post"),
        ("/auth/jwks.json", "get"),
        ("/oauth/token/", "post"),
        ("/oauth/revoke_token/", "post"),
        ("/oauth/introspect/", "post"),
        ("/api/offline-tokens/", "get"),
        ("/api/oauth-authorizations", "get"),
        ("/api/oauth-authorizations/{application_id}", "delete"),
    ]:
        assert method in schema["paths"][path], path
    reply = schema["components"]["schemas"]["OfflineTokenReply"]
    assert set(reply["required"]) == {
        "access_token",
        "expires_in",
        "refresh_expires_in",
        "refresh_token",
        "token_type",
        "session_state",
        "scope",
    }

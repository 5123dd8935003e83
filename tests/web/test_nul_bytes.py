"""A NUL anywhere a client's text reaches a query is 400 on every path, before any view.

PostgreSQL refuses NUL in text (``DataError``, a 500); SQLite takes it. These run on both.
The paths come from the OpenAPI schema and the URL map, so that a new endpoint is covered.
"""

from __future__ import annotations

import base64

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from oauth2_provider.models import AccessToken

from tests.oauth.conftest import make_app  # noqa: F401  (fixture)
from tokenward.audit.models import AuditEvent
from tokenward.tracker.models import Project
from tokenward.web.nul_bytes import refusal

pytestmark = pytest.mark.django_db

DOCUMENT = SchemaGenerator().get_schema(request=None, public=True)
PAGES = ["/", "/login/", "/profile/", "/profile/tokens/", "/admin/users/", "/auth/offline-token"]
GET_PATHS = sorted(
    {path for path, ops in DOCUMENT["paths"].items() if "get" in ops and "{" not in path}
    | {"/graphql", "/oauth/authorize/", *PAGES}
)
BODY_PATHS = sorted(
    (method.upper(), path, media)
    for path, ops in DOCUMENT["paths"].items()
    for method, op in ops.items()
    if "{" not in path
    for media in op.get("requestBody", {}).get("content", {})
    if media in ("application/json", "application/x-www-form-urlencoded")
)
OAUTH = ("/oauth/token/", "/oauth/revoke_token/", "/oauth/introspect/", "/auth/token")


def refused(response, where: str) -> None:
    """Assert the 400 each door gives a NUL: JSON on the API, RFC 6749 on OAuth2, a page."""
    assert response.status_code == 400, response.content[:300]
    path = response.wsgi_request.path
    if path in OAUTH:
        assert response.json() == {"error": "invalid_request", "error_description": refusal(where)}
    elif path.startswith(("/api/", "/auth/", "/graphql")):
        assert response.json() == {"detail": refusal(where), "code": "invalid_request"}
    else:
        assert refusal(where).encode() in response.content


@pytest.fixture
def bearer(admin, make_token) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {make_token(admin).plaintext}"}


def client() -> Client:
    return Client(raise_request_exception=False)


@pytest.mark.parametrize("path", GET_PATHS)
def test_a_nul_in_the_query_string_is_400_on_every_path(path, bearer):
    events = AuditEvent.objects.count()

    response = client().get(f"{path}?q=a%00b&user=a%00b&fields=id", **bearer)

    refused(response, "the query string")
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize(("method", "path", "media"), BODY_PATHS)
def test_a_nul_in_a_form_or_json_body_is_400_on_every_endpoint(method, path, media, admin, bearer):
    body = (
        '{"name": "a\\u0000b", "login": "x\\u0000", "username": "x\\u0000"}'
        if media == "application/json"
        else "name=a%00b&login=x%00&username=x%00&client_id=x%00&token=x%00"
    )
    count = Project.objects.count(), admin.personal_tokens.count(), AccessToken.objects.count()

    response = client().generic(method, path, body, content_type=media, **bearer)

    refused(response, "the body")
    assert (Project.objects.count(), admin.personal_tokens.count()) == count[:2]
    assert AccessToken.objects.count() == count[2]


def test_a_nul_in_an_oauth_basic_client_id_is_400_not_a_database_error(make_app):  # noqa: F811
    app = make_app()
    credentials = base64.b64encode(f"{app.client_id}\x00:{app.secret}".encode()).decode()

    response = client().post(
        "/oauth/token/",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=f"Basic {credentials}",
    )

    refused(response, "the Basic login or client id")
    assert not AccessToken.objects.exists()


def test_a_nul_in_the_oauth_client_id_field_is_400(make_app):  # noqa: F811
    app = make_app()

    response = client().post(
        "/oauth/token/",
        {"grant_type": "authorization_code", "code": "x", "client_id": app.client_id + "\x00"},
    )

    refused(response, "the body")
    assert not AccessToken.objects.exists()


def test_a_nul_in_a_basic_login_is_400_and_counts_no_failure(member):
    credentials = base64.b64encode(f"{member.login}\x00:wrong".encode()).decode()

    response = client().get("/api/users/me", HTTP_AUTHORIZATION=f"Basic {credentials}")

    refused(response, "the Basic login or client id")
    assert not AuditEvent.objects.exists()


def test_a_session_cookie_with_an_escaped_nul_is_400_not_a_database_error(db):
    # Quoted cookie values take octal escapes: a proxy lets \000 through as four characters.
    response = client().get("/profile/tokens/", HTTP_COOKIE='sessionid="abcdefgh\\000ij"')

    refused(response, "a cookie")


def test_a_nul_in_the_path_is_400(bearer):
    response = client().get("/api/admin/projects/a%00b", **bearer)

    refused(response, "the path")


def test_a_nul_in_the_user_agent_is_400(bearer):
    response = client().get("/api/users/me", HTTP_USER_AGENT="curl\x00", **bearer)

    refused(response, "the User-Agent header")


def test_the_admin_users_search_box_with_a_nul_is_400(admin):
    browser = Client(raise_request_exception=False)
    browser.force_login(admin)

    response = browser.get("/admin/users/", {"q": "bo\x00b"})

    refused(response, "the query string")


@pytest.mark.parametrize(
    "text",
    ["\\\\u0000", "%2500", "nul"],
    ids=["escaped-backslash", "percent-encoded-percent", "plain"],
)
def test_text_that_only_looks_like_a_nul_is_accepted(admin, bearer, text):
    body = '{"name": "%s", "short_name": "LOOK"}' % text  # noqa: UP031 (JSON text as sent)

    response = client().post(
        f"/api/projects/?fields=id&x={text}", body, content_type="application/json", **bearer
    )

    assert response.status_code == 201, response.content
    assert Project.objects.get(short_name="LOOK").name == text.replace("\\\\", "\\")


def test_a_nul_in_a_basic_password_is_still_the_transports_401(member):
    credentials = base64.b64encode(f"{member.login}:pass\x00word".encode()).decode()

    response = client().get("/api/users/me", HTTP_AUTHORIZATION=f"Basic {credentials}")

    assert response.status_code == 401
    assert response.json()["detail"].endswith("The credentials contain control characters.")

"""Targetprocess ``GET /api/v1/Authentication``: a service token for the caller, or for
another user (administrators), and ``LoggedUser`` naming the method that authenticated."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.compat.conftest import JSON, xml_of
from tests.conftest import basic_header, confirm_password_in, new_password
from tokenward.accounts import services as accounts
from tokenward.audit.models import Action, AuditEvent
from tokenward.tokens.service import service_token_for

pytestmark = pytest.mark.django_db

AUTHENTICATION = "/api/v1/Authentication"
LOGGED_USER = "/api/v1/Users/LoggedUser"


def query_client() -> APIClient:
    return APIClient(enforce_csrf_checks=True)


def with_token(path: str, token: str, **params: str) -> str:
    return f"{path}?{urlencode({**params, 'token': token})}"


def assert_not_stored(response) -> None:
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"


@pytest.fixture
def system(db):
    accounts.ensure_bootstrap_accounts(new_password())
    return accounts.find_user("System")


# --- the reply's shapes --------------------------------------------------------------------


def test_own_token_is_xml_by_default_in_the_seed_shape(as_basic, member):
    response = as_basic(member).get(AUTHENTICATION)

    assert response.status_code == 200
    root = xml_of(response)
    assert root.tag == "Authentication"
    assert root.attrib == {"Token": service_token_for(member)}
    assert (list(root), root.text) == ([], None)
    assert response.content.endswith(f'<Authentication Token="{root.get("Token")}" />'.encode())
    assert_not_stored(response)
    assert not AuditEvent.objects.exists(), "one's own token is not an audited issue"


@pytest.mark.parametrize("ask", [{"format": "json"}, JSON], ids=["format=json", "accept"])
def test_own_token_as_json(as_basic, member, ask):
    client = as_basic(member)
    response = (
        client.get(AUTHENTICATION, ask) if "format" in ask else client.get(AUTHENTICATION, **ask)
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"Token": service_token_for(member)}
    assert_not_stored(response)


def test_own_login_given_explicitly_is_the_same_and_not_audited(as_basic, member):
    response = as_basic(member).get(AUTHENTICATION, {"login": "mwhite", "format": "json"})

    assert response.json() == {"Token": service_token_for(member)}
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    "path",
    ["/api/v1/Authentication/", "/api/v1/authentication", "/API/V1/AUTHENTICATION/"],
)
def test_trailing_slash_and_any_letter_case_reach_the_same_resource(as_basic, member, path):
    response = as_basic(member).get(path, **JSON)

    assert response.status_code == 200
    assert response.json() == {"Token": service_token_for(member)}
    assert_not_stored(response)


def test_the_path_reverses_to_its_documented_spelling():
    assert reverse("tp-authentication") == AUTHENTICATION


def test_only_get_is_allowed(as_basic, member):
    response = as_basic(member).post(AUTHENTICATION, {}, format="json", **JSON)

    assert response.status_code == 405
    assert not AuditEvent.objects.exists()


# --- other users: administrators only, audited ---------------------------------------------


def test_administrator_obtains_another_users_token_audited(as_basic, admin, member):
    response = as_basic(admin).get(AUTHENTICATION, {"login": "mwhite"})

    assert response.status_code == 200
    assert xml_of(response).attrib == {"Token": service_token_for(member)}
    assert_not_stored(response)
    [event] = AuditEvent.objects.all()
    assert (event.action, event.credential_kind, event.credential_id) == (
        Action.ISSUED,
        "service_token",
        str(member.pk),
    )
    assert (event.actor, event.subject, event.method) == (admin, member, "api")
    assert event.address == "127.0.0.1"


def test_administrator_obtains_the_system_users_token_before_its_password_is_set(
    as_basic, admin, system
):
    response = as_basic(admin).get(AUTHENTICATION, {"login": "System", "format": "json"})

    assert response.status_code == 200
    token = response.json()["Token"]
    assert token == service_token_for(system)
    [event] = AuditEvent.objects.all()
    assert (event.action, event.actor, event.subject) == (Action.ISSUED, admin, system)
    assert event.credential_kind == "service_token"

    # The seed's FAQ: the token is refused until the System user's password is set.
    refused = query_client().get(with_token("/api/users/me", token))
    assert refused.status_code == 401
    assert refused.json()["code"] == "password_not_set"
    assert "password is not set" in refused.json()["detail"]


def test_system_users_token_works_once_its_password_is_set(as_basic, admin, system):
    accounts.set_password(system, new_password())
    token = as_basic(admin).get(AUTHENTICATION, {"login": "System", "format": "json"}).json()

    response = query_client().get(with_token(LOGGED_USER, token["Token"], format="json"))

    assert response.status_code == 200
    assert (response.json()["Login"], response.json()["IsAdministrator"]) == ("System", True)


@pytest.mark.parametrize("login", ["boss", "stranger", "System", "nobody"])
def test_non_administrator_asking_for_another_login_is_403_and_not_audited(
    as_basic, member, admin, outsider, login
):
    response = as_basic(member).get(AUTHENTICATION, {"login": login, "format": "json"})

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Only administrators obtain other users' tokens.",
        "code": "permission_denied",
    }
    assert b"Token" not in response.content
    assert not AuditEvent.objects.exists()


def test_non_administrators_refusal_is_an_xml_error_by_default(as_basic, member, admin):
    response = as_basic(member).get(AUTHENTICATION, {"login": "boss"})

    assert response.status_code == 403
    root = xml_of(response)
    assert root.tag == "Error"
    assert root.findtext("code") == "permission_denied"


def test_unknown_login_is_404_for_an_administrator(as_basic, admin):
    response = as_basic(admin).get(AUTHENTICATION, {"login": "nobody", "format": "json"})

    assert response.status_code == 404
    assert response.json() == {
        "detail": "There is no user with the login 'nobody'.",
        "code": "not_found",
    }
    assert not AuditEvent.objects.exists()


# --- who may call it -----------------------------------------------------------------------


def test_anonymous_request_is_401_with_a_challenge(api, db):
    response = api.get(AUTHENTICATION)

    assert response.status_code == 401
    assert xml_of(response).findtext("code") == "not_authenticated"
    assert response.headers["WWW-Authenticate"].startswith('Basic realm="tokenward"')


def test_requester_and_inactive_users_get_no_token(as_basic, requester, inactive):
    for user, code in ((requester, "api_access_denied"), (inactive, "invalid_credentials")):
        response = as_basic(user).get(AUTHENTICATION, **JSON)
        assert (response.status_code, response.json()["code"]) == (401, code)
        assert b"Token" not in response.content


def test_a_session_cookie_with_a_fresh_confirmation_may_obtain_the_token(as_session, member):
    client = as_session(member)
    confirm_password_in(client, member)

    response = client.get(AUTHENTICATION, **JSON)

    assert response.status_code == 200
    assert response.json() == {"Token": service_token_for(member)}


def test_an_unattended_session_cookie_gets_no_service_token(as_session, member):
    response = as_session(member).get(AUTHENTICATION, **JSON)

    assert response.status_code == 403
    assert response.json()["code"] == "step_up_required"
    assert "/profile/confirm-password/" in response.json()["detail"]
    assert "Token" not in response.json()


def test_a_personal_token_with_write_scope_may_obtain_it(make_token, as_token, member):
    token = make_token(member, scopes=["read", "write"])

    response = as_token(token.plaintext).get(AUTHENTICATION, **JSON)

    assert (response.status_code, response.json()) == (200, {"Token": service_token_for(member)})


def test_a_read_only_personal_token_may_not_mint_a_full_access_token(make_token, as_token, member):
    token = make_token(member, scopes=["read"])

    response = as_token(token.plaintext).get(AUTHENTICATION, **JSON)

    assert response.status_code == 403
    assert response.json() == {
        "detail": "This token lacks the write scope that this request needs.",
        "code": "insufficient_scope",
    }
    assert b'Token"' not in response.content


def test_a_service_token_obtains_itself_with_the_query_string_headers(member):
    token = service_token_for(member)

    response = query_client().get(with_token(AUTHENTICATION, token), **JSON)

    assert response.json() == {"Token": token}
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Pragma"] == "no-cache"


def test_a_token_obtained_with_basic_works_with_the_token_parameter(as_basic, member):
    token = xml_of(as_basic(member).get(AUTHENTICATION)).get("Token")

    response = query_client().get(with_token("/api/v1/UserStories/", token, format="json"))

    assert response.status_code == 200
    assert response.json()["Items"] == []


def test_the_schema_documents_the_endpoint_once(api):
    paths = api.get("/api/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]

    operation = paths[AUTHENTICATION]["get"]
    assert "login" in [parameter["name"] for parameter in operation["parameters"]]
    assert set(operation["responses"]) >= {"200", "401", "403", "404"}
    assert [path for path in paths if "uthentication" in path] == [AUTHENTICATION]


# --- LoggedUser says how the request was authenticated ---------------------------------------


@pytest.mark.parametrize("method", ["basic", "session", "access_token_query", "token_query"])
def test_logged_user_names_the_authentication_method(method, member, make_token, as_session):
    client, path = query_client(), LOGGED_USER
    if method == "basic":
        client.credentials(HTTP_AUTHORIZATION=basic_header(member.login, member.raw_password))
    elif method == "session":
        client = as_session(member)
    elif method == "access_token_query":
        path = f"{LOGGED_USER}?{urlencode({'access_token': make_token(member).plaintext})}"
    else:
        path = with_token(LOGGED_USER, service_token_for(member))

    response = client.get(path)

    assert response.status_code == 200
    root = xml_of(response)
    assert root.findtext("Login") == "mwhite"
    assert root.findtext("AuthenticationMethod") == method
    me = client.get(path.replace(LOGGED_USER, "/api/users/me"))
    assert me.json()["auth_method"] == method

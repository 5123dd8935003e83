"""Registering OAuth2 applications: site administrators, and project leaders for their project."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher
from oauth2_provider.models import Application

from tests.conftest import confirm_password_in
from tokenward.audit.models import Action, AuditEvent
from tokenward.oauth.models import ProjectApplication

pytestmark = pytest.mark.django_db

PATH = "/api/oauth-applications"


def body(project=None, **fields) -> dict:
    data = {
        "name": "Sync bot",
        "redirect_uris": ["https://bot.example.com/callback"],
        "client_type": "confidential",
    }
    if project is not None:
        data["project"] = project.pk
    return data | fields


def test_leader_registers_an_application_for_their_project(as_basic, member, make_project):
    project = make_project(leader=member, members=[member])

    reply = as_basic(member).post(PATH, body(project), format="json")

    assert reply.status_code == 201
    data = reply.json()
    assert data["grant_type"] == "authorization-code"
    assert data["project"] == project.pk
    assert reply["Cache-Control"] == "no-store"
    app = Application.objects.get(client_id=data["client_id"])
    # Stored hashed: the plaintext secret exists only in this reply.
    assert identify_hasher(app.client_secret)
    assert check_password(data["client_secret"], app.client_secret)
    assert ProjectApplication.objects.get(application=app).project == project
    assert AuditEvent.objects.filter(
        action=Action.ISSUED, credential_kind="oauth_application", credential_id=str(app.pk)
    ).exists()
    listed = as_basic(member).get(PATH).json()
    assert [a["client_id"] for a in listed] == [data["client_id"]]
    assert "client_secret" not in listed[0]


def test_member_who_does_not_lead_the_project_is_refused(as_basic, member, admin, make_project):
    project = make_project(leader=admin, members=[member])

    reply = as_basic(member).post(PATH, body(project), format="json")

    assert reply.status_code == 403
    assert reply.json()["code"] == "permission_denied"
    assert not Application.objects.exists()


@pytest.mark.parametrize("hidden", [True, False], ids=["private-project", "missing-id"])
def test_a_stranger_naming_a_private_project_is_answered_as_for_a_missing_one(
    as_basic, admin, outsider, make_project, hidden
):
    project = make_project(leader=admin)  # private, and the outsider is no member
    project_id = project.pk if hidden else project.pk + 1000

    reply = as_basic(outsider).post(PATH, body() | {"project": project_id}, format="json")

    assert reply.status_code == 400
    assert reply.json()["errors"] == {
        "project": [f'Invalid pk "{project_id}" - object does not exist.']
    }
    assert not Application.objects.exists()


def test_non_administrator_needs_a_project(as_basic, member):
    reply = as_basic(member).post(PATH, body(), format="json")

    assert reply.status_code == 403
    assert not Application.objects.exists()


def test_administrator_registers_for_any_project_or_none(as_basic, admin, member, make_project):
    project = make_project(leader=member)

    for_project = as_basic(admin).post(PATH, body(project), format="json")
    site_wide = as_basic(admin).post(PATH, body(client_type="public"), format="json")

    assert for_project.status_code == 201
    assert site_wide.status_code == 201
    assert "client_secret" not in site_wide.json(), "public clients get no usable secret"
    assert len(as_basic(admin).get(PATH).json()) == 2
    assert as_basic(member).get(PATH).json()[0]["client_id"] == for_project.json()["client_id"]


def test_bad_redirect_uri_is_400(as_basic, admin):
    reply = as_basic(admin).post(PATH, body(redirect_uris=["javascript:alert(1)"]), format="json")

    assert reply.status_code == 400
    assert reply.json()["code"] == "invalid"
    assert not Application.objects.exists()


def test_read_token_cannot_register(make_token, admin, as_token):
    token = make_token(admin, scopes=["read"]).plaintext

    reply = as_token(token).post(PATH, body(), format="json")

    assert reply.status_code == 403
    assert reply.json()["code"] == "insufficient_scope"


def test_web_page_lists_and_registers(client, member, make_project):
    project = make_project(leader=member)
    client.force_login(member)
    confirm_password_in(client, member)

    page = client.get("/oauth/applications/")
    created = client.post(
        "/oauth/applications/",
        {
            "name": "Web app",
            "redirect_uris": "https://web.example.com/cb",
            "client_type": "confidential",
            "project": project.pk,
        },
    )

    assert page.status_code == 200
    assert created.status_code == 200
    app = Application.objects.get(name="Web app")
    assert app.client_id in created.content.decode()
    assert b"it will not be shown again" in created.content
    assert b"it will not be shown again" not in client.get("/oauth/applications/").content


def test_an_unattended_session_cannot_register_an_application_on_the_page(
    client, member, make_project
):
    project = make_project(leader=member)
    client.force_login(member)  # logged in, but the password not confirmed lately

    refused = client.post(
        "/oauth/applications/",
        {
            "name": "Web app",
            "redirect_uris": "https://web.example.com/cb",
            "client_type": "confidential",
            "project": project.pk,
        },
    )

    assert refused.status_code == 403
    body = refused.content.decode()
    assert "Confirm your password, then do it again: nothing was changed." in body
    assert 'name="password"' in body and 'value="/oauth/applications/"' in body
    assert not Application.objects.filter(name="Web app").exists()
    assert not AuditEvent.objects.filter(credential_kind="oauth_application").exists()


@pytest.mark.parametrize(
    "uri",
    ["http://bot.example.com/callback", "http://10.0.0.7/cb", "HTTP://example.org/", "http://[x"],
)
def test_plain_http_redirect_uris_must_be_loopback(as_basic, admin, uri):
    reply = as_basic(admin).post(PATH, body(redirect_uris=[uri]), format="json")

    assert reply.status_code == 400
    assert reply.json()["code"] == "invalid"
    assert "redirect_uris" in reply.json()["errors"]
    assert not Application.objects.exists()


@pytest.mark.parametrize(
    "uri", ["http://127.0.0.1:8765/cb", "http://[::1]:9000/cb", "http://localhost/cb"]
)
def test_loopback_http_redirect_uris_are_allowed(as_basic, admin, uri):
    reply = as_basic(admin).post(PATH, body(redirect_uris=[uri]), format="json")

    assert reply.status_code == 201
    assert reply.json()["redirect_uris"] == [uri]


@pytest.mark.parametrize(
    "uri",
    [
        "http://evil.com\\@127.0.0.1/cb",
        "https://evil.com\\@good.example/cb",
        "https://\uff47\uff4f\uff4f\uff44.example/cb",
        "https://evil.example%2F.good.example/cb",
        "HTTPS://GOOD.example/cb",
        "https://good.example/a/../cb",
    ],
)
def test_registering_a_redirect_uri_a_browser_reads_differently_is_refused(as_basic, admin, uri):
    reply = as_basic(admin).post(PATH, body(redirect_uris=[uri]), format="json")

    assert reply.status_code == 400
    data = reply.json()
    assert data["code"] == "invalid"
    (message,) = data["errors"]["redirect_uris"]
    assert message.startswith("A redirect URI") or message.startswith("An http")
    assert uri not in reply.content.decode()
    assert not Application.objects.exists()
    assert not AuditEvent.objects.filter(credential_kind="oauth_application").exists()


def test_registering_on_the_page_a_redirect_uri_with_a_backslash_is_refused(
    client, member, make_project
):
    project = make_project(leader=member)
    client.force_login(member)
    confirm_password_in(client, member)

    reply = client.post(
        "/oauth/applications/",
        {
            "name": "Web app",
            "redirect_uris": "https://web.example.com/cb http://evil.com\\@127.0.0.1/cb",
            "client_type": "confidential",
            "project": project.pk,
        },
    )

    assert reply.status_code == 400
    assert "A redirect URI must not contain a backslash." in reply.content.decode()
    assert not Application.objects.exists()
    assert not AuditEvent.objects.filter(credential_kind="oauth_application").exists()


@pytest.mark.parametrize("value", [1.5, True, "ID"], ids=["float", "true", "string"])
def test_a_json_project_id_that_is_not_an_integer_registers_nothing(
    as_basic, member, make_project, value
):
    project = make_project(leader=member, members=[member])

    data = body() | {"project": str(project.pk) if value == "ID" else value}

    reply = as_basic(member).post(PATH, data, format="json")

    assert reply.status_code == 400
    assert list(reply.json()["errors"]) == ["project"]
    assert not Application.objects.exists()

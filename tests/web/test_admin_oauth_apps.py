"""The OAuth2 applications page: project leaders for their projects, administrators for any."""

from __future__ import annotations

from html import unescape

import pytest
from django.test import Client
from oauth2_provider.models import Application

from tests.web.conftest import csrf_token, submit_login
from tokenward.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

APPS = "/oauth/applications/"


def logged_in_as(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    assert submit_login(client, user.login, user.raw_password).status_code == 302
    return client


def register(client: Client, project, **fields):
    data = {
        "name": "Report builder",
        "redirect_uris": "https://reports.example.com/callback",
        "client_type": "confidential",
        "project": "" if project is None else project.pk,
        **fields,
    }
    return client.post(APPS, {**data, "csrfmiddlewaretoken": csrf_token(client)})


def test_a_leader_registers_for_their_project_and_sees_the_secret_once(member, make_project):
    project = make_project(leader=member, short_name="REP")
    client = logged_in_as(member)

    response = register(client, project)

    html = response.content.decode()
    app = Application.objects.get()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert app.tokenward_link.project == project
    assert app.client_id in html
    assert "Copy it now: it will not be shown again." in html
    assert "a lost secret means registering the application anew" in html
    assert "REP" in html  # the project column
    assert AuditEvent.objects.filter(credential_kind="oauth_application", actor=member).exists()
    assert "it will not be shown again" not in client.get(APPS).content.decode()


def test_a_leader_cannot_register_for_another_project_or_site_wide(member, outsider, make_project):
    make_project(leader=member)
    other = make_project(leader=outsider)
    client = logged_in_as(member)

    foreign = register(client, other)
    site_wide = register(client, None)

    assert foreign.status_code == 403
    assert "Only a site administrator or the project's leader" in unescape(foreign.content.decode())
    assert site_wide.status_code == 403
    assert not Application.objects.exists()


def test_a_leader_is_offered_only_their_projects(member, outsider, make_project):
    make_project(leader=member, short_name="MINE")
    make_project(leader=outsider, short_name="THEIRS")

    html = logged_in_as(member).get(APPS).content.decode()

    assert "MINE · " in html
    assert "THEIRS" not in html
    assert "None (site-wide)" not in html
    assert 'aria-label="Administration"' not in html  # no admin navigation for them


def test_an_administrator_registers_for_any_project_or_none(admin, outsider, make_project):
    other = make_project(leader=outsider, short_name="ELSE")
    client = logged_in_as(admin)

    for_project = register(client, other, name="Project app")
    site_wide = register(client, None, name="Site app", client_type="public")

    assert for_project.status_code == 200
    assert site_wide.status_code == 200
    assert "A public client has no secret" in site_wide.content.decode()
    assert Application.objects.get(name="Project app").tokenward_link.project == other
    assert Application.objects.get(name="Site app").tokenward_link.project is None
    listing = client.get(APPS).content.decode()
    assert "Site-wide" in listing and "ELSE" in listing
    assert 'aria-label="Administration"' in listing


@pytest.mark.parametrize(
    ("fields", "project_id", "message"),
    [
        ({"redirect_uris": "http://reports.example.com/cb"}, None, "loopback"),
        ({"name": " "}, None, "needs a name"),
        ({}, "999999", "There is no such project."),
        ({}, "x1", "There is no such project."),
    ],
)
def test_bad_requests_keep_the_form_and_write_nothing(admin, fields, project_id, message):
    client = logged_in_as(admin)
    data = {
        "name": "Report builder",
        "redirect_uris": "https://reports.example.com/callback",
        "client_type": "confidential",
        "project": project_id or "",
        **fields,
        "csrfmiddlewaretoken": csrf_token(client),
    }

    response = client.post(APPS, data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Application.objects.exists()


def test_a_post_without_a_csrf_token_is_refused(admin):
    client = logged_in_as(admin)

    response = client.post(
        APPS,
        {"name": "x", "redirect_uris": "https://a.example/cb", "client_type": "confidential"},
    )

    assert response.status_code == 403
    assert not Application.objects.exists()


def test_anonymous_visitors_are_sent_to_the_login_page():
    response = Client().get(APPS)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")

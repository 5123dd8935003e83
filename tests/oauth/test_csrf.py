"""The consent and registration forms are CSRF-protected (security check 17): a page on
another site cannot make a logged-in user authorize an application or register one."""

from __future__ import annotations

import pytest
from django.test import Client
from oauth2_provider.models import Application, Grant

from tests.oauth.conftest import authorize_query, pkce_pair
from tests.web.conftest import csrf_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(member) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    return client


def consent_form(browser: Client, app) -> dict:
    _verifier, challenge = pkce_pair()
    page = browser.get(authorize_query(app, challenge))
    assert page.status_code == 200
    form = page.context["form"]
    return {name: form[name].value() or "" for name in form.fields} | {"allow": "Authorize"}


def test_consent_without_the_csrf_token_is_refused(browser, make_app):
    data = consent_form(browser, make_app())

    answer = browser.post("/oauth/authorize/", data)

    assert answer.status_code == 403
    assert not Grant.objects.exists()


def test_consent_with_the_csrf_token_grants_a_code(browser, make_app):
    data = consent_form(browser, make_app())

    answer = browser.post("/oauth/authorize/", {**data, "csrfmiddlewaretoken": csrf_token(browser)})

    assert answer.status_code == 302
    assert "code=" in answer["Location"]
    assert Grant.objects.count() == 1


def test_registration_without_the_csrf_token_is_refused(browser, admin):
    browser.force_login(admin)
    form = {
        "name": "Forged",
        "redirect_uris": "https://evil.example.com/cb",
        "client_type": "confidential",
    }

    answer = browser.post("/oauth/applications/", form)

    assert answer.status_code == 403
    assert not Application.objects.exists()

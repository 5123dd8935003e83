"""The consent page: shown on every authorization, whatever the client asks."""

from __future__ import annotations

import pytest
from django.test import Client
from oauth2_provider.models import AccessToken, Grant

from tests.oauth.conftest import authorize_query, pkce_pair

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("prompt", ["auto", "force", "none", ""])
def test_a_clients_approval_prompt_auto_cannot_skip_the_consent_page(
    make_app, member, obtain_tokens, prompt
):
    app = make_app()
    obtain_tokens(app, member)  # the application already holds a live token of this user
    browser = Client()
    browser.force_login(member)
    _verifier, challenge = pkce_pair()

    page = browser.get(authorize_query(app, challenge, approval_prompt=prompt))

    assert page.status_code == 200, "no redirect carrying a code without the user's consent"
    assert "Location" not in page
    assert f"Authorize “{app.application.name}”?" in page.content.decode()
    assert not Grant.objects.exists()
    assert AccessToken.objects.count() == 1

"""Security check 12: a new password ends what the old one bought, and only that.

Other browser sessions, 24-hour tokens, service tokens, offline refresh tokens (with the
access tokens they bought) and OAuth2 grants fail; personal access tokens, which stand for
themselves and are listed and revoked one by one, keep working.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.oauth.conftest import make_app, obtain_tokens  # noqa: F401  (fixtures)
from tokenward.accounts import services as accounts
from tokenward.audit.services import ClientInfo
from tokenward.tokens import offline, session
from tokenward.tokens.service import service_token_for

pytestmark = pytest.mark.django_db

ME = "/api/users/me"
CLIENT = ClientInfo(method="test", address="127.0.0.1")


def get(**extra):
    return APIClient().get(ME, **extra)


def test_a_new_password_ends_every_derived_credential(
    member,
    make_app,  # noqa: F811  (the OAuth fixtures, imported above)
    obtain_tokens,  # noqa: F811
    make_token,
):
    browser = Client()
    browser.force_login(member)
    tuleap = session.issue_session_token(member, CLIENT)
    service = service_token_for(member)
    offline_token = offline.issue_offline_token(member, client=CLIENT)
    exchanged = Client().post(
        "/auth/token",
        urlencode({"refresh_token": offline_token.plaintext}),
        content_type="application/x-www-form-urlencoded",
    )
    jwt = exchanged.json()["access_token"]
    oauth = obtain_tokens(make_app(), member)
    personal = make_token(member)
    uses = {
        "session": lambda: browser.get(ME),
        "tuleap": lambda: get(
            HTTP_X_AUTH_TOKEN=tuleap.plaintext, HTTP_X_AUTH_USERID=str(member.pk)
        ),
        "service": lambda: APIClient().get(ME, {"token": service}),
        "jwt": lambda: get(HTTP_AUTHORIZATION=f"Bearer {jwt}"),
        "oauth": lambda: get(HTTP_AUTHORIZATION=f"Bearer {oauth['access_token']}"),
        "personal": lambda: get(HTTP_AUTHORIZATION=f"Bearer {personal.plaintext}"),
    }
    assert {name: use().status_code for name, use in uses.items()} == dict.fromkeys(uses, 200)

    accounts.set_password(member, "another-long-password-7")

    assert {name: use().status_code for name, use in uses.items()} == {
        "session": 401,
        "tuleap": 401,
        "service": 401,
        "jwt": 401,
        "oauth": 401,
        "personal": 200,
    }
    refreshed = Client().post(
        "/auth/token",
        urlencode({"refresh_token": offline_token.plaintext}),
        content_type="application/x-www-form-urlencoded",
    )
    assert refreshed.status_code == 400
    assert refreshed.json()["error"] == "invalid_grant"
    assert offline.list_offline_tokens(member).get().revoked_at is not None

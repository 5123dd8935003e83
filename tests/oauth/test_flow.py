"""A real OAuth2 client (Authlib) runs the code flow with PKCE against a live server."""

from __future__ import annotations

import secrets

import httpx
import pytest
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from django.test import Client
from oauth2_provider.models import AccessToken, RefreshToken

from tests.oauth.conftest import ME, REDIRECT_URI, consent

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]


@pytest.fixture
def session_for(live_server):
    def make(app) -> OAuth2Session:
        return OAuth2Session(
            client_id=app.client_id,
            client_secret=app.secret,
            scope="read write",
            redirect_uri=REDIRECT_URI,
            code_challenge_method="S256",
        )

    return make


def bearer_get(url: str, token: str) -> httpx.Response:
    """GET with this token; the OAuth2 session would replace it with its own."""
    return httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10)


def authorize(live_server, session: OAuth2Session, user) -> dict:
    """Let ``user`` consent in a browser, then exchange the code as the client does."""
    verifier = secrets.token_urlsafe(48)
    url, _state = session.create_authorization_url(
        live_server.url + "/oauth/authorize/", code_verifier=verifier
    )
    browser = Client()
    browser.force_login(user)
    location = consent(browser, url.removeprefix(live_server.url))
    return session.fetch_token(
        live_server.url + "/oauth/token/", authorization_response=location, code_verifier=verifier
    )


def test_code_flow_with_pkce_then_refresh_then_revoke(live_server, make_app, member, session_for):
    app = make_app()
    session = session_for(app)

    token = authorize(live_server, session, member)

    assert token["access_token"].startswith("twa_")
    assert token["refresh_token"].startswith("twr_")
    assert token["token_type"] == "Bearer"
    assert set(token["scope"].split()) == {"read", "write"}
    me = session.get(live_server.url + ME)
    assert me.status_code == 200
    assert me.json()["login"] == member.login
    # Nothing usable at rest: DOT keeps only checksums (RFC 9700 token storage).
    assert list(AccessToken.objects.values_list("token", flat=True)) == [""]
    assert list(RefreshToken.objects.values_list("token", flat=True)) == [""]

    old = dict(token)
    new = session.refresh_token(live_server.url + "/oauth/token/")

    assert new["access_token"] != old["access_token"]
    assert new["refresh_token"] != old["refresh_token"]
    assert new["refresh_token"].startswith("twr_")
    assert session.get(live_server.url + ME).status_code == 200
    stale = bearer_get(live_server.url + ME, old["access_token"])
    assert stale.status_code == 401
    assert stale.json()["code"] == "invalid_token"

    revoked = session.revoke_token(
        live_server.url + "/oauth/revoke_token/",
        token=new["access_token"],
        token_type_hint="access_token",
    )

    assert revoked.status_code == 200
    after = session.get(live_server.url + ME)
    assert after.status_code == 401
    assert after.json() == {"detail": "Invalid token.", "code": "invalid_token"}
    assert 'error="invalid_token"' in after.headers["WWW-Authenticate"]


def test_public_client_flow_needs_no_secret(live_server, make_app, member, session_for):
    app = make_app(client_type="public")
    assert app.secret is None
    session = session_for(app)
    session.token_endpoint_auth_method = "none"

    token = authorize(live_server, session, member)

    assert token["access_token"].startswith("twa_")
    assert session.get(live_server.url + ME).status_code == 200


def test_reusing_a_refresh_token_fails_and_revokes_the_grant(
    live_server, make_app, member, session_for
):
    app = make_app()
    session = session_for(app)
    first = authorize(live_server, session, member)
    second = session.refresh_token(live_server.url + "/oauth/token/")

    with pytest.raises(OAuthError) as reuse:
        session.refresh_token(
            live_server.url + "/oauth/token/", refresh_token=first["refresh_token"]
        )

    assert reuse.value.error == "invalid_grant"
    # The whole family is revoked: the newest pair fails too.
    latest = bearer_get(live_server.url + ME, second["access_token"])
    assert latest.status_code == 401
    with pytest.raises(OAuthError) as again:
        session.refresh_token(
            live_server.url + "/oauth/token/", refresh_token=second["refresh_token"]
        )
    assert again.value.error == "invalid_grant"
    assert not AccessToken.objects.exists()

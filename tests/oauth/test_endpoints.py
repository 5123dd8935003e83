"""Revocation (RFC 7009), introspection (RFC 7662) and the token endpoint's refusals."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from oauth2_provider.models import AccessToken, Grant, RefreshToken

from tests.oauth.conftest import ME, authorize_query, consent, pkce_pair
from tokenward.credentials.format import TokenType, generate

pytestmark = pytest.mark.django_db


def basic(app) -> str:
    pair = f"{app.client_id}:{app.secret}".encode()
    return "Basic " + base64.b64encode(pair).decode()


def revoke(app, token: str, hint: str | None = None):
    data = {"token": token} | ({"token_type_hint": hint} if hint else {})
    return Client().post("/oauth/revoke_token/", data, HTTP_AUTHORIZATION=basic(app))


def introspect(token: str, auth: str | None = None):
    extra = {"HTTP_AUTHORIZATION": auth} if auth else {}
    return Client().post("/oauth/introspect/", {"token": token}, **extra)


def use(token: str):
    return Client().get(ME, HTTP_AUTHORIZATION=f"Bearer {token}")


# --- authorization: PKCE is required, S256 only -----------------------------------------


def authorize_error(member, url: str) -> dict:
    browser = Client()
    browser.force_login(member)
    answer = browser.get(url)
    assert answer.status_code == 302
    return parse_qs(urlsplit(answer["Location"]).query)


def test_authorization_without_pkce_is_refused(make_app, member):
    app = make_app()
    url = authorize_query(app, "x").replace("&code_challenge=x&code_challenge_method=S256", "")

    error = authorize_error(member, url)

    assert error["error"] == ["invalid_request"]
    assert not AccessToken.objects.exists()


def test_plain_pkce_is_refused(make_app, member):
    app = make_app()
    verifier, _ = pkce_pair()
    url = authorize_query(app, verifier, code_challenge_method="plain")
    browser = Client()
    browser.force_login(member)

    location = consent(browser, url)  # DOT refuses "plain" when it would issue the code

    error = parse_qs(urlsplit(location).query)
    assert error["error"] == ["invalid_request"]
    assert "code" not in error
    assert not Grant.objects.exists()


@pytest.mark.parametrize("grant", ["password", "client_credentials"])
def test_other_grants_are_refused(make_app, member, grant):
    app = make_app()
    data = {"grant_type": grant, "username": member.login, "password": member.raw_password}

    reply = Client().post("/oauth/token/", data, HTTP_AUTHORIZATION=basic(app))

    assert reply.status_code in (400, 401)
    assert reply.json()["error"] == "unauthorized_client"
    assert not AccessToken.objects.exists()


def test_token_replies_are_not_cached(make_app, member, obtain_tokens):
    app = make_app()
    tokens = obtain_tokens(app, member)
    reply = Client().post(
        "/oauth/token/",
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        HTTP_AUTHORIZATION=basic(app),
    )

    assert reply.status_code == 200
    assert reply["Cache-Control"] == "no-store"
    assert reply["Pragma"] == "no-cache"


# --- revocation (RFC 7009) --------------------------------------------------------------


def test_revoking_garbage_is_200(make_app):
    app = make_app()

    assert revoke(app, "not-a-token").status_code == 200
    assert revoke(app, generate(TokenType.OAUTH_ACCESS), "access_token").status_code == 200


def test_revoking_another_clients_token_has_no_effect(make_app, member, obtain_tokens):
    mine, theirs = make_app(), make_app()
    tokens = obtain_tokens(theirs, member)

    reply = revoke(mine, tokens["access_token"], "access_token")
    refresh_reply = revoke(mine, tokens["refresh_token"], "refresh_token")

    assert reply.status_code == 200
    assert refresh_reply.status_code == 200
    assert use(tokens["access_token"]).status_code == 200
    assert RefreshToken.objects.filter(revoked__isnull=True).count() == 1


def test_revoking_a_refresh_token_revokes_its_access_token(make_app, member, obtain_tokens):
    app = make_app()
    tokens = obtain_tokens(app, member)

    reply = revoke(app, tokens["refresh_token"], "refresh_token")

    assert reply.status_code == 200
    assert use(tokens["access_token"]).status_code == 401
    assert not AccessToken.objects.exists()


def test_revocation_needs_the_client_to_authenticate(make_app, member, obtain_tokens):
    app = make_app()
    tokens = obtain_tokens(app, member)

    reply = Client().post("/oauth/revoke_token/", {"token": tokens["access_token"]})

    assert reply.status_code == 401
    assert use(tokens["access_token"]).status_code == 200


# --- introspection (RFC 7662) -----------------------------------------------------------


def test_introspection_without_client_authentication_is_401(make_app, member, obtain_tokens):
    app = make_app()
    tokens = obtain_tokens(app, member)

    anonymous = introspect(tokens["access_token"])
    bearer = introspect(tokens["access_token"], f"Bearer {tokens['access_token']}")
    wrong = introspect(tokens["access_token"], basic(app)[:-4] + "AAA=")

    for reply in (anonymous, bearer, wrong):
        assert reply.status_code == 401
        assert reply.json()["error"] == "invalid_client"
        assert reply["WWW-Authenticate"] == 'Basic realm="tokenward"'
        assert tokens["access_token"].encode() not in reply.content


def test_introspection_by_get_is_refused(make_app, member, obtain_tokens):
    app = make_app()
    tokens = obtain_tokens(app, member)

    plain = Client().get("/oauth/introspect/", HTTP_AUTHORIZATION=basic(app))
    query = Client().get(
        f"/oauth/introspect/?token={tokens['access_token']}", HTTP_AUTHORIZATION=basic(app)
    )

    assert plain.status_code == 405
    assert query.status_code == 400  # web paths refuse credentials in the query string
    assert tokens["access_token"].encode() not in query.content


def test_introspection_of_a_live_token(make_app, member, obtain_tokens):
    app = make_app()
    tokens = obtain_tokens(app, member, scope="read")

    reply = introspect(tokens["access_token"], basic(app))

    assert reply.status_code == 200
    body = reply.json()
    assert body["active"] is True
    assert body["scope"] == "read"
    assert body["client_id"] == app.client_id
    assert body["username"] == member.login
    assert reply["Cache-Control"].startswith("max-age=0")


@pytest.mark.parametrize("kind", ["garbage", "unknown", "revoked", "refresh"])
def test_inactive_token_introspects_as_exactly_active_false(make_app, member, obtain_tokens, kind):
    app = make_app()
    tokens = obtain_tokens(app, member)
    if kind == "revoked":
        revoke(app, tokens["access_token"], "access_token")
    token = {
        "garbage": "garbage",
        "unknown": generate(TokenType.OAUTH_ACCESS),
        "revoked": tokens["access_token"],
        "refresh": tokens["refresh_token"],
    }[kind]

    reply = introspect(token, basic(app))

    assert reply.status_code == 200
    assert reply.json() == {"active": False}

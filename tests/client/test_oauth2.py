"""OAuth2Auth against the live provider: refresh once on a 401, keep the rotated token."""

from __future__ import annotations

from datetime import timedelta

import pytest
import tokenward_client as tc
from django.utils import timezone

from tests.client.conftest import ME, login_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]

TOKEN_PATH = "/oauth/token/"


def expire_access_tokens() -> None:
    """Make every access token an hour old, as if that hour had passed (so the server's
    one-second verified-token cache has long forgotten them too)."""
    from oauth2_provider.models import AccessToken

    from tokenward.tokens.verified import verified_tokens

    AccessToken.objects.update(expires=timezone.now() - timedelta(hours=1))
    verified_tokens.clear()


def auth_for(app, tokens: dict, **extra) -> tc.OAuth2Auth:
    return tc.OAuth2Auth(
        tokens["access_token"], tokens["refresh_token"], app.client_id, app.secret, **extra
    )


def test_a_valid_access_token_is_sent_as_bearer_without_refreshing(
    http, recorder, make_app, obtain_tokens, member
):
    app = make_app()
    tokens = obtain_tokens(app, member)
    auth = auth_for(app, tokens)

    response = http.get(ME, auth=auth)

    assert login_of(response) == member.login
    assert response.json()["auth_method"] == "bearer"
    assert recorder.count("POST", TOKEN_PATH) == 0
    assert auth.tokens.access_token == tokens["access_token"]


@pytest.mark.parametrize("client_type", ["confidential", "public"])
def test_an_expired_access_token_is_refreshed_once_and_the_request_retried(
    http, recorder, make_app, obtain_tokens, member, client_type
):
    app = make_app(client_type=client_type)
    assert (app.secret is None) == (client_type == "public")
    tokens = obtain_tokens(app, member)
    seen: list[tc.OAuth2Tokens] = []
    auth = auth_for(app, tokens, on_refresh=seen.append)
    expire_access_tokens()

    response = http.get(ME, auth=auth)

    assert login_of(response) == member.login
    assert recorder.sent == [("GET", ME), ("POST", TOKEN_PATH), ("GET", ME)]
    assert [r.status_code for r in response.history] == [401, 200]
    current = auth.tokens
    assert current.access_token.startswith("twa_")
    assert current.access_token != tokens["access_token"]
    assert current.refresh_token.startswith("twr_")
    assert current.refresh_token != tokens["refresh_token"]  # rotated, and kept
    assert current.expires_in == 3600
    assert set(current.scope.split()) == {"read", "write"}
    assert seen == [current]
    # The next request uses the new token straight away.
    assert login_of(http.get(ME, auth=auth)) == member.login
    assert recorder.count("POST", TOKEN_PATH) == 1


def test_the_rotated_refresh_token_serves_the_next_refresh(
    http, recorder, make_app, obtain_tokens, member
):
    app = make_app()
    auth = auth_for(app, obtain_tokens(app, member))
    expire_access_tokens()
    login_of(http.get(ME, auth=auth))
    expire_access_tokens()

    response = http.get(ME, auth=auth)

    assert login_of(response) == member.login
    assert recorder.count("POST", TOKEN_PATH) == 2


def test_a_refused_refresh_raises_token_refresh_error(http, make_app, obtain_tokens, member):
    app = make_app()
    tokens = obtain_tokens(app, member)
    first = auth_for(app, tokens)
    expire_access_tokens()
    login_of(http.get(ME, auth=first))  # spends tokens["refresh_token"]
    expire_access_tokens()
    stale = auth_for(app, tokens)  # still holds the refresh token that was rotated away

    with pytest.raises(tc.TokenRefreshError) as caught:
        http.get(ME, auth=stale)

    error = caught.value
    assert error.status_code == 400
    assert error.error == "invalid_grant"
    assert tokens["refresh_token"] not in str(error)
    assert tokens["access_token"] not in str(error)


def test_a_wrong_client_secret_is_refused(http, make_app, obtain_tokens, member):
    app = make_app()
    tokens = obtain_tokens(app, member)
    auth = tc.OAuth2Auth(
        tokens["access_token"], tokens["refresh_token"], app.client_id, "not-the-secret"
    )
    expire_access_tokens()

    with pytest.raises(tc.TokenRefreshError) as caught:
        http.get(ME, auth=auth)

    assert caught.value.status_code == 401
    assert caught.value.error == "invalid_client"
    assert "not-the-secret" not in str(caught.value)


def test_without_a_refresh_token_the_401_is_returned(
    http, recorder, make_app, obtain_tokens, member
):
    app = make_app()
    tokens = obtain_tokens(app, member)
    expire_access_tokens()

    response = http.get(ME, auth=tc.OAuth2Auth(tokens["access_token"], None, app.client_id))

    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"
    assert recorder.count("POST", TOKEN_PATH) == 0


def test_a_server_that_keeps_answering_401_gets_one_refresh(
    http, recorder, make_app, obtain_tokens, member
):
    app = make_app()
    auth = auth_for(app, obtain_tokens(app, member))
    recorder.spoil_api = True

    response = http.get(ME, auth=auth)

    assert response.status_code == 401
    assert recorder.sent == [("GET", ME), ("POST", TOKEN_PATH), ("GET", ME)]

"""OfflineTokenAuth against the live server: lazy trade, reuse, proactive and 401 refresh."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
import tokenward_client as tc

from tests.client.conftest import ME, login_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]

TOKEN_PATH = "/auth/token"
TRADE = ("POST", TOKEN_PATH)
GET_ME = ("GET", ME)


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def revoke(issued) -> None:
    from tokenward.audit.services import ClientInfo
    from tokenward.tokens.offline import revoke_offline_token

    assert revoke_offline_token(issued.record, by=None, client=ClientInfo(method="test"))


def expired_jwt(issued) -> str:
    """A JWT this server signed for the token's owner and session, two hours ago."""
    from tokenward.credentials.access_jwt import mint_access_token

    value, _exp = mint_access_token(
        str(issued.record.owner_id), str(issued.record.session_id), now=time.time() - 7200
    )
    return value


def test_the_trade_is_lazy_and_the_access_token_is_reused(
    http, recorder, member, make_offline_token
):
    issued = make_offline_token(member)
    auth = tc.OfflineTokenAuth(issued.plaintext)
    assert auth.access_token is None

    first = http.get(ME, auth=auth)
    second = http.get(ME, auth=auth)

    assert login_of(first) == member.login
    assert first.json()["auth_method"] == "bearer"
    assert login_of(second) == member.login
    assert recorder.sent == [TRADE, GET_ME, GET_ME]
    assert auth.access_token.startswith("eyJ")
    assert second.request.headers["Authorization"] == f"Bearer {auth.access_token}"
    assert auth.refresh_token == issued.plaintext


def test_the_access_token_is_renewed_shortly_before_it_expires(
    http, recorder, member, make_offline_token
):
    clock = FakeClock()
    auth = tc.OfflineTokenAuth(make_offline_token(member).plaintext, clock=clock)
    login_of(http.get(ME, auth=auth))
    first_jwt = auth.access_token

    clock.now += 3600 - 31  # not yet within the 30-second margin
    login_of(http.get(ME, auth=auth))
    assert recorder.sent == [TRADE, GET_ME, GET_ME]

    clock.now += 2  # now within it
    response = http.get(ME, auth=auth)

    assert login_of(response) == member.login
    assert recorder.sent == [TRADE, GET_ME, GET_ME, TRADE, GET_ME]
    assert auth.access_token != first_jwt


def test_an_expired_access_token_is_refreshed_once_and_the_request_retried(
    http, recorder, member, make_offline_token
):
    issued = make_offline_token(member)
    stale = expired_jwt(issued)
    # The client believes its saved token is good for another hour; the server knows better.
    auth = tc.OfflineTokenAuth(issued.plaintext, access_token=stale, expires_in=3600)

    response = http.get(ME, auth=auth)

    assert login_of(response) == member.login
    assert recorder.sent == [GET_ME, TRADE, GET_ME]
    refused = response.history[0]
    assert refused.status_code == 401
    challenge = refused.headers["WWW-Authenticate"]
    assert 'error="invalid_token"' in challenge
    assert 'error_description="The access token expired"' in challenge
    assert auth.access_token != stale


def test_a_post_body_is_sent_again_on_the_retry(
    http, recorder, member, make_offline_token, make_project
):
    from tokenward.tracker.models import UserStory

    project = make_project(members=[member])
    issued = make_offline_token(member)
    auth = tc.OfflineTokenAuth(issued.plaintext, access_token=expired_jwt(issued))
    body = {"name": "retried body", "project_id": project.pk}

    response = http.post("/api/stories/", json=body, auth=auth)

    assert response.status_code == 201, response.text
    assert recorder.sent == [("POST", "/api/stories/"), TRADE, ("POST", "/api/stories/")]
    assert UserStory.objects.filter(project=project, name="retried body").count() == 1


def test_a_revoked_offline_token_raises_invalid_grant(http, recorder, member, make_offline_token):
    issued = make_offline_token(member)
    revoke(issued)
    auth = tc.OfflineTokenAuth(issued.plaintext)

    with pytest.raises(tc.TokenRefreshError) as caught:
        http.get(ME, auth=auth)

    error = caught.value
    assert (error.status_code, error.error) == (400, "invalid_grant")
    assert error.error_description == "This token has been revoked."
    assert issued.plaintext not in str(error)
    assert recorder.sent == [TRADE]  # the API never saw a request


def test_revocation_after_the_trade_raises_on_the_next_refresh(
    http, recorder, member, make_offline_token
):
    issued = make_offline_token(member)
    auth = tc.OfflineTokenAuth(issued.plaintext)
    login_of(http.get(ME, auth=auth))
    revoke(issued)

    with pytest.raises(tc.TokenRefreshError) as caught:
        http.get(ME, auth=auth)

    assert caught.value.error == "invalid_grant"
    assert recorder.sent == [TRADE, GET_ME, GET_ME, TRADE]


def well_formed_unknown_token() -> str:
    from tokenward.credentials.format import TokenType, generate

    return generate(TokenType.OFFLINE)


@pytest.mark.parametrize(
    ("make", "status", "error"),
    [
        (well_formed_unknown_token, 400, "invalid_grant"),
        (lambda: "two_" + "A" * 43, 400, "invalid_grant"),  # fails the format's check
    ],
    ids=["unknown", "malformed"],
)
def test_unknown_or_malformed_offline_tokens_are_refused(http, make, status, error):
    token = make()
    with pytest.raises(tc.TokenRefreshError) as caught:
        http.get(ME, auth=tc.OfflineTokenAuth(token))

    assert (caught.value.status_code, caught.value.error) == (status, error)
    assert token not in str(caught.value)


def test_a_server_that_keeps_answering_401_gets_exactly_one_refresh(
    http, recorder, member, make_offline_token
):
    auth = tc.OfflineTokenAuth(make_offline_token(member).plaintext)
    recorder.spoil_api = True

    response = http.get(ME, auth=auth)

    assert response.status_code == 401
    assert recorder.sent == [TRADE, GET_ME, TRADE, GET_ME]


def test_the_flow_works_with_an_async_client(live_server, member, make_offline_token):
    auth = tc.OfflineTokenAuth(make_offline_token(member).plaintext)
    trades: list[str] = []

    async def note(request: httpx.Request) -> None:
        if request.url.path == TOKEN_PATH:
            trades.append(request.method)

    async def run() -> list[httpx.Response]:
        async with httpx.AsyncClient(
            base_url=live_server.url, timeout=10, event_hooks={"request": [note]}
        ) as client:
            return [await client.get(ME, auth=auth), await client.get(ME, auth=auth)]

    first, second = asyncio.run(run())

    assert login_of(first) == member.login
    assert login_of(second) == member.login
    assert trades == ["POST"]


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (httpx.Response(200, text="<html>proxy login</html>"), "expected a JSON object"),
        (httpx.Response(200, json=["access_token"]), "expected a JSON object"),
        (httpx.Response(200, json={"token_type": "Bearer"}), "no 'access_token' string"),
        (httpx.Response(200, json={"access_token": 42}), "no 'access_token' string"),
    ],
)
def test_an_unusable_token_reply_raises_invalid_response_error(reply, message):
    """Protocol edge cases no real tokenward server produces: a mock answers."""

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == TOKEN_PATH
        return reply

    auth = tc.OfflineTokenAuth("two_" + "B" * 43)
    with (
        httpx.Client(base_url="http://server.test", transport=httpx.MockTransport(handler)) as c,
        pytest.raises(tc.InvalidResponseError, match=message) as caught,
    ):
        c.get(ME, auth=auth)

    assert caught.value.status_code == 200
    assert "B" * 43 not in str(caught.value)


def test_a_non_json_error_reply_still_gives_a_token_refresh_error():
    transport = httpx.MockTransport(lambda request: httpx.Response(502, text="Bad Gateway"))
    with (
        httpx.Client(base_url="http://server.test", transport=transport) as client,
        pytest.raises(tc.TokenRefreshError) as caught,
    ):
        client.get(ME, auth=tc.OfflineTokenAuth("two_" + "C" * 43))

    assert (caught.value.status_code, caught.value.error) == (502, "http_error")


def test_a_token_url_can_be_given(live_server, recorder, member, make_offline_token):
    auth = tc.OfflineTokenAuth(
        make_offline_token(member).plaintext, token_url=live_server.url + TOKEN_PATH
    )
    with httpx.Client(transport=recorder, timeout=10) as client:
        assert login_of(client.get(live_server.url + ME, auth=auth)) == member.login

    assert recorder.sent == [TRADE, GET_ME]

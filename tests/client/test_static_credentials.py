"""Basic, personal tokens in each transport, and Targetprocess service tokens, live."""

from __future__ import annotations

import httpx
import pytest
import tokenward_client as tc

from tests.client.conftest import ME, login_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]


def test_basic_auth_sends_a_utf8_password(http, make_user):
    user = make_user("zoë", password="pässwörd-Ünïcode-42")

    response = http.get(ME, auth=tc.BasicAuth("zoë", "pässwörd-Ünïcode-42"))

    assert login_of(response) == "zoë"
    assert response.json()["auth_method"] == "basic"
    assert user.login == "zoë"


def test_basic_auth_with_a_wrong_password_is_401(http, member):
    response = http.get(ME, auth=tc.BasicAuth(member.login, member.raw_password + "x"))

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    assert response.headers["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize(
    ("transport", "method"),
    [
        ("bearer", "bearer"),
        ("token", "token"),
        ("access_key", "access_key"),
        ("query", "access_token_query"),
    ],
)
def test_personal_token_in_each_transport(http, member, make_token, transport, method):
    token = make_token(member).plaintext

    response = http.get(ME, auth=tc.PersonalToken(token, transport=transport))

    assert login_of(response) == member.login
    assert response.json()["auth_method"] == method


@pytest.mark.parametrize("transport", ["bearer", "token", "access_key", "query"])
def test_unknown_personal_token_is_401_in_each_transport(http, member, make_token, transport):
    token = make_token(member).plaintext
    wrong = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")

    response = http.get(ME, auth=tc.PersonalToken(wrong, transport=transport))

    assert response.status_code == 401
    assert response.json()["code"] in {"invalid_token", "malformed_token"}


def test_query_transport_replaces_an_access_token_already_in_the_url(http, member, make_token):
    token = make_token(member).plaintext

    response = http.get(
        ME, params={"access_token": "stale"}, auth=tc.PersonalToken(token, transport="query")
    )

    assert login_of(response) == member.login
    assert response.request.url.params.get_list("access_token") == [token]


def test_obtain_service_token_with_basic_then_use_it(http, member):
    service = tc.obtain_service_token(http, tc.BasicAuth(member.login, member.raw_password))

    assert isinstance(service, tc.ServiceToken)
    response = http.get(ME, auth=service)
    assert login_of(response) == member.login
    assert response.json()["auth_method"] == "token_query"
    # Targetprocess's own path answers the same user.
    assert http.get("/api/v1/Users/LoggedUser", auth=service).status_code == 200


def test_obtain_service_token_uses_the_clients_auth_by_default(live_server, member):
    auth = tc.BasicAuth(member.login, member.raw_password)
    with httpx.Client(base_url=live_server.url, auth=auth, timeout=10) as client:
        service = tc.obtain_service_token(client)

        assert login_of(client.get(ME, auth=service)) == member.login


def test_obtain_service_token_with_a_wrong_password_raises(http, member):
    with pytest.raises(tc.RefusedError) as caught:
        tc.obtain_service_token(http, tc.BasicAuth(member.login, "wrong-password"))

    assert caught.value.status_code == 401
    assert caught.value.error == "invalid_credentials"
    assert "wrong-password" not in str(caught.value)


def test_wrong_service_token_is_401(http, member):
    service = tc.obtain_service_token(http, tc.BasicAuth(member.login, member.raw_password))
    wrong = tc.ServiceToken(service.token[:-2] + ("xy" if service.token[-2:] != "xy" else "zz"))

    response = http.get(ME, auth=wrong)

    assert response.status_code == 401

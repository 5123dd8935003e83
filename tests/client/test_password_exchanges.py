"""Tuleap's 24-hour tokens and TrialGrid's minted tokens: bought with a login and password."""

from __future__ import annotations

import httpx
import pytest
import tokenward_client as tc

from tests.client.conftest import ME, login_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]


def test_tuleap_token_obtain_use_and_end(http, member):
    token = tc.obtain_tuleap_token(http, member.login, member.raw_password)

    assert token.token.startswith("tws_")
    assert token.user_id == str(member.pk)
    assert token.uri == f"/api/tokens/{token.token}"
    response = http.get(ME, auth=token)
    assert login_of(response) == member.login
    assert response.json()["auth_method"] == "tuleap_token"

    tc.end_tuleap_token(http, token)

    ended = http.get(ME, auth=token)
    assert ended.status_code == 401
    with pytest.raises(tc.RefusedError) as caught:
        tc.end_tuleap_token(http, token)
    assert caught.value.status_code == 401
    assert token.token not in str(caught.value)


def test_tuleap_token_with_the_wrong_user_id_is_401(http, member, admin):
    token = tc.obtain_tuleap_token(http, member.login, member.raw_password)

    response = http.get(ME, auth=tc.TuleapToken(token.token, admin.pk))

    assert response.status_code == 401


def test_tuleap_token_with_a_wrong_password_raises(http, member):
    with pytest.raises(tc.RefusedError) as caught:
        tc.obtain_tuleap_token(http, member.login, "not-the-password")

    assert caught.value.status_code == 401
    assert caught.value.error == "invalid_credentials"
    assert "not-the-password" not in str(caught.value)


def test_tuleap_obtain_ignores_the_clients_own_auth(live_server, member, make_token):
    spoilt = tc.PersonalToken("twp_" + "A" * 40)
    with httpx.Client(base_url=live_server.url, auth=spoilt, timeout=10) as client:
        token = tc.obtain_tuleap_token(client, member.login, member.raw_password)

        assert login_of(client.get(ME, auth=token)) == member.login


def test_trialgrid_token_obtain_use_and_revoke_all(http, member):
    token = tc.obtain_trialgrid_token(http, member.login, member.raw_password)
    second = tc.obtain_trialgrid_token(http, member.login, member.raw_password)

    assert token.token.startswith("twp_")
    assert token.transport == "token"
    assert token.token != second.token
    response = http.get(ME, auth=token)
    assert login_of(response) == member.login
    assert response.json()["auth_method"] == "token"

    assert tc.revoke_trialgrid_tokens(http, member.login, member.raw_password) == 2

    assert http.get(ME, auth=token).status_code == 401
    assert http.get(ME, auth=second).status_code == 401
    assert tc.revoke_trialgrid_tokens(http, member.login, member.raw_password) == 0


def test_trialgrid_with_a_wrong_password_raises(http, member):
    for helper in (tc.obtain_trialgrid_token, tc.revoke_trialgrid_tokens):
        with pytest.raises(tc.RefusedError) as caught:
            helper(http, member.login, "not-the-password")

        assert caught.value.status_code == 400
        assert caught.value.error == "invalid_credentials"
        assert "not-the-password" not in str(caught.value)

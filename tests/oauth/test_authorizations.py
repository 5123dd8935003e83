"""``/api/oauth-authorizations``: the applications a user authorized, and withdrawing one."""

from __future__ import annotations

import pytest
from django.test import Client
from oauth2_provider.models import AccessToken, RefreshToken

from tests.oauth.conftest import ME
from tokenward.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

PATH = "/api/oauth-authorizations"


def bearer_get(token: str):
    return Client().get(ME, HTTP_AUTHORIZATION=f"Bearer {token}")


def refresh(app, tokens: dict):
    return Client().post(
        "/oauth/token/",
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": app.client_id,
            "client_secret": app.secret or "",
        },
    )


def test_lists_the_applications_holding_a_live_token(
    as_basic, make_app, member, outsider, obtain_tokens
):
    first, second, foreign = make_app(), make_app(), make_app()
    obtain_tokens(first, member, "read")
    obtain_tokens(second, member)
    obtain_tokens(foreign, outsider)

    response = as_basic(member).get(PATH)

    assert response.status_code == 200
    body = sorted(response.json(), key=lambda a: a["application_id"])
    assert [a["application_id"] for a in body] == [first.application.pk, second.application.pk]
    assert body[0]["client_id"] == first.client_id
    assert body[0]["name"] == first.application.name
    assert body[0]["scopes"] == ["read"]
    assert body[1]["scopes"] == ["read", "write"]
    assert "twa_" not in response.content.decode() and "twr_" not in response.content.decode()


def test_withdrawing_one_application_revokes_its_tokens_only(
    as_basic, make_app, member, obtain_tokens
):
    withdrawn_app, kept_app = make_app(), make_app()
    withdrawn = obtain_tokens(withdrawn_app, member)
    kept = obtain_tokens(kept_app, member)

    response = as_basic(member).delete(f"{PATH}/{withdrawn_app.application.pk}")

    assert response.status_code == 200
    assert response.json() == {"revoked": 2}  # its refresh token and its access token
    assert bearer_get(withdrawn["access_token"]).status_code == 401
    assert refresh(withdrawn_app, withdrawn).json()["error"] == "invalid_grant"
    assert bearer_get(kept["access_token"]).status_code == 200
    assert refresh(kept_app, kept).status_code == 200
    event = AuditEvent.objects.get(action="revoked", credential_kind="oauth_grant")
    assert event.credential_id == str(withdrawn_app.application.pk)
    assert (event.actor, event.subject, event.method) == (member, member, "api")
    assert as_basic(member).get(PATH).json()[0]["application_id"] == kept_app.application.pk


def test_withdrawing_touches_only_the_callers_tokens(
    as_basic, make_app, member, outsider, obtain_tokens
):
    app = make_app()
    obtain_tokens(app, member)
    theirs = obtain_tokens(app, outsider)

    response = as_basic(member).delete(f"{PATH}/{app.application.pk}")

    assert response.status_code == 200
    assert bearer_get(theirs["access_token"]).status_code == 200
    assert RefreshToken.objects.filter(user=outsider, revoked__isnull=True).count() == 1


@pytest.mark.parametrize("application_id", ["0", "99999999999999999999", "x"])
def test_an_application_without_tokens_of_the_caller_is_not_found(as_basic, member, application_id):
    response = as_basic(member).delete(f"{PATH}/{application_id}")

    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="revoked").exists()


def test_a_new_password_revokes_every_applications_tokens(make_app, member, obtain_tokens):
    from tokenward.accounts import services as accounts

    app = make_app()
    tokens = obtain_tokens(app, member)

    accounts.set_password(member, "another-long-password-7")

    assert bearer_get(tokens["access_token"]).status_code == 401
    assert refresh(app, tokens).json()["error"] == "invalid_grant"
    assert not AccessToken.objects.filter(user=member).exists()
    event = AuditEvent.objects.get(action="revoked", credential_kind="oauth_grant")
    assert (event.actor, event.method, event.reason) == (None, "system", "password")


@pytest.mark.parametrize("field", ["is_active", "can_use_api_tokens"])
def test_deactivation_refuses_without_revoking(make_app, member, obtain_tokens, field):
    tokens = obtain_tokens(make_app(), member)

    setattr(member, field, False)
    member.save(update_fields=[field])
    assert bearer_get(tokens["access_token"]).status_code == 401
    setattr(member, field, True)
    member.save(update_fields=[field])

    assert bearer_get(tokens["access_token"]).status_code == 200

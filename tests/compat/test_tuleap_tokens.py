"""Tuleap ``POST /api/tokens`` and ``DELETE /api/tokens/{token}``: a login and password buy a
24-hour token; every refusal of the login looks the same; the token stays out of the log."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient

from tests.conftest import basic_header
from tokenward.accesslog import RedactingLogger
from tokenward.audit.models import Action, AuditEvent
from tokenward.credentials.digest import token_digest
from tokenward.credentials.format import TokenType, generate, parse
from tokenward.gunicorn_conf import access_log_format
from tokenward.redaction import REDACTED
from tokenward.tokens.models import SessionToken

pytestmark = pytest.mark.django_db

TOKENS = "/api/tokens"
REFUSED = {"detail": "Invalid username or password.", "code": "invalid_credentials"}
NOT_FOUND = {"detail": "There is no such token.", "code": "not_found"}
DEPRECATION = "@1704067200"


def credentials(user, password: str | None = None) -> dict[str, str]:
    return {"username": user.login, "password": password or user.raw_password}


def buy(user) -> dict[str, str]:
    response = APIClient().post(TOKENS, credentials(user), format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def tuleap_client(body: dict[str, str]) -> APIClient:
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_X_AUTH_TOKEN=body["token"], HTTP_X_AUTH_USERID=body["user_id"])
    return client


# --- POST /api/tokens ----------------------------------------------------------------------


def test_post_answers_the_seed_shape_with_no_store(api, member):
    response = api.post(TOKENS, credentials(member), format="json")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert list(body) == ["user_id", "token", "uri"]
    assert body["user_id"] == str(member.pk)
    assert parse(body["token"], TokenType.SESSION).value == body["token"]
    assert body["uri"] == f"/api/tokens/{body['token']}"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"
    assert response.headers["Deprecation"] == DEPRECATION
    assert 'rel="deprecation"' in response.headers["Link"]
    row = SessionToken.objects.get()
    assert (row.owner, row.digest, row.ended_at) == (member, token_digest(body["token"]), None)
    [event] = AuditEvent.objects.filter(action=Action.ISSUED)
    assert (event.credential_kind, event.credential_id, event.method) == (
        "session_token",
        str(row.pk),
        "tuleap_tokens",
    )
    assert (event.actor, event.subject) == (member, member)


def test_the_token_works_as_the_seed_shows(member, private_project):
    body = buy(member)

    response = tuleap_client(body).get(f"/api/projects/{private_project.id}")

    assert response.status_code == 200
    assert response.json()["id"] == private_project.id


def test_each_post_buys_a_new_token(member):
    first, second = buy(member), buy(member)

    assert first["token"] != second["token"]
    assert SessionToken.objects.count() == 2


def test_trailing_slash_and_a_browser_session_without_csrf_token(member, outsider):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(outsider)

    response = client.post(f"{TOKENS}/", credentials(member), format="json")

    assert response.status_code == 200
    assert response.json()["user_id"] == str(member.pk), "the body decides, not the cookie"


@pytest.mark.parametrize(
    "who", ["unknown", "wrong-password", "inactive", "requester", "permission-off"]
)
def test_every_refusal_is_the_same_401(who, api, request, make_user):
    if who == "unknown":
        body = {"username": "nobody-has-this-login", "password": "whatever-1234"}
    elif who == "wrong-password":
        body = credentials(request.getfixturevalue("member"), "wrong-password-1234")
    elif who == "permission-off":
        body = credentials(make_user(can_use_api_tokens=False))
    elif who == "requester":  # with the token permission: the role alone refuses
        body = credentials(make_user(role="requester", can_use_api_tokens=True))
    else:
        body = credentials(request.getfixturevalue(who))

    response = api.post(TOKENS, body, format="json")

    assert response.status_code == 401
    assert response.json() == REFUSED
    assert response.headers["WWW-Authenticate"] == 'X-Auth-Token realm="tokenward"'
    assert not SessionToken.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.ISSUED).exists()


def test_an_unknown_login_costs_a_password_hash_too(api, db, monkeypatch):
    from tests.hashers import FastArgon2PasswordHasher

    calls = []
    real = FastArgon2PasswordHasher.encode
    monkeypatch.setattr(
        FastArgon2PasswordHasher,
        "encode",
        lambda self, *a, **kw: calls.append(1) or real(self, *a, **kw),
    )

    response = api.post(
        TOKENS, {"username": "nobody-has-this-login", "password": "x-1234"}, format="json"
    )

    assert response.status_code == 401
    assert calls, "an unknown login must still run the password hasher"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": "x"}, "username"),
        ({"username": "mwhite"}, "password"),
        ({"username": 12, "password": "x"}, "username"),
        ({"username": "mwhite", "password": ["x"]}, "password"),
        ({"username": "mwhite", "password": ""}, "password"),
    ],
)
def test_a_missing_or_non_string_field_is_400(body, field, api, member):
    response = api.post(TOKENS, body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["errors"]
    assert not SessionToken.objects.exists()


def test_a_token_cannot_buy_a_token(member):
    body = buy(member)

    response = tuleap_client(body).post(TOKENS, {}, format="json")

    assert response.status_code == 400, "the endpoint reads only the body"


# --- DELETE /api/tokens/{token} --------------------------------------------------------------


def test_the_owner_deletes_it_with_itself_and_it_fails_at_once(member):
    body = buy(member)
    client = tuleap_client(body)
    assert client.get("/api/users/me").status_code == 200  # cached

    response = client.delete(body["uri"])

    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["Deprecation"] == DEPRECATION
    after = client.get("/api/users/me")
    assert after.status_code == 401
    assert after.json()["code"] == "token_revoked"
    row = SessionToken.objects.get()
    assert (row.end_reason, row.ended_at is not None) == ("deleted", True)
    [event] = AuditEvent.objects.filter(action=Action.REVOKED)
    assert (event.actor, event.subject, event.method, event.reason) == (
        member,
        member,
        "tuleap_tokens",
        "deleted",
    )


def test_the_owner_deletes_one_token_with_basic_and_the_other_stays(member, as_basic):
    doomed, kept = buy(member), buy(member)

    response = as_basic(member).delete(doomed["uri"])

    assert response.status_code == 204
    assert tuleap_client(doomed).get("/api/users/me").status_code == 401
    assert tuleap_client(kept).get("/api/users/me").status_code == 200
    assert as_basic(member).delete(doomed["uri"]).status_code == 204, "deleting again is a no-op"
    assert AuditEvent.objects.filter(action=Action.REVOKED).count() == 1


def test_an_administrator_deletes_anyones(member, admin, as_basic):
    body = buy(member)

    response = as_basic(admin).delete(body["uri"])

    assert response.status_code == 204
    assert tuleap_client(body).get("/api/users/me").status_code == 401
    [event] = AuditEvent.objects.filter(action=Action.REVOKED)
    assert (event.actor, event.subject) == (admin, member)


@pytest.mark.parametrize(
    "target", ["another user's", "unknown", "malformed", "personal token", "not a token"]
)
def test_another_users_or_an_unknown_token_is_404_alike(target, member, outsider, make_token):
    victim = buy(outsider)
    value = {
        "another user's": victim["token"],
        "unknown": generate(TokenType.SESSION),
        "malformed": victim["token"][:-1] + ("A" if victim["token"][-1] != "A" else "B"),
        "personal token": make_token(member).plaintext,
        "not a token": "abcd",
    }[target]

    response = tuleap_client(buy(member)).delete(f"{TOKENS}/{value}")

    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert not AuditEvent.objects.filter(action=Action.REVOKED).exists()
    assert tuleap_client(victim).get("/api/users/me").status_code == 200


def test_delete_needs_credentials(member):
    body = buy(member)

    response = APIClient().delete(body["uri"])

    assert response.status_code == 401
    assert "WWW-Authenticate" in response.headers
    assert SessionToken.objects.get().ended_at is None


def test_the_get_method_is_not_offered(member):
    body = buy(member)

    response = tuleap_client(body).get(body["uri"])

    assert response.status_code == 405


# --- the token in the URL stays out of the access log ---------------------------------------


def test_the_access_log_redacts_the_token_in_the_path(member):
    body = buy(member)
    logger = RedactingLogger(SimpleNamespace(**_gunicorn_cfg()))
    environ = {
        "REQUEST_METHOD": "DELETE",
        "RAW_URI": f"{body['uri']}?format=json",
        "PATH_INFO": body["uri"],
        "QUERY_STRING": "format=json",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_AUTHORIZATION": basic_header(member.login, member.raw_password),
    }
    request = SimpleNamespace(headers=[])
    response = SimpleNamespace(status="204 No Content", headers=[], sent=0, response_length=0)

    atoms = logger.atoms(response, request, environ, _Duration())

    assert atoms["r"] == f"DELETE /api/tokens/{REDACTED}?format=json HTTP/1.1"
    assert body["token"] not in atoms["r"]
    assert body["token"] not in access_log_format % atoms


class _Duration:
    seconds = 0
    microseconds = 1500


def _gunicorn_cfg() -> dict:
    from gunicorn.config import Config

    return {name: setting.get() for name, setting in Config().settings.items()}

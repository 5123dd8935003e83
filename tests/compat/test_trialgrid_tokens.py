"""TrialGrid ``api-token-auth`` and ``api-token-auth-delete``: a login and password in the
body mint a new token or revoke them all; every refusal looks the same."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from rest_framework.test import APIClient

from tokenward.audit.models import AuditEvent
from tokenward.tokens.models import PersonalAccessToken

pytestmark = pytest.mark.django_db

MINT = "/api/v2/api-token-auth/"
DELETE = "/api/v2/api-token-auth-delete/"
REFUSED = {"detail": "Unable to log in with provided credentials.", "code": "invalid_credentials"}
ENDPOINT_NAME = re.compile(r"^endpoint-[0-9a-f]{8}$")


def credentials(user, password: str | None = None) -> dict[str, str]:
    return {"username": user.login, "password": password or user.raw_password}


def mint(api, user) -> str:
    response = api.post(MINT, credentials(user), format="json")
    assert response.status_code == 200, response.json()
    return response.json()["token"]


def test_each_call_mints_a_new_working_token(
    api, as_token, member, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = api.post(MINT, credentials(member), format="json")
        second = api.post(MINT, credentials(member), format="json")

    for response in (first, second):
        assert response.status_code == 200
        assert list(response.json()) == ["token"]
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Pragma"] == "no-cache"
    tokens = [first.json()["token"], second.json()["token"]]
    assert tokens[0] != tokens[1]
    rows = list(PersonalAccessToken.objects.order_by("id"))
    assert [(r.owner, r.scopes, r.revoked_at) for r in rows] == [
        (member, ["read", "write"], None)
    ] * 2
    assert all(ENDPOINT_NAME.match(r.name) for r in rows)
    assert rows[0].name != rows[1].name
    assert {r.digest for r in rows}.isdisjoint(tokens)
    issued = AuditEvent.objects.filter(action="issued").order_by("id")
    assert [(e.credential_id, e.method, e.actor, e.subject) for e in issued] == [
        (str(r.id), "api_token_auth", member, member) for r in rows
    ]
    assert [m.subject for m in mailoutbox] == [
        f"A new personal access token: {r.name}" for r in rows
    ]
    assert not any(t in m.body for t in tokens for m in mailoutbox)
    for token in tokens:
        response = as_token(token, "token").get("/api/v2/users/")
        assert response.status_code == 200
        assert [u["login"] for u in response.json()] == ["mwhite"]


def test_form_body_and_path_without_trailing_slash(as_token, member):
    client = APIClient(enforce_csrf_checks=True)

    response = client.post(
        MINT.rstrip("/"),
        urlencode(credentials(member)),
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert PersonalAccessToken.objects.get().owner == member
    assert as_token(response.json()["token"], "token").get("/api/users/me").status_code == 200


def test_no_csrf_token_is_needed_even_with_a_session(member):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(member)

    response = browser.post(MINT, credentials(member), format="json")

    assert response.status_code == 200
    assert PersonalAccessToken.objects.count() == 1


def test_a_session_alone_does_not_mint(member):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(member)

    response = browser.post(MINT, {}, format="json")

    assert response.status_code == 400
    assert not PersonalAccessToken.objects.exists()


@pytest.fixture
def system_user(db):
    from tokenward.accounts.models import User
    from tokenward.accounts.services import ensure_bootstrap_accounts

    ensure_bootstrap_accounts("throwaway-admin-pw-1")
    system = User.objects.get(is_system=True)
    system.raw_password = "anything-at-all"
    return system


@pytest.fixture(
    params=["unknown", "wrong-password", "inactive", "requester", "tokens-off", "system"]
)
def refused(request, make_user, make_token, member) -> tuple[dict[str, str], object]:
    """Credentials that must be refused, and a live token of the user they name, if any."""
    case = request.param
    if case == "unknown":
        return {"username": "ghost", "password": member.raw_password}, make_token(member)
    if case == "wrong-password":
        return credentials(member, "not-" + member.raw_password), make_token(member)
    if case == "tokens-off":
        user = make_user("noapi")
        token = make_token(user)
        user.can_use_api_tokens = False
        user.save(update_fields=["can_use_api_tokens"])
        return credentials(user), token
    user = request.getfixturevalue({"system": "system_user"}.get(case, case))
    return credentials(user), make_token(user) if user.can_use_api_tokens else None


@pytest.mark.parametrize("path", [MINT, DELETE])
def test_every_refusal_has_the_same_status_and_body(api, refused, path, mailoutbox):
    body, existing = refused
    before = PersonalAccessToken.objects.count()

    response = api.post(path, body, format="json")

    assert response.status_code == 400
    assert response.json() == REFUSED
    assert PersonalAccessToken.objects.count() == before
    if existing is not None:
        existing.record.refresh_from_db()
        assert existing.record.revoked_at is None
    assert not AuditEvent.objects.filter(action="revoked").exists()
    assert AuditEvent.objects.filter(action="issued").count() == before
    assert mailoutbox == []


@pytest.mark.parametrize("path", [MINT, DELETE])
@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"username": ["This field is required."], "password": ["This field is required."]}),
        (
            {"username": 12, "password": ["x"]},
            {"username": ["Not a valid string."], "password": ["Not a valid string."]},
        ),
        ({"username": "mwhite", "password": ""}, {"password": ["This field may not be blank."]}),
    ],
    ids=["missing", "not-strings", "blank"],
)
def test_malformed_body_is_a_validation_error_naming_the_field(api, member, path, body, errors):
    response = api.post(path, body, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The request is invalid; see errors.",
        "code": "invalid",
        "errors": errors,
    }
    assert not PersonalAccessToken.objects.exists()
    assert not AuditEvent.objects.exists()


def test_delete_revokes_every_live_token_of_the_user(api, as_token, member, outsider, make_token):
    minted = [mint(api, member), mint(api, member)]
    made = make_token(member, name="laptop")
    theirs = make_token(outsider, name="theirs")

    response = api.post(DELETE, credentials(member), format="json")

    assert response.status_code == 200
    assert response.json() == {"revoked": 3}
    assert not PersonalAccessToken.objects.filter(owner=member, revoked_at__isnull=True).exists()
    revoked = AuditEvent.objects.filter(action="revoked")
    assert {(e.method, e.actor, e.subject) for e in revoked} == {("api_token_auth", member, member)}
    assert revoked.count() == 3
    for token in [*minted, made.plaintext]:
        refused = as_token(token, "token").get("/api/v2/users/")
        assert refused.status_code == 401
        assert refused.json() == {"detail": "This token has been revoked.", "code": "token_revoked"}
    assert as_token(theirs.plaintext, "token").get("/api/v2/users/").status_code == 200
    again = api.post(DELETE.rstrip("/"), credentials(member), format="json")
    assert (again.status_code, again.json()) == (200, {"revoked": 0})


def test_get_is_not_allowed(api, member):
    response = api.get(MINT)

    assert response.status_code == 405
    assert not PersonalAccessToken.objects.exists()


def test_endpoints_are_in_the_schema(api):
    response = api.get("/api/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    paths = response.json()["paths"]
    for path in (MINT, DELETE):
        assert "post" in paths[path]
        assert paths[path]["post"]["security"] == [{}]


@pytest.mark.parametrize("path", [MINT, DELETE])
def test_the_system_password_opens_nothing_while_the_login_form_is_disabled(
    api, system_user, settings, path
):
    from tokenward.accounts import services

    services.set_password(system_user, "system-long-password-9", validate=False)
    settings.TOKENWARD = {**settings.TOKENWARD, "LOGIN_FORM_ENABLED": False}

    response = api.post(
        path, {"username": "System", "password": "system-long-password-9"}, format="json"
    )

    assert (response.status_code, response.json()) == (400, REFUSED)
    assert not PersonalAccessToken.objects.exists()
    settings.TOKENWARD = {**settings.TOKENWARD, "LOGIN_FORM_ENABLED": True}
    assert (
        api.post(
            MINT, {"username": "System", "password": "system-long-password-9"}, format="json"
        ).status_code
        == 200
    )

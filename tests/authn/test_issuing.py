"""Who may issue a credential: every issuing API door against every way of authenticating.

One table (door by credential kind → status and code). A refusal is 403 with the house body,
and writes nothing: no token row, no application, no audit event, no e-mail.
"""

from __future__ import annotations

import pytest
from django.core import mail
from oauth2_provider.models import get_application_model
from rest_framework.test import APIClient

from tests.oauth.conftest import REDIRECT_URI, make_app, obtain_tokens  # noqa: F401  (fixtures)
from tests.web.conftest import csrf_token, lapse_confirmation, submit_login
from tokenward.audit.models import AuditEvent
from tokenward.audit.services import ClientInfo
from tokenward.tokens import offline, service, session
from tokenward.tokens.models import OfflineToken, PersonalAccessToken

pytestmark = pytest.mark.django_db

CLIENT = ClientInfo(method="test", address="127.0.0.1")
OK = "ok"
STEP_UP = "step_up_required"
CANNOT = "credential_cannot_issue"

# The doors: what each asks for, and the status it answers when it issues.
DOORS = {
    "create personal token": ("post", "/api/personal-tokens", 201),
    "rotate a personal token": ("post", "/api/personal-tokens/{victim}/rotate", 201),
    "obtain own service token": ("get", "/api/v1/Authentication?format=json", 200),
    "obtain another's service token": (
        "get",
        "/api/v1/Authentication?format=json&login=mwhite",
        200,
    ),
    "register an OAuth2 application": ("post", "/api/oauth-applications", 201),
    "set a user's password": ("post", "/api/users/{member}/password", 204),
}
BODIES = {
    "create personal token": {"name": "minted"},
    "set a user's password": {"password": "Zq8-minted-pw"},
    "register an OAuth2 application": {
        "name": "Minted app",
        "redirect_uris": [REDIRECT_URI],
        "client_type": "confidential",
    },
}

EVERYTHING = dict.fromkeys(DOORS, OK)
LASTING_TOKEN = {
    "create personal token": CANNOT,
    "rotate a personal token": CANNOT,  # another token than the one presented
    "obtain own service token": OK,
    "obtain another's service token": OK,
    "register an OAuth2 application": CANNOT,
    "set a user's password": OK,  # an administrator's automation, as before
}
CASES = {
    "basic": EVERYTHING,
    "session, confirmed": EVERYTHING,
    "session, confirmation lapsed": dict.fromkeys(DOORS, STEP_UP),
    "single sign-on session": EVERYTHING,
    "personal token": LASTING_TOKEN,
    "service token": LASTING_TOKEN,
    "OAuth2 access token": dict.fromkeys(DOORS, CANNOT),
    "JWT access token": dict.fromkeys(DOORS, CANNOT),
    "Tuleap 24-hour token": dict.fromkeys(DOORS, CANNOT),
}
TABLE = [(kind, door, outcome) for kind, row in CASES.items() for door, outcome in row.items()]


class Caller:
    """An API client authenticated one way, and what to add to each request."""

    def __init__(self, user, client: APIClient, *, query: str = "", csrf: bool = False) -> None:
        self.user, self.client, self.query, self.csrf = user, client, query, csrf

    def send(self, method: str, path: str, body: dict | None):
        if self.query:
            path += ("&" if "?" in path else "?") + self.query
        extra = {"HTTP_X_CSRFTOKEN": self.client.cookies["csrftoken"].value} if self.csrf else {}
        return getattr(self.client, method)(path, body, format="json", **extra)


@pytest.fixture
def caller(admin, make_user, make_token, make_app, obtain_tokens):  # noqa: F811
    """Return the administrator ``boss`` (or an SSO administrator) authenticated as ``kind``."""

    def make(kind: str) -> Caller:
        client = APIClient(enforce_csrf_checks=True)
        if kind == "basic":
            client.credentials(HTTP_AUTHORIZATION=basic(admin))
        elif kind.startswith("session"):
            assert submit_login(client, admin.login, admin.raw_password).status_code == 302
            if kind == "session, confirmation lapsed":
                lapse_confirmation(client)
            return Caller(admin, client, csrf=True)
        elif kind == "single sign-on session":
            sso = make_user("sso-boss", role="administrator", account_type="sso", password=None)
            csrf_token(client)
            client.force_login(sso)
            return Caller(sso, client, csrf=True)
        elif kind == "personal token":
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(admin).plaintext}")
        elif kind == "service token":
            value = service.obtain_service_token(admin, admin, CLIENT)
            return Caller(admin, client, query=f"token={value}")
        elif kind == "OAuth2 access token":
            access = obtain_tokens(make_app(), admin)["access_token"]
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
        elif kind == "JWT access token":
            issued = offline.issue_offline_token(admin, client=CLIENT)
            jwt = offline.refresh_access_token(issued.plaintext, CLIENT).value
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {jwt}")
        elif kind == "Tuleap 24-hour token":
            issued = session.issue_session_token(admin, CLIENT)
            client.credentials(HTTP_X_AUTH_TOKEN=issued.plaintext, HTTP_X_AUTH_USERID=str(admin.pk))
        return Caller(admin, client)

    return make


def basic(user) -> str:
    from tests.conftest import basic_header

    return basic_header(user.login, user.raw_password)


def state(member) -> tuple:
    """What issuing writes: token rows, live tokens, applications, audit events, e-mails,
    and ``member``'s password."""
    member.refresh_from_db()
    return (
        member.password,
        PersonalAccessToken.objects.count(),
        PersonalAccessToken.objects.filter(revoked_at__isnull=True).count(),
        get_application_model().objects.count(),
        AuditEvent.objects.exclude(action="failed").count(),
        len(mail.outbox),
    )


@pytest.mark.parametrize(("kind", "door", "outcome"), TABLE)
def test_who_may_issue_a_credential(caller, member, make_token, kind, door, outcome):
    me = caller(kind)
    victim = make_token(me.user, name="victim")
    method, path, issued_status = DOORS[door]
    mail.outbox.clear()
    before = state(member)

    response = me.send(
        method, path.format(victim=victim.record.pk, member=member.pk), BODIES.get(door)
    )

    if outcome == OK:
        assert response.status_code == issued_status, response.content
        assert state(member) != before or door == "obtain own service token"
        return
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == outcome
    assert body["detail"].endswith(".") and len(body) == 2
    if outcome == STEP_UP:
        assert "/profile/confirm-password/" in body["detail"]
    assert state(member) == before
    assert "Token" not in body and "token" not in body


def test_a_personal_token_may_rotate_itself(as_token, admin, make_token):
    token = make_token(admin, name="laptop")

    response = as_token(token.plaintext).post(f"/api/personal-tokens/{token.record.pk}/rotate")

    assert response.status_code == 201
    assert response.json()["token"].startswith("twp_")
    token.record.refresh_from_db()
    assert token.record.revoked_at is not None


def test_an_apps_write_token_cannot_mint_a_personal_token_that_outlives_the_app(caller, admin):
    me = caller("OAuth2 access token")

    response = me.send("post", "/api/personal-tokens", {"name": "forever"})

    assert response.status_code == 403
    assert response.json() == {
        "detail": (
            "A delegated or short-lived credential (an OAuth2 or JWT access token, a 24-hour "
            "token) cannot issue credentials; use your password."
        ),
        "code": "credential_cannot_issue",
    }
    assert not PersonalAccessToken.objects.filter(owner=admin).exists()
    assert not AuditEvent.objects.filter(credential_kind="personal_token").exists()
    assert not mail.outbox


def test_a_session_cookie_without_a_fresh_confirmation_gets_no_service_token(caller):
    me = caller("session, confirmation lapsed")

    response = me.send("get", "/api/v1/Authentication?format=json", None)

    assert response.status_code == 403
    assert response.json() == {
        "detail": (
            "Confirm your password at /profile/confirm-password/ first, then do it again: "
            "nothing was changed."
        ),
        "code": "step_up_required",
    }


def test_basic_authentication_obtains_a_service_token_without_step_up(as_basic, member):
    response = as_basic(member).get("/api/v1/Authentication?format=json")

    assert response.status_code == 200
    assert response.json()["Token"]


# The pages take only the session cookie: the same rule, answered with the confirm form.

PAGE_DOORS = {
    "offline-token page": ("/auth/offline-token", {"name": "minted"}, 200),
    "create personal token page": (
        "/profile/tokens/",
        {"name": "minted", "scopes": ["read"], "expiry": "30"},
        200,
    ),
    "create offline token page": ("/profile/tokens/offline/", {"offline_name": "minted"}, 200),
    "register an OAuth2 application page": (
        "/oauth/applications/",
        {"name": "Minted app", "redirect_uris": REDIRECT_URI, "client_type": "confidential"},
        200,
    ),
    "set another user's password page": (
        "/admin/users/{member}/",
        {"form": "password", "password": "Zq8-minted-pw", "confirmation": "Zq8-minted-pw"},
        302,
    ),
}
PAGE_CASES = {
    "session, confirmed": OK,
    "session, confirmation lapsed": STEP_UP,
    "single sign-on session": OK,
    "OAuth2 access token": "login",  # not a page credential: anonymous, sent to log in
}
PAGE_TABLE = [(kind, door, outcome) for kind, outcome in PAGE_CASES.items() for door in PAGE_DOORS]


def page_state(member) -> tuple:
    return (*state(member), OfflineToken.objects.count())


@pytest.mark.parametrize(("kind", "door", "outcome"), PAGE_TABLE)
def test_who_may_issue_a_credential_on_a_page(caller, member, kind, door, outcome):
    me = caller(kind)
    path, data, issued_status = PAGE_DOORS[door]
    path = path.format(member=member.pk)
    browser = me.client
    if "csrftoken" not in browser.cookies:
        csrf_token(browser)
    mail.outbox.clear()
    before = page_state(member)

    response = browser.post(
        path, {**data, "csrfmiddlewaretoken": browser.cookies["csrftoken"].value}
    )

    if outcome == OK:
        assert response.status_code == issued_status, response.content[-2000:]
        assert page_state(member) != before
        return
    if outcome == STEP_UP:
        assert response.status_code == 403
        body = response.content.decode()
        assert "Confirm your password, then do it again: nothing was changed." in body
        assert f'value="{path}"' in body
    else:
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert page_state(member) == before

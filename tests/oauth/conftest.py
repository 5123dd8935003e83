"""OAuth2 fixtures: registered applications and a browser that gives consent."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client

from tokenward.audit.services import ClientInfo

REDIRECT_URI = "http://127.0.0.1:8765/callback"
ME = "/api/users/me"


@dataclass
class App:
    application: object
    secret: str | None

    @property
    def client_id(self) -> str:
        return self.application.client_id


def pkce_pair() -> tuple[str, str]:
    """Return a PKCE code verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@pytest.fixture
def make_app(db, admin, make_project):
    """Register an authorization-code application (confidential unless told otherwise)."""
    from tokenward.oauth.services import register_application

    def make(*, client_type: str = "confidential", actor=None, project=None) -> App:
        registered = register_application(
            actor or admin,
            name=f"app {secrets.token_hex(3)}",
            redirect_uris=[REDIRECT_URI],
            client_type=client_type,
            project=project or make_project(leader=actor or admin),
            client=ClientInfo(method="test"),
        )
        return App(registered.application, registered.client_secret)

    return make


def consent(browser: Client, authorize_url: str) -> str:
    """Open ``authorize_url`` as the logged-in ``browser``, allow, return the redirect."""
    page = browser.get(authorize_url)
    assert page.status_code == 200, page.content
    form = page.context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data["allow"] = "Authorize"
    answer = browser.post("/oauth/authorize/", data)
    assert answer.status_code == 302, answer.content
    return answer["Location"]


def authorize_query(app: App, challenge: str, scope: str = "read write", **extra: str) -> str:
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": scope,
        "state": secrets.token_urlsafe(8),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    return "/oauth/authorize/?" + urlencode(params)


def authorization_code(app: App, user, scope: str = "read write") -> tuple[str, str]:
    """Let ``user`` consent in a browser; return the code and its PKCE verifier."""
    browser = Client()
    browser.force_login(user)
    verifier, challenge = pkce_pair()
    location = consent(browser, authorize_query(app, challenge, scope))
    return parse_qs(urlsplit(location).query)["code"][0], verifier


def exchange(app: App, code: str, verifier: str, **headers: str):
    """Trade ``code`` at the token endpoint as ``app`` would; return the reply."""
    return Client(**headers).post(
        "/oauth/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": app.client_id,
            "client_secret": app.secret or "",
            "code_verifier": verifier,
        },
    )


@pytest.fixture
def obtain_tokens(db):
    """Run the whole code flow in process for ``user``; return the token endpoint's JSON."""

    def obtain(app: App, user, scope: str = "read write") -> dict:
        reply = exchange(app, *authorization_code(app, user, scope))
        assert reply.status_code == 200, reply.content
        return reply.json()

    return obtain

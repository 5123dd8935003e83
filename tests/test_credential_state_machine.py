"""Every credential kind works exactly when the rules say, whatever happened before.

A hypothesis state machine issues credentials of every kind to one user through the real
services and endpoints, uses them through the API (``GET /api/users/me``), revokes them,
changes the user's password, deactivates and reactivates the user and switches their
"Can use API tokens" permission, in any order. A small model says after each step which
credentials must work (DESIGN.md, "Rules every credential obeys"; security checks 12, 13):

- a password change ends sessions, 24-hour tokens, service tokens, offline tokens (and the
  JWTs they bought) and OAuth2 grants, and the old password; personal access tokens stay;
- a deactivated user's credentials all fail and come back with reactivation, except the
  24-hour tokens and the browser sessions, which deactivation ends for good;
- with the token permission off every token fails (and comes back when it is switched on);
  the password and the browser session do not depend on it;
- a revoked credential fails for good.

Each change is made in this process, so the verified-token cache must drop what it holds
at once: the machine never sleeps, and any stale answer is a failure.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.conftest import basic_header, new_password
from tests.oauth.conftest import make_app, obtain_tokens  # noqa: F401  (fixtures)
from tokenward.accounts import services as accounts
from tokenward.accounts.models import User
from tokenward.audit.services import ClientInfo
from tokenward.tokens import offline, session
from tokenward.tokens.personal import issue_personal_token, revoke_personal_token
from tokenward.tokens.service import service_token_for

pytestmark = pytest.mark.django_db

ME = "/api/users/me"
TEST = ClientInfo(method="test", address="127.0.0.1")
PAT_TRANSPORTS = ("bearer", "token", "access_key", "access_token")
# Credentials that stand for the password they were bought with.
ENDED_BY_PASSWORD = frozenset({"session", "service", "tuleap", "offline", "oauth"})
# Credentials that the "Can use API tokens" permission governs.
TOKENS = frozenset({"pat", "service", "tuleap", "offline", "jwt", "oauth"})
_logins = itertools.count(1)


@dataclass(eq=False)
class Credential:
    """One issued credential and what the model knows of it."""

    kind: str
    secret: str = ""
    browser: Client | None = None
    record: Any = None
    password: str = ""  # Basic: the password it carries
    parent: Credential | None = None  # a JWT's offline token
    revoked: bool = False
    uses: list[int] = field(default_factory=list)

    def __repr__(self) -> str:  # hypothesis prints steps; never a secret
        return f"<{self.kind}{' revoked' if self.revoked else ''}>"


class CredentialLifecycle(RuleBasedStateMachine):
    """The model: one user, their state, and every credential they were given."""

    # Set by the test: the OAuth2 application, the code flow, and an administrator.
    context: dict[str, Any] = {}

    credentials = Bundle("credentials")
    offline_tokens = Bundle("offline_tokens")

    @initialize()
    def new_user(self) -> None:
        self.password = new_password()
        self.user = accounts.create_user(f"lifecycle{next(_logins)}", password=self.password)
        self.active = True
        self.may_use_tokens = True
        self.issued: list[Credential] = []

    def keep(self, credential: Credential) -> Credential:
        """Remember ``credential`` and check it: a credential just issued works."""
        self.issued.append(credential)
        self.check(credential, "bearer")
        return credential

    # --- the model --------------------------------------------------------------------

    def should_work(self, credential: Credential) -> bool:
        if credential.revoked or not self.active:
            return False
        if credential.parent is not None and not self.should_work(credential.parent):
            return False
        if credential.kind in TOKENS and not self.may_use_tokens:
            return False
        if credential.kind == "basic":
            return credential.password == self.password
        return True

    def fresh_user(self) -> User:
        return User.objects.get(pk=self.user.pk)

    def usable_for_tokens(self) -> bool:
        return self.active and self.may_use_tokens

    # --- issue ------------------------------------------------------------------------

    @precondition(lambda self: self.active)
    @rule(target=credentials)
    def remember_the_password(self) -> Credential:
        return self.keep(Credential("basic", password=self.password))

    @precondition(lambda self: self.active)
    @rule(target=credentials)
    def log_in_a_browser(self) -> Credential:
        browser = Client()
        assert browser.login(username=self.user.login, password=self.password)
        return self.keep(Credential("session", browser=browser))

    @precondition(usable_for_tokens)
    @rule(target=credentials)
    def create_personal_token(self) -> Credential:
        issued = issue_personal_token(
            self.fresh_user(), name=f"pat {self.user.personal_tokens.count()}", client=TEST
        )
        return self.keep(Credential("pat", secret=issued.plaintext, record=issued.record))

    @precondition(usable_for_tokens)
    @rule(target=credentials)
    def obtain_service_token(self) -> Credential:
        return self.keep(Credential("service", secret=service_token_for(self.fresh_user())))

    @precondition(usable_for_tokens)
    @rule(target=credentials)
    def obtain_24_hour_token(self) -> Credential:
        issued = session.issue_session_token(self.fresh_user(), TEST)
        return self.keep(Credential("tuleap", secret=issued.plaintext, record=issued.record))

    @precondition(usable_for_tokens)
    @rule(target=credentials)
    def obtain_oauth2_token(self) -> Credential:
        tokens = self.context["obtain_tokens"](self.context["app"], self.fresh_user())
        return self.keep(Credential("oauth", secret=tokens["access_token"]))

    @precondition(usable_for_tokens)
    @rule(target=offline_tokens)
    def create_offline_token(self) -> Credential:
        issued = offline.issue_offline_token(self.fresh_user(), client=TEST)
        return self.keep(Credential("offline", secret=issued.plaintext, record=issued.record))

    @rule(target=credentials, parent=offline_tokens)
    def trade_offline_token_for_jwt(self, parent: Credential):
        reply = Client().post(
            "/auth/token",
            urlencode({"refresh_token": parent.secret}),
            content_type="application/x-www-form-urlencoded",
        )
        if not self.should_work(parent):
            assert reply.status_code == 400, reply.content
            assert reply.json()["error"] == "invalid_grant"
            return multiple()
        assert reply.status_code == 200, reply.content
        return self.keep(Credential("jwt", secret=reply.json()["access_token"], parent=parent))

    # --- use --------------------------------------------------------------------------

    @rule(credential=credentials, transport=st.sampled_from(PAT_TRANSPORTS))
    def use(self, credential: Credential, transport: str) -> None:
        self.check(credential, transport)

    @rule(transport=st.sampled_from(PAT_TRANSPORTS))
    def use_every_credential(self, transport: str) -> None:
        for credential in self.issued:
            if credential.kind != "offline":
                self.check(credential, transport)

    def check(self, credential: Credential, transport: str) -> None:
        """Send ``credential`` and assert it works exactly when the model says."""
        if credential.kind == "offline":
            return  # presented only to /auth/token: see use_offline_token
        reply = self.send(credential, transport)
        credential.uses.append(reply.status_code)
        if self.should_work(credential):
            assert reply.status_code == 200, (credential, reply.content)
            assert reply.json()["login"] == self.user.login
        else:
            # A credential that cannot be used is a 401 naming the schemes, never a 403.
            assert reply.status_code == 401, (credential, reply.status_code, reply.content)
            assert reply["WWW-Authenticate"]
            assert reply.json()["code"]

    @rule(credential=offline_tokens)
    def use_offline_token(self, credential: Credential) -> None:
        """An offline token is presented only to ``/auth/token``: the trade is its use."""
        self.trade_offline_token_for_jwt(credential)

    def send(self, credential: Credential, transport: str):
        kind, secret = credential.kind, credential.secret
        if kind == "session":
            return credential.browser.get(ME, HTTP_ACCEPT="application/json")
        headers: dict[str, str] = {}
        query: dict[str, str] = {}
        if kind == "basic":
            headers["HTTP_AUTHORIZATION"] = basic_header(self.user.login, credential.password)
        elif kind == "service":
            query["token"] = secret
        elif kind == "tuleap":
            headers.update(HTTP_X_AUTH_TOKEN=secret, HTTP_X_AUTH_USERID=str(self.user.pk))
        elif kind == "pat" and transport == "token":
            headers["HTTP_AUTHORIZATION"] = f"Token {secret}"
        elif kind == "pat" and transport == "access_key":
            headers["HTTP_X_AUTH_ACCESSKEY"] = secret
        elif kind == "pat" and transport == "access_token":
            query["access_token"] = secret
        else:  # a PAT, a JWT or an OAuth2 access token as a Bearer token
            headers["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
        return Client().get(ME, query, HTTP_ACCEPT="application/json", **headers)

    # --- revoke -----------------------------------------------------------------------

    @rule(credential=st.one_of(credentials, offline_tokens))
    def revoke(self, credential: Credential) -> None:
        """Revoke it the way its kind is revoked; the password, a service token and a JWT
        have no revocation of their own (a password change, its offline token's)."""
        kind = credential.kind
        if kind == "session":
            credential.browser.logout()
        elif kind == "pat":
            revoke_personal_token(credential.record, by=self.fresh_user(), client=TEST)
        elif kind == "tuleap":
            session.end_session_token(credential.record, by=None, client=TEST, reason="test")
        elif kind == "offline":
            offline.revoke_offline_token(credential.record, by=self.fresh_user(), client=TEST)
        elif kind == "oauth":
            app = self.context["app"]
            reply = Client().post(
                "/oauth/revoke_token/",
                {"token": credential.secret},
                HTTP_AUTHORIZATION=basic_header(app.client_id, app.secret),
            )
            assert reply.status_code == 200, reply.content
        else:
            return
        credential.revoked = True

    # --- change the account -----------------------------------------------------------

    @rule()
    def change_password(self) -> None:
        self.password = new_password()
        accounts.set_password(self.fresh_user(), self.password)
        for credential in self.every_credential():
            if credential.kind in ENDED_BY_PASSWORD:
                credential.revoked = True

    @precondition(lambda self: self.active)
    @rule()
    def deactivate(self) -> None:
        accounts.set_active(self.fresh_user(), False)
        self.active = False
        for credential in self.every_credential():
            if credential.kind in ("tuleap", "session"):
                credential.revoked = True

    @precondition(lambda self: not self.active)
    @rule()
    def reactivate(self) -> None:
        accounts.set_active(self.fresh_user(), True)
        self.active = True

    @rule(allowed=st.booleans())
    def switch_token_permission(self, allowed: bool) -> None:
        accounts.update_account(
            self.fresh_user(),
            {"can_use_api_tokens": allowed},
            by=self.context["admin"],
            client=TEST,
        )
        self.may_use_tokens = allowed

    def every_credential(self) -> list[Credential]:
        return self.issued


MACHINE_SETTINGS = settings(
    max_examples=60,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(autouse=True)
def _no_lockout(settings):
    """Stale passwords are sent on purpose: judge each by itself (401), not by the count of
    failures before it (429), which the lockout's own tests cover."""
    settings.TOKENWARD = {
        **getattr(settings, "TOKENWARD", {}),
        "LOCKOUT_ACCOUNT_FAILURES": 1_000_000,
        "LOCKOUT_ACCOUNT_TOTAL_FAILURES": 1_000_000,
        "LOCKOUT_ADDRESS_FAILURES": 1_000_000,
    }


def test_every_credential_works_exactly_when_the_rules_say(
    admin,
    make_app,  # noqa: F811  (the OAuth fixtures, imported above)
    obtain_tokens,  # noqa: F811
):
    CredentialLifecycle.context = {
        "app": make_app(),
        "obtain_tokens": obtain_tokens,
        "admin": admin,
    }
    run_state_machine_as_test(CredentialLifecycle, settings=MACHINE_SETTINGS)

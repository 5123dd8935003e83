"""Shared fixtures: factories for users, projects and stories; credentials made at run time."""

from __future__ import annotations

import base64
import itertools
import os
import secrets
import socket
import tempfile

# Settings read the data folder at import: give the test run its own throw-away one.
os.environ.setdefault("TOKENWARD_DATA_DIR", tempfile.mkdtemp(prefix="tokenward-test-"))

import pytest
from rest_framework.test import APIClient

# The lockout's shared fixtures (small_limits, hashes, clock), for every password endpoint.
pytest_plugins = ["tests.lockout"]

_counter = itertools.count(1)


def new_password() -> str:
    """Return a fresh throw-away password that passes the password validators."""
    return f"pw-{secrets.token_urlsafe(12)}"


def basic_header(login: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()


def confirm_password_in(client, user) -> None:
    """Give ``client``'s session a fresh password confirmation (step-up) for ``user``, as the
    confirm page or a log-in through the form records one."""
    from tokenward.authn.issuing import record_proof

    session = client.session
    record_proof(session, user)
    session.save()


def service_answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture
def make_user(db):
    """Create a user; ``user.raw_password`` holds its throw-away password (None: unusable)."""
    from tokenward.accounts import services

    def make(login: str | None = None, *, password: str | bool | None = True, **fields):
        raw = new_password() if password is True else (password or None)
        user = services.create_user(login or f"user{next(_counter)}", **fields)
        if raw is not None:
            user.set_password(raw)
            user.save(update_fields=["password"])
        user.raw_password = raw
        return user

    return make


@pytest.fixture
def admin(make_user):
    return make_user("boss", role="administrator", full_name="Big Boss", email="boss@example.com")


@pytest.fixture
def member(make_user):
    return make_user("mwhite", full_name="Mary White", email="mwhite@example.com")


@pytest.fixture
def outsider(make_user):
    return make_user("stranger", full_name="Some Stranger")


@pytest.fixture
def requester(make_user):
    return make_user("asker", role="requester")


@pytest.fixture
def inactive(make_user):
    user = make_user("gone")
    user.is_active = False
    user.save(update_fields=["is_active"])
    return user


@pytest.fixture
def make_project(db):
    from tokenward.tracker.models import Project

    def make(*, members=(), public: bool = False, leader=None, created_by=None, **fields):
        n = next(_counter)
        project = Project.objects.create(
            name=fields.pop("name", f"Project {n}"),
            short_name=fields.pop("short_name", f"P{n}"),
            is_public=public,
            leader=leader,
            created_by=created_by,
            **fields,
        )
        project.members.set(members)
        return project

    return make


@pytest.fixture
def make_story(db):
    from tokenward.tracker.models import UserStory

    def make(project, *, owner=None, **fields):
        n = next(_counter)
        return UserStory.objects.create(
            project=project, owner=owner, name=fields.pop("name", f"Story {n}"), **fields
        )

    return make


@pytest.fixture
def private_project(make_project, member, admin):
    return make_project(
        name="Secret Project", short_name="SEC", members=[member], leader=admin, created_by=admin
    )


@pytest.fixture
def public_project(make_project, admin):
    return make_project(
        name="Open Project", short_name="OPEN", public=True, leader=admin, created_by=admin
    )


@pytest.fixture
def api():
    """An API client with no credentials and CSRF checks on, as browsers get them."""
    return APIClient(enforce_csrf_checks=True)


@pytest.fixture
def as_basic(api):
    """Return a client that sends Basic credentials for ``user``."""

    def client(user, password: str | None = None) -> APIClient:
        c = APIClient(enforce_csrf_checks=True)
        c.credentials(HTTP_AUTHORIZATION=basic_header(user.login, password or user.raw_password))
        return c

    return client


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Hash passwords with Argon2 at its lowest cost: the suite creates hundreds of users."""
    settings.PASSWORD_HASHERS = ["tests.hashers.FastArgon2PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_token_state():
    """Each test starts with no verified-token cache entries and no pending last uses."""
    from tokenward.tokens.personal import last_use_recorder
    from tokenward.tokens.verified import verified_tokens

    verified_tokens.clear()
    last_use_recorder().reset()
    yield
    verified_tokens.clear()


@pytest.fixture(autouse=True)
def _fresh_site_settings():
    """Each test reads the site settings from its own database, not a cached earlier row."""
    from tokenward.accounts import site

    site.forget_cached()
    yield
    site.forget_cached()


@pytest.fixture
def make_token(db):
    """Issue a personal access token; the result has ``.record`` and ``.plaintext``."""
    from tokenward.audit.services import ClientInfo
    from tokenward.tokens.personal import issue_personal_token

    def make(owner, *, name: str | None = None, **fields):
        client = fields.pop("client", ClientInfo(method="test", address="127.0.0.1"))
        return issue_personal_token(
            owner, name=name or f"token {next(_counter)}", client=client, **fields
        )

    return make


@pytest.fixture
def as_token(api):
    """Return a client that sends ``token`` in the given transport (default Bearer)."""

    def client(token: str, transport: str = "bearer") -> APIClient:
        c = APIClient(enforce_csrf_checks=True)
        if transport == "bearer":
            c.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        elif transport == "token":
            c.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        elif transport == "access_key":
            c.credentials(HTTP_X_AUTH_ACCESSKEY=token)
        else:
            raise ValueError(f"unknown transport {transport!r}")
        return c

    return client

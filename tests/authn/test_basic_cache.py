"""Basic's verified-password cache: a repeated correct password skips the hash, nothing else.

The bound under test: an entry is trusted for ``VERIFIED_TOKEN_CACHE_SECONDS`` (1 s by
default) after it was stored; a change made in this process drops it at once.
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import basic_header, new_password
from tests.hashers import CountingArgon2PasswordHasher
from tokenward.accounts import services as accounts
from tokenward.accounts import site
from tokenward.accounts.models import User
from tokenward.audit.services import ClientInfo
from tokenward.authn import basic_cache
from tokenward.authn.basic_cache import credential_key, verified_passwords
from tokenward.credentials.digest import token_digest

pytestmark = pytest.mark.django_db

ME = "/api/users/me"
BOUND = 1.0  # VERIFIED_TOKEN_CACHE_SECONDS's default
GENERIC = {"detail": "Invalid username or password.", "code": "invalid_credentials"}
REQUESTER = {
    "detail": "Requester accounts are not granted access to the API.",
    "code": "api_access_denied",
}
BASIC_DISABLED = {
    "detail": "Basic authentication is disabled for the System user while the login form is "
    "disabled for single sign-on; use a token instead.",
    "code": "basic_disabled",
}


@pytest.fixture(autouse=True)
def hashing(settings):
    """The hashes computed during the test, in order; the cache starts empty."""
    settings.PASSWORD_HASHERS = ["tests.hashers.CountingArgon2PasswordHasher"]
    verified_passwords.clear()
    calls = CountingArgon2PasswordHasher.calls
    calls.clear()
    yield calls
    verified_passwords.clear()


@pytest.fixture
def clock():
    """The clock, stopped; ``clock.shift(seconds)`` moves it."""
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False) as traveller:
        yield traveller


def get_me(api, login: str, password: str):
    return api.get(ME, HTTP_AUTHORIZATION=basic_header(login, password))


def warmed(api, user, hashing) -> None:
    """Authenticate ``user`` once, so that their credentials are cached; forget the hashes."""
    hashing.clear()  # those of making the users
    assert get_me(api, user.login, user.raw_password).status_code == 200
    assert hashing == ["verify"]
    hashing.clear()


def test_the_second_request_does_no_hashing_and_no_more_queries_than_a_token(
    api, member, make_token, hashing, django_assert_num_queries
):
    token = make_token(member).plaintext
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert api.get(ME, **bearer).status_code == 200  # the token's entry is cached too
    with CaptureQueriesContext(connection) as token_queries:
        assert api.get(ME, **bearer).status_code == 200
    warmed(api, member, hashing)

    with django_assert_num_queries(len(token_queries)):
        second = get_me(api, member.login, member.raw_password)

    assert second.status_code == 200
    assert second.json()["login"] == member.login
    assert second.json()["auth_method"] == "basic"
    assert hashing == [], "the second request must not hash the password again"


def test_a_wrong_password_after_a_cached_right_one_still_hashes_and_fails(api, member, hashing):
    warmed(api, member, hashing)

    response = get_me(api, member.login, "not-the-password")

    assert response.status_code == 401
    assert response.json() == GENERIC
    assert response.headers["WWW-Authenticate"].startswith('Basic realm="tokenward"')
    assert hashing == ["verify"]
    assert get_me(api, member.login, member.raw_password).status_code == 200
    assert hashing == ["verify"], "the right password stays cached"


def test_failures_are_never_cached_each_costs_a_hash(api, member, hashing):
    hashing.clear()
    for _ in range(3):
        assert get_me(api, member.login, "not-the-password").json() == GENERIC
        assert get_me(api, "nobody-has-this-login", "whatever").json() == GENERIC

    assert hashing == ["verify", "encode"] * 3
    assert verified_passwords.keys() == []


def test_a_password_changed_in_this_process_refuses_the_old_one_at_once(api, member, hashing):
    warmed(api, member, hashing)
    new = new_password()

    accounts.set_password(member, new)
    old = get_me(api, member.login, member.raw_password)

    assert old.status_code == 401
    assert old.json() == GENERIC
    assert hashing[-1] == "verify", "the old password was checked against the new hash"
    assert get_me(api, member.login, new).status_code == 200


def test_a_password_changed_on_another_server_is_honoured_within_the_bound(
    api, member, hashing, clock
):
    warmed(api, member, hashing)
    # Another server: the row changes and no signal reaches this process.
    User.objects.filter(pk=member.pk).update(password=make_password(new_password()))
    hashing.clear()

    clock.shift(BOUND - 0.1)
    before = get_me(api, member.login, member.raw_password)
    clock.shift(0.1)
    after = get_me(api, member.login, member.raw_password)

    assert before.status_code == 200, "within the bound the cached entry is trusted"
    assert after.status_code == 401
    assert after.json() == GENERIC
    assert hashing == ["verify"], "past the bound the password is checked afresh"


def test_a_deactivation_on_another_server_is_honoured_within_the_bound(api, member, hashing, clock):
    warmed(api, member, hashing)
    User.objects.filter(pk=member.pk).update(is_active=False)

    clock.shift(BOUND)
    response = get_me(api, member.login, member.raw_password)

    assert response.status_code == 401
    assert response.json() == GENERIC


@pytest.mark.parametrize(
    ("change", "status", "body"),
    [
        ({"is_active": False}, 401, GENERIC),
        ({"role": "requester"}, 401, REQUESTER),
    ],
    ids=["deactivated", "requester"],
)
def test_a_state_change_in_this_process_refuses_the_cached_owner_at_once(
    api, member, hashing, change, status, body
):
    warmed(api, member, hashing)

    for field, value in change.items():
        setattr(member, field, value)
    member.save(update_fields=list(change))
    response = get_me(api, member.login, member.raw_password)

    assert response.status_code == status
    assert response.json() == body
    assert verified_passwords.keys() == [], "a refused owner leaves nothing cached"


def test_the_live_checks_run_on_every_hit_even_when_no_signal_dropped_the_entry(
    api, member, hashing
):
    warmed(api, member, hashing)
    # Change the cached copy itself, as a stale-but-fresh entry would look: the checks
    # that run on each hit must refuse it without the password being hashed.
    (entry,) = verified_passwords._entries.values()
    entry[1].owner.role = "requester"

    response = get_me(api, member.login, member.raw_password)

    assert response.status_code == 401
    assert response.json() == REQUESTER
    assert hashing == []
    assert verified_passwords.keys() == []


def test_switching_the_login_form_off_refuses_the_cached_system_user_at_once(
    api, admin, settings, hashing
):
    settings.TOKENWARD = {**settings.TOKENWARD, "SSO_HEADER": "HTTP_X_REMOTE_USER"}
    accounts.ensure_bootstrap_accounts(new_password())
    system = accounts.find_user("System")
    system.raw_password = new_password()
    accounts.set_password(system, system.raw_password)
    warmed(api, system, hashing)

    site.set_login_form_enabled(False, by=admin, client=ClientInfo(method="test", address="::1"))
    response = get_me(api, "System", system.raw_password)

    assert response.status_code == 401
    assert response.json() == BASIC_DISABLED
    assert hashing == [], "the login form is a live check on the cached owner"


def test_a_deleted_user_is_refused_at_once(api, member, hashing):
    warmed(api, member, hashing)

    User.objects.get(pk=member.pk).delete()
    response = get_me(api, member.login, member.raw_password)

    assert response.status_code == 401
    assert response.json() == GENERIC


def test_another_password_for_the_same_login_is_another_key(api, make_user, hashing):
    user = make_user("twice")
    warmed(api, user, hashing)

    other = credential_key(user.login, user.raw_password + "x")

    assert other != credential_key(user.login, user.raw_password)
    assert credential_key("twic", "e:" + user.raw_password) != credential_key(
        user.login, user.raw_password
    )
    assert verified_passwords.keys() == [credential_key(user.login, user.raw_password)]


def test_the_cache_key_is_a_keyed_digest_never_the_plaintext(api, member, hashing, settings):
    warmed(api, member, hashing)

    (key,) = verified_passwords.keys()
    message = b"basic:" + member.login.encode() + b"\0" + member.raw_password.encode()
    server_key = settings.TOKENWARD["TOKEN_DIGEST_KEY"].encode()

    assert member.raw_password not in key
    assert member.login not in key
    assert key == hmac.digest(server_key, message, "sha256").hex()
    assert key != token_digest(f"{member.login}:{member.raw_password}"), "own purpose label"
    (entry,) = verified_passwords._entries.values()
    assert member.raw_password not in repr(entry)


def test_the_cache_holds_at_most_its_size_the_oldest_stored_out_first(
    api, make_user, hashing, settings
):
    settings.TOKENWARD = {**settings.TOKENWARD, "VERIFIED_TOKEN_CACHE_SIZE": 3}
    users = [make_user() for _ in range(5)]

    for user in users:
        assert get_me(api, user.login, user.raw_password).status_code == 200

    assert verified_passwords.keys() == [
        credential_key(u.login, u.raw_password) for u in users[-3:]
    ]
    hashing.clear()
    assert get_me(api, users[0].login, users[0].raw_password).status_code == 200
    assert hashing == ["verify"], "an evicted entry is verified afresh"


def test_a_zero_bound_turns_the_cache_off(api, member, hashing, settings):
    settings.TOKENWARD = {**settings.TOKENWARD, "VERIFIED_TOKEN_CACHE_SECONDS": 0}
    hashing.clear()

    for _ in range(2):
        assert get_me(api, member.login, member.raw_password).status_code == 200

    assert hashing == ["verify", "verify"]
    assert verified_passwords.keys() == []


def test_a_verification_that_overlapped_a_change_is_not_kept(member):
    before = basic_cache.change_count()
    member.save(update_fields=["full_name"])  # a save lands while the hash was running

    basic_cache.remember(credential_key(member.login, member.raw_password), member, before)

    assert verified_passwords.keys() == []

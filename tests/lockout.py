"""The lockout's test limits, answers and fixtures, shared by the tests of every password endpoint
(a pytest plugin: ``tests/conftest.py`` loads it)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.cache import caches

from tests.conftest import service_answers
from tests.hashers import CountingArgon2PasswordHasher
from tests.live_server import free_port
from tokenward.authn.basic_cache import verified_passwords

ACCOUNT_LIMIT = 3  # per account from one address
ACCOUNT_TOTAL_LIMIT = 8  # per account from every address
ADDRESS_LIMIT = 5
WINDOW = 60
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REDIS_UP = service_answers(6379)
REDIS_DOWN_REASON = "no Redis answers at 127.0.0.1:6379"
REDIS_TEST_DB = 14


def use_small_limits(settings, **overrides: int) -> None:
    """Lock an account from one address after 3 failures, from everywhere after 8, and an
    address after 5, within 60 seconds."""
    settings.TOKENWARD = {
        **settings.TOKENWARD,
        "LOCKOUT_ACCOUNT_FAILURES": ACCOUNT_LIMIT,
        "LOCKOUT_ACCOUNT_TOTAL_FAILURES": ACCOUNT_TOTAL_LIMIT,
        "LOCKOUT_ADDRESS_FAILURES": ADDRESS_LIMIT,
        "LOCKOUT_WINDOW_SECONDS": WINDOW,
        **overrides,
    }


def locked_body(seconds: int) -> dict[str, str]:
    return {
        "detail": f"Too many failed password attempts. Try again in {seconds} seconds.",
        "code": "too_many_attempts",
    }


# The four guesses that must get one answer and one password hash each (no enumeration).
GUESSES = ["unknown", "wrong-password", "inactive", "inactive-wrong"]


def guess(case: str, member, inactive) -> tuple[str, str]:
    """Return the login and password of the guess ``case`` names (one of ``GUESSES``)."""
    return {
        "unknown": ("nobody-has-this-login", "whatever-1234"),
        "wrong-password": (member.login, "not-the-password"),
        "inactive": (inactive.login, inactive.raw_password),
        "inactive-wrong": (inactive.login, "not-the-password"),
    }[case]


def stopped_clock() -> time_machine.travel:
    """A clock stopped at START; ``shift(seconds)`` on the traveller moves it."""
    return time_machine.travel(START, tick=False)


def use_redis(settings) -> Iterator[str]:
    """Make the default cache Redis (database 14, a key prefix of this test's own); yield the
    prefix; delete this test's keys afterwards, and nobody else's."""
    prefix = f"tw-lockout-test-{secrets.token_hex(6)}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:6379/{REDIS_TEST_DB}",
            "KEY_PREFIX": prefix,
            "OPTIONS": {"socket_timeout": 1, "socket_connect_timeout": 1},
        }
    }
    yield prefix
    client = caches["default"]._cache.get_client(write=True)
    for name in client.scan_iter(match=f"{prefix}:*", count=1000):
        client.delete(name)


def use_dead_redis(settings) -> None:
    """Make the default cache a Redis at a port where nothing listens: every call fails."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_timeout": 1, "socket_connect_timeout": 1},
        }
    }


@pytest.fixture
def small_limits(settings) -> None:
    """The limits above for this test (``pytest.mark.usefixtures("small_limits")``)."""
    use_small_limits(settings)


@pytest.fixture
def hashes(settings) -> Iterator[list[str]]:
    """The password hashes computed during the test; no verified Basic password is cached."""
    settings.PASSWORD_HASHERS = ["tests.hashers.CountingArgon2PasswordHasher"]
    verified_passwords.clear()
    CountingArgon2PasswordHasher.calls.clear()
    yield CountingArgon2PasswordHasher.calls
    verified_passwords.clear()


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """A clock stopped at START for this test."""
    with stopped_clock() as traveller:
        yield traveller

"""The lockout: failed password attempts counted per account and per address, in fixed
windows, in the database or Redis, never losing a count to parallel workers or an outage."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.core.checks import run_checks
from django.db import connection, connections

from tests.lockout import (
    ACCOUNT_LIMIT,
    ACCOUNT_TOTAL_LIMIT,
    ADDRESS_LIMIT,
    REDIS_DOWN_REASON,
    REDIS_UP,
    START,
    WINDOW,
    use_dead_redis,
    use_redis,
)
from tokenward.accounts import lockout
from tokenward.accounts.models import PasswordFailureCounter, User
from tokenward.audit.models import AuditEvent
from tokenward.audit.services import ClientInfo

HOME = "192.0.2.10"
ELSEWHERE = "198.51.100.20"

pytestmark = pytest.mark.usefixtures("small_limits")


def fail(login: str, times: int, address: str | None = HOME) -> None:
    for _ in range(times):
        lockout.record_failure(login, address)


def retry_after(login: str, address: str | None = HOME) -> int | None:
    """Return the seconds ``check`` tells the caller to wait, or None if it lets them in."""
    try:
        lockout.check(login, address)
    except lockout.LockedOut as locked:
        return locked.retry_after
    return None


class TestTheDatabaseStore:
    pytestmark = pytest.mark.django_db

    def test_an_account_is_refused_once_its_failures_reach_the_limit(self, clock):
        fail("mwhite", ACCOUNT_LIMIT - 1)
        assert retry_after("mwhite") is None

        fail("mwhite", 1)

        assert retry_after("mwhite") == WINDOW
        [row] = PasswordFailureCounter.objects.filter(key=lockout.account_key("mwhite"))
        assert (row.count, row.window_start) == (ACCOUNT_LIMIT, START)

    def test_the_refusal_says_how_long_to_wait_and_ends_with_the_window(self, clock):
        fail("mwhite", ACCOUNT_LIMIT)

        clock.shift(WINDOW - 10.5)
        assert retry_after("mwhite") == 11  # rounded up: never "0 seconds"
        clock.shift(10.5)
        assert retry_after("mwhite") is None

    def test_the_window_is_fixed_from_its_first_failure(self, clock):
        fail("mwhite", ACCOUNT_LIMIT - 1)
        clock.shift(WINDOW - 1)
        fail("mwhite", 1)
        assert retry_after("mwhite") == 1  # later failures do not push the end back

        clock.shift(1)
        fail("mwhite", 1)  # a new window, counting from one

        assert retry_after("mwhite") is None
        [row] = PasswordFailureCounter.objects.all().filter(key=lockout.account_key("mwhite"))
        assert (row.count, row.window_start) == (1, START + timedelta(seconds=WINDOW))

    def test_BOB_logging_in_between_does_not_clear_the_guesses_at_bob(self, clock):
        User.objects.create_user("bob")
        kept = User.objects.create_user("kept")  # BOB, kept from before logins were folded
        User.objects.filter(pk=kept.pk).update(login="BOB", login_key=None)

        for _ in range(4):  # twelve guesses at bob in all, with BOB's log-ins between
            fail("bob", ACCOUNT_LIMIT - 1)
            lockout.reset("BOB", HOME)
            if retry_after("bob") is not None:
                break

        assert retry_after("bob") == WINDOW
        assert retry_after("BOB", ELSEWHERE) is None

    def test_each_exact_login_has_its_own_counters(self, clock, member):
        fail("MWhite", 1)
        fail("mwhite", 1)
        fail("MWHITE", 1)

        assert retry_after("mWhite") is None
        rows = dict(PasswordFailureCounter.objects.values_list("key", "count"))
        assert rows[lockout.account_key("mwhite")] == 1  # the account, by its id
        assert rows[lockout.account_key("MWhite")] == 1  # unknown logins, as typed

    def test_other_accounts_and_other_addresses_are_unaffected(self, clock):
        fail("mwhite", ACCOUNT_LIMIT)

        assert retry_after("mwhite") == WINDOW
        assert retry_after("mwhite", ELSEWHERE) is None  # only this address is shut out
        assert retry_after("boss") is None

    def test_a_stranger_cannot_lock_the_owner_out_but_guessing_stays_bounded(self, clock, member):
        strangers = [f"203.0.113.{n}" for n in range(1, 10)]
        fail(member.login, ACCOUNT_LIMIT, address=strangers[0])

        assert retry_after(member.login, strangers[0]) == WINDOW  # the stranger: locked out
        assert retry_after(member.login, HOME) is None  # the owner, from home: let in
        lockout.reset(member.login, HOME)
        assert retry_after(member.login, strangers[0]) == WINDOW  # the owner reopens nothing

        guesses = ACCOUNT_LIMIT
        for address in strangers[1:]:  # more addresses: bounded by the account's total
            while retry_after(member.login, address) is None:
                fail(member.login, 1, address=address)
                guesses += 1

        assert guesses == ACCOUNT_TOTAL_LIMIT
        assert retry_after(member.login, HOME) == WINDOW  # now locked from everywhere
        assert retry_after("boss", strangers[-1]) is None

    def test_a_known_and_an_unknown_login_are_counted_alike(self, clock, member):
        for login, address in ((member.login, HOME), ("nobody-has-this-login", "192.0.2.11")):
            fail(login, ACCOUNT_LIMIT - 1, address)
            assert retry_after(login, address) is None
            fail(login, 1, address)
            assert retry_after(login, address) == WINDOW
            assert retry_after(login, ELSEWHERE) is None

    def test_an_address_is_refused_after_its_limit_of_failures_over_any_logins(self, clock):
        for n in range(ADDRESS_LIMIT):
            fail(f"guess{n}", 1)

        assert retry_after("never-tried") == WINDOW
        assert retry_after("never-tried", ELSEWHERE) is None
        assert retry_after("never-tried", None) is None  # no address: the account alone

    def test_a_right_password_clears_the_account_but_not_the_address(self, clock):
        fail("mwhite", ACCOUNT_LIMIT - 1)
        fail("boss", ADDRESS_LIMIT - ACCOUNT_LIMIT)
        fail("mwhite", 1)

        lockout.reset("mwhite", HOME)

        cleared = lockout.account_address_key("mwhite", HOME)
        assert not PasswordFailureCounter.objects.filter(key=cleared)
        assert PasswordFailureCounter.objects.get(key=lockout.account_key("mwhite")).count == 3
        assert retry_after("mwhite", ELSEWHERE) is None
        assert retry_after("mwhite") == WINDOW  # the address has its 5 failures

    def test_a_reset_with_nothing_to_clear_writes_nothing(self, django_assert_num_queries):
        with django_assert_num_queries(2):  # whose account it is, and one read
            lockout.reset("mwhite", HOME)

    def test_rows_hold_digests_not_logins_or_addresses(self, clock):
        fail("Mary.White@example.com", 1)

        keys = set(PasswordFailureCounter.objects.values_list("key", flat=True))
        assert keys == {
            lockout.account_key("Mary.White@example.com"),
            lockout.account_address_key("Mary.White@example.com", HOME),
            lockout.address_key(HOME),
        }
        assert all(len(key) == 64 and "mary" not in key.lower() for key in keys)

    def test_counters_of_ended_windows_are_dropped_when_a_new_one_starts(self, clock):
        fail("old", 1, address=None)
        clock.shift(WINDOW)

        fail("new", 1, address=None)

        assert set(PasswordFailureCounter.objects.values_list("key", flat=True)) == {
            lockout.account_key("new"),
            lockout.account_address_key("new", None),
        }

    def test_check_writes_nothing_and_enforce_audits_only_a_refusal(self, clock, member):
        client = ClientInfo(method="basic", address=HOME, user_agent="curl/8")
        lockout.enforce(member.login, client)
        assert not AuditEvent.objects.exists()
        fail(member.login, ACCOUNT_LIMIT)

        with pytest.raises(lockout.LockedOut):
            lockout.enforce(member.login, client)

        [event] = AuditEvent.objects.all()
        assert (event.action, event.credential_kind, event.reason) == (
            "failed",
            "password",
            "too_many_attempts",
        )
        assert (event.subject, event.actor, event.method) == (member, None, "basic")
        assert (event.address, event.user_agent) == (HOME, "curl/8")

    def test_an_unknown_login_is_refused_alike_and_audited_without_a_subject(self, clock):
        fail("nobody-has-this-login", ACCOUNT_LIMIT)

        with pytest.raises(lockout.LockedOut) as refused:
            lockout.enforce("nobody-has-this-login", ClientInfo(method="basic", address=HOME))

        assert refused.value.retry_after == WINDOW
        [event] = AuditEvent.objects.all()
        assert (event.subject, event.reason) == (None, "too_many_attempts")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="parallel writers need PostgreSQL: run with DATABASE_URL=postgres://...",
)
def test_parallel_workers_never_lose_a_count_on_postgresql():
    threads, each = 8, 6
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait(timeout=10)
            fail("target", each, address=None)
        except BaseException as error:  # reported below: a thread's exception is lost
            errors.append(error)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=30)

    assert errors == []
    counts = dict(PasswordFailureCounter.objects.values_list("key", "count"))
    assert counts == {
        lockout.account_key("target"): threads * each,
        lockout.account_address_key("target", None): threads * each,
    }


@pytest.mark.redis
@pytest.mark.skipif(not REDIS_UP, reason=REDIS_DOWN_REASON)
class TestTheRedisStore:
    pytestmark = pytest.mark.django_db

    @pytest.fixture(autouse=True)
    def redis(self, settings):
        yield from use_redis(settings)

    def test_failures_are_counted_in_redis_and_not_in_the_database(self):
        fail("mwhite", ACCOUNT_LIMIT - 1)
        assert retry_after("mwhite") is None

        fail("mwhite", 1)

        assert 0 < retry_after("mwhite") <= WINDOW
        assert retry_after("boss") is None
        assert retry_after("boss", ELSEWHERE) is None
        assert not PasswordFailureCounter.objects.exists()

    def test_the_count_lives_in_one_key_that_expires_with_the_window(self):
        fail("mwhite", 2, address=None)

        client, name = redis_key("mwhite")
        assert int(client.get(name)) == 2
        assert 0 < client.pttl(name) <= WINDOW * 1000

    def test_a_right_password_clears_the_account_in_redis(self):
        fail("mwhite", ACCOUNT_LIMIT)

        lockout.reset("mwhite", HOME)

        assert retry_after("mwhite") is None
        client, name = redis_key("mwhite", HOME)
        assert client.get(name) is None
        client, name = redis_key("mwhite")
        assert int(client.get(name)) == ACCOUNT_LIMIT  # the account's total stays

    def test_parallel_workers_never_lose_a_count_in_redis(self):
        threads, each = 8, 6
        start = threading.Barrier(threads)
        errors: list[BaseException] = []

        def worker() -> None:
            try:
                start.wait(timeout=10)
                fail("target", each, address=None)
            except BaseException as error:  # reported below: a thread's exception is lost
                errors.append(error)

        pool = [threading.Thread(target=worker) for _ in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join(timeout=30)

        assert errors == []
        client, name = redis_key("target")
        assert int(client.get(name)) == threads * each

    def test_failures_counted_in_the_database_during_an_outage_still_count(self, settings):
        redis_up = settings.CACHES
        use_dead_redis(settings)
        fail("mwhite", ACCOUNT_LIMIT - 1, address=None)  # Redis is down: into the database
        settings.CACHES = redis_up
        assert retry_after("mwhite", None) is None

        fail("mwhite", 1, address=None)  # Redis is back: into Redis

        assert 0 < retry_after("mwhite", None) <= WINDOW
        row = PasswordFailureCounter.objects.get(key=lockout.account_key("mwhite"))
        assert row.count == ACCOUNT_LIMIT - 1
        client, name = redis_key("mwhite")
        assert int(client.get(name)) == 1


def redis_key(login: str, address: str | None = None):
    """Return the raw Redis client and the key holding ``login``'s count (from ``address``)."""
    cache = caches["default"]
    key = lockout.account_address_key(login, address) if address else lockout.account_key(login)
    name = cache.make_and_validate_key("tokenward-lockout:" + key)
    return cache._cache.get_client(name, write=True), name


class TestRedisDown:
    """Redis stopped (nothing listens on its port): the limit holds through the database."""

    pytestmark = pytest.mark.django_db

    @pytest.fixture(autouse=True)
    def dead_redis(self, settings):
        use_dead_redis(settings)

    def test_failures_are_counted_in_the_database_and_the_limit_holds(self, clock):
        fail("mwhite", ACCOUNT_LIMIT)

        assert retry_after("mwhite") == WINDOW
        assert retry_after("boss") is None
        row = PasswordFailureCounter.objects.get(key=lockout.account_key("mwhite"))
        assert row.count == ACCOUNT_LIMIT

    def test_a_reset_still_clears_the_database(self, clock):
        fail("mwhite", ACCOUNT_LIMIT)

        lockout.reset("mwhite", HOME)

        assert retry_after("mwhite") is None


@pytest.mark.parametrize(
    "name",
    [
        "LOCKOUT_ACCOUNT_FAILURES",
        "LOCKOUT_ACCOUNT_TOTAL_FAILURES",
        "LOCKOUT_ADDRESS_FAILURES",
        "LOCKOUT_WINDOW_SECONDS",
    ],
)
@pytest.mark.parametrize("value", [0, -1, 1.5, "10", None, True])
def test_a_bad_setting_is_reported_at_start_up(settings, name, value):
    settings.TOKENWARD = {**settings.TOKENWARD, name: value}

    messages = [str(error.msg) for error in run_checks()]

    assert f"TOKENWARD[{name!r}] must be a whole number of at least 1." in messages


def test_the_defaults_are_10_per_account_and_address_100_per_account_50_per_address_in_15_min(
    settings,
):
    from tokenward.conf import DEFAULTS

    assert (
        DEFAULTS["LOCKOUT_ACCOUNT_FAILURES"],
        DEFAULTS["LOCKOUT_ACCOUNT_TOTAL_FAILURES"],
        DEFAULTS["LOCKOUT_ADDRESS_FAILURES"],
        DEFAULTS["LOCKOUT_WINDOW_SECONDS"],
    ) == (10, 100, 50, 900)
    assert not [error for error in run_checks() if "LOCKOUT" in str(error.msg)]


def test_an_account_total_under_the_per_address_limit_is_reported_at_start_up(settings):
    settings.TOKENWARD = {
        **settings.TOKENWARD,
        "LOCKOUT_ACCOUNT_FAILURES": 10,
        "LOCKOUT_ACCOUNT_TOTAL_FAILURES": 9,
    }

    errors = [error for error in run_checks() if error.id == "tokenward.E019"]

    assert [str(error.msg) for error in errors] == [
        "TOKENWARD['LOCKOUT_ACCOUNT_TOTAL_FAILURES'] must be at least "
        "TOKENWARD['LOCKOUT_ACCOUNT_FAILURES']."
    ]

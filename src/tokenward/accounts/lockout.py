"""Limits on failed password attempts, per account and address, per account, per address.

The one owner of the counters. Every place that judges a password (Basic, the login form,
the token endpoints, step-up) calls ``enforce`` before hashing, ``record_failure`` after a
wrong password and ``reset`` after a right one. Windows are fixed: a counter's window starts
at its first failure and lasts ``LOCKOUT_WINDOW_SECONDS``; once it holds the limit, every
attempt is refused until the window ends, the right password too, and nothing is hashed.

Three counters judge each attempt. The account from this address, at
``LOCKOUT_ACCOUNT_FAILURES``: a stranger guessing from one address locks only themselves
out of that account. The account from every address, at the much higher
``LOCKOUT_ACCOUNT_TOTAL_FAILURES``: guessing from many addresses stays bounded. The address
over every login, at ``LOCKOUT_ADDRESS_FAILURES``. An account is the exact account: its id
when the login exists as typed (logins are matched exactly, so ``BOB`` is not ``bob``), else
the exact login typed, so unknown logins are counted as known ones are.

Storage: Redis when the default cache is a ``RedisCache`` (``REDIS_URL``), else the database.
When Redis fails, failures are counted in the database instead, and ``check`` always adds
the database's counts to Redis's, so an outage never opens the door (fail closed).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from redis.exceptions import RedisError

from tokenward.accounts.models import PasswordFailureCounter, User
from tokenward.audit.models import Action
from tokenward.audit.services import ClientInfo, record_event
from tokenward.conf import setting
from tokenward.credentials.digest import token_digest

logger = logging.getLogger(__name__)

REASON = "too_many_attempts"
_CACHE_PREFIX = "tokenward-lockout:"


class LockedOut(Exception):
    """Too many failed password attempts for this account or address; ``retry_after`` is the
    whole number of seconds until the window that is full ends."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        self.detail = f"Too many failed password attempts. Try again in {retry_after} seconds."
        super().__init__(self.detail)


def _account(login: str) -> str:
    """Return whom ``login``'s counters belong to: ``user:ID`` for an existing account, else
    ``login:`` and the login exactly as typed.

    One indexed read either way, so known and unknown logins cost the same. A login with a
    NUL is nobody's (logins refuse control characters) and PostgreSQL refuses it: not asked.
    """
    if "\x00" not in login:
        found = User.objects.filter(login=login).values_list("pk", flat=True).first()
        if found is not None:
            return f"user:{found}"
    return "login:" + login


def account_key(login: str) -> str:
    """Return the key of the counter of ``login``'s account over every address."""
    return token_digest("lockout-account:" + _account(login))


def account_address_key(login: str, address: str | None) -> str:
    """Return the key of the counter of ``login``'s account from ``address``."""
    return _account_address_key(_account(login), address)


def _account_address_key(account: str, address: str | None) -> str:
    # JSON keeps the two parts apart whatever characters the login holds.
    return token_digest("lockout-account-address:" + json.dumps([account, address or ""]))


def address_key(address: str) -> str:
    """Return the counter key of a client address."""
    return token_digest("lockout-address:" + address)


def _limits(login: str, address: str | None) -> dict[str, int]:
    account = _account(login)
    limits = {
        _account_address_key(account, address): setting("LOCKOUT_ACCOUNT_FAILURES"),
        token_digest("lockout-account:" + account): setting("LOCKOUT_ACCOUNT_TOTAL_FAILURES"),
    }
    if address:
        limits[address_key(address)] = setting("LOCKOUT_ADDRESS_FAILURES")
    return limits


def check(login: str, address: str | None) -> None:
    """Raise ``LockedOut`` if the account or the address has used up its failures.

    Call it before the password is hashed. It writes nothing.
    """
    limits = _limits(login, address)
    counts = _read(limits)
    waits = [left for key, (count, left) in counts.items() if count >= limits[key]]
    if waits:
        raise LockedOut(max(1, math.ceil(max(waits))))


def enforce(login: str, client: ClientInfo, *, actor: User | None = None) -> None:
    """``check`` for a request from ``client``; a refusal is recorded as an audit event.

    The event names the account if the login exists (the audit log is for administrators),
    and ``actor`` if someone is logged in already (step-up); never the password.
    """
    try:
        check(login, client.address)
    except LockedOut:
        record_event(
            Action.FAILED,
            credential_kind="password",
            client=client,
            actor=actor,
            subject=actor or User.objects.filter(login=login).first(),
            reason=REASON,
        )
        raise


def record_failure(login: str, address: str | None) -> None:
    """Count one failed password attempt against the account from this address, the account,
    and the address."""
    window = setting("LOCKOUT_WINDOW_SECONDS")
    for key in _limits(login, address):
        if not _redis_incr(key, window):
            _database_incr(key, window)


def reset(login: str, address: str | None) -> None:
    """Clear the counter of this account from this address after a right password.

    Only that one: another account's counters, the address's over every login, and the
    account's over every address (which an owner's log-in must not reopen to guessers
    elsewhere) stay until their windows end.
    """
    key = account_address_key(login, address)
    cache = _redis()
    if cache is not None:
        try:
            _client(cache, key).delete(_cache_key(cache, key))
        except (RedisError, OSError):
            logger.warning("Redis failed; the lockout counter was not cleared there")
    rows = PasswordFailureCounter.objects.filter(key=key)
    if rows.exists():  # a read first: a successful login writes nothing when all is clear
        rows.delete()


def _read(limits: Iterable[str]) -> dict[str, tuple[int, float]]:
    """Return ``{key: (failures, seconds left in its window)}`` for the keys with failures.

    With Redis, its counts and the database's (failures counted while Redis was down) add
    up; the window left is the longer of the two.
    """
    keys = list(limits)
    counts = _database_read(keys)
    for key, (count, left) in _redis_read(keys).items():
        before, before_left = counts.get(key, (0, 0.0))
        counts[key] = (before + count, max(before_left, left))
    return counts


def _database_read(keys: list[str]) -> dict[str, tuple[int, float]]:
    now = timezone.now()
    window = timedelta(seconds=setting("LOCKOUT_WINDOW_SECONDS"))
    rows = PasswordFailureCounter.objects.filter(key__in=keys, window_start__gt=now - window)
    return {
        key: (count, (start + window - now).total_seconds())
        for key, count, start in rows.values_list("key", "count", "window_start")
    }


def _database_incr(key: str, window_seconds: int) -> None:
    """Add one failure to ``key``'s row, atomically whatever other workers do at once.

    Each step is one conditional statement; a lost race (another worker created or restarted
    the row first) makes the next step, or the next round, count the failure instead.
    """
    window = timedelta(seconds=window_seconds)
    rows = PasswordFailureCounter.objects.filter(key=key)
    for _attempt in range(5):
        now = timezone.now()
        if rows.filter(window_start__gt=now - window).update(count=F("count") + 1):
            return
        if rows.filter(window_start__lte=now - window).update(window_start=now, count=1):
            return
        try:
            with transaction.atomic():
                PasswordFailureCounter.objects.create(key=key, window_start=now, count=1)
        except IntegrityError:
            continue
        # Counters of windows that ended are dead weight: drop them while adding a new one.
        PasswordFailureCounter.objects.filter(window_start__lte=now - window).delete()
        return
    raise RuntimeError("the failure counter kept changing under five attempts to count")


def _redis() -> RedisCache | None:
    cache = caches["default"]
    return cache if isinstance(cache, RedisCache) else None


def _cache_key(cache: RedisCache, key: str) -> str:
    return cache.make_and_validate_key(_CACHE_PREFIX + key)


def _client(cache: RedisCache, key: str) -> Any:
    """The raw client of the server holding ``key``: Django's cache API has no TTL."""
    return cache._cache.get_client(_cache_key(cache, key), write=True)


def _redis_read(keys: list[str]) -> dict[str, tuple[int, float]]:
    cache = _redis()
    if cache is None:
        return {}
    counts = {}
    try:
        for key in keys:
            pipe = _client(cache, key).pipeline(transaction=False)
            pipe.get(_cache_key(cache, key))
            pipe.pttl(_cache_key(cache, key))
            value, left_ms = pipe.execute()
            if value is not None and left_ms > 0:
                counts[key] = (int(value), left_ms / 1000)
    except (RedisError, OSError, ValueError):
        logger.warning("Redis failed; lockout counts are read from the database alone")
        return {}
    return counts


def _redis_incr(key: str, window_seconds: int) -> bool:
    """Add one failure to ``key`` in Redis; return False if there is no Redis or it failed.

    SET NX EX starts the window at the first failure; MULTI/EXEC makes the three commands
    one step, so parallel workers never lose a count or a window's expiry.
    """
    cache = _redis()
    if cache is None:
        return False
    name = _cache_key(cache, key)
    try:
        pipe = _client(cache, key).pipeline(transaction=True)
        pipe.set(name, 0, ex=window_seconds, nx=True)
        pipe.incr(name)
        pipe.execute()
    except (RedisError, OSError):
        logger.warning("Redis failed; the failed attempt is counted in the database")
        return False
    return True

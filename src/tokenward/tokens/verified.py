"""A process-local cache of verified tokens, so that a repeated token costs no database read.

An entry lives ``VERIFIED_TOKEN_CACHE_SECONDS``: that is the stated bound within which a
revocation, deactivation or permission change made on another server is honoured. On this
server the services drop the affected entries at once. The cache class holds any entry that
names its owner, so Basic's verified passwords (``authn.basic_cache``) share its bounds.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

from django.core.signals import setting_changed
from django.db import connection, transaction
from django.db.models.base import ModelState
from django.dispatch import receiver

from tokenward.accounts.models import User
from tokenward.conf import setting


class VerifiedToken(NamedTuple):
    """A token whose row was read and accepted: enough to accept it again without a read.

    A named tuple rather than a frozen dataclass: one is copied on every token request, at
    a quarter of the cost.
    """

    kind: str
    token_id: int
    owner: User
    scopes: frozenset[str] | None  # None: not narrowed (every right of the owner)
    expires_at: datetime | None
    last_use_written_at: datetime | None
    # A JWT access token: the cache key of its offline token's session, checked on every use.
    session_key: str | None = None

    def with_private_owner(self) -> VerifiedToken:
        """Return a copy whose owner a request may change without touching the cache."""
        return VerifiedToken(
            self.kind,
            self.token_id,
            copy_user(self.owner),
            self.scopes,
            self.expires_at,
            self.last_use_written_at,
            self.session_key,
        )


def copy_user(user: User) -> User:
    """Return a copy of ``user`` that a request may change without touching the cached one."""
    # A shallow copy with its own model state: what copy.copy does, at a tenth of the cost.
    clone = User.__new__(User)
    clone.__dict__.update(user.__dict__)
    state = clone._state = ModelState()
    state.db, state.adding = user._state.db, False
    return clone


class Owned(Protocol):
    """A cache entry: it names the user whose change must drop it."""

    @property
    def owner(self) -> User: ...


EntryT = TypeVar("EntryT", bound=Owned)


class VerifiedTokenCache(Generic[EntryT]):
    """Digest → entry, each entry short-lived, the oldest stored first out.

    At most ``VERIFIED_TOKEN_CACHE_SIZE`` entries, each trusted for
    ``VERIFIED_TOKEN_CACHE_SECONDS`` after it was put. A hit takes no lock and moves
    nothing (it runs on every token request); an entry in use is put again once a second
    when it runs out, so the oldest stored is also the least recently used.
    """

    def __init__(self) -> None:
        # digest → (the time the entry runs out, entry), in the order they were put
        self._entries: OrderedDict[str, tuple[float, EntryT]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, digest: str) -> EntryT | None:
        """Return the entry for ``digest`` if it is fresh, else None."""
        found = self._entries.get(digest)  # one atomic read: no lock needed
        if found is None or found[0] <= time.time():
            return None
        return found[1]

    def put(self, digest: str, entry: EntryT) -> None:
        seconds = setting("VERIFIED_TOKEN_CACHE_SECONDS")
        if seconds <= 0:
            return
        now = time.time()
        with self._lock:
            entries = self._entries
            entries[digest] = (now + seconds, entry)
            entries.move_to_end(digest)
            size = setting("VERIFIED_TOKEN_CACHE_SIZE")
            # Out go the entries over the size and those run out, oldest first.
            while entries and (len(entries) > size or next(iter(entries.values()))[0] <= now):
                entries.popitem(last=False)

    def discard(self, digest: str) -> None:
        """Drop the entry for ``digest`` now, and again when the current transaction commits."""
        self._drop(digest)
        _again_at_commit(lambda: self._drop(digest))

    def discard_owner(self, owner_id: Any) -> None:
        """Drop every entry of this owner (their state or permission changed), now and again
        when the current transaction commits."""
        self._drop_owner(owner_id)
        _again_at_commit(lambda: self._drop_owner(owner_id))

    def _drop(self, digest: str) -> None:
        with self._lock:
            self._entries.pop(digest, None)

    def _drop_owner(self, owner_id: Any) -> None:
        with self._lock:
            stale = [d for d, (_, e) in self._entries.items() if e.owner.pk == owner_id]
            for digest in stale:
                del self._entries[digest]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def keys(self) -> list[str]:
        """Return the digests held now, the oldest stored first (for tests and checks)."""
        with self._lock:
            return list(self._entries)


def _again_at_commit(drop: Callable[[], None]) -> None:
    """Inside a transaction the changed row stays as it was to other connections until the
    commit, and a request in between may cache it again: drop the entry once more then."""
    if connection.in_atomic_block:
        transaction.on_commit(drop)


verified_tokens: VerifiedTokenCache[VerifiedToken] = VerifiedTokenCache()


@receiver(setting_changed)
def _clear_on_settings_change(**kwargs: Any) -> None:
    verified_tokens.clear()

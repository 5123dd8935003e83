"""Basic credentials verified recently, so that a repeated correct password skips the hash.

The key is an HMAC-SHA256, under the server's token key with its own purpose label, of the
exact login and password bytes: the plaintext is never kept, and a database dump without the
key cannot test guesses against it. Only credentials that passed every check are stored;
a wrong password is never cached, so it always costs the full hash.

Bound: an entry is trusted for ``VERIFIED_TOKEN_CACHE_SECONDS`` (1 s by default) after it was
stored, and at most ``VERIFIED_TOKEN_CACHE_SIZE`` (10,000) are kept, the oldest stored out
first. A password change, deactivation or role change saved in this process drops the user's
entries at once; one made on another server is honoured within that bound.
"""

from __future__ import annotations

import hmac
import itertools
from dataclasses import dataclass
from typing import Any

from django.core.signals import setting_changed
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from tokenward.accounts.models import User
from tokenward.conf import setting
from tokenward.tokens.verified import VerifiedTokenCache, copy_user

# Keeps these digests apart from token digests made under the same key.
PURPOSE = b"basic:"


@dataclass(frozen=True, slots=True)
class VerifiedPassword:
    """A login and password accepted for ``owner``, whose row held ``password_hash`` then."""

    user_id: int
    password_hash: str
    owner: User


verified_passwords: VerifiedTokenCache[VerifiedPassword] = VerifiedTokenCache()

# Counts changes of users in this process; a verification that overlapped one is not kept.
_changes = itertools.count(1)
_last_change = 0


def credential_key(login: str, password: str) -> str:
    """Return the cache key for ``login`` and ``password``: a keyed digest, never the secret.

    The NUL separator cannot occur in either part (Basic refuses control characters), so two
    different pairs never share the input.
    """
    message = PURPOSE + login.encode() + b"\0" + password.encode()
    return hmac.digest(setting("TOKEN_DIGEST_KEY").encode(), message, "sha256").hex()


def change_count() -> int:
    """Return a number that grows whenever a user changes in this process.

    Read it before verifying a password and pass it to ``remember``.
    """
    return _last_change


def recall(key: str) -> User | None:
    """Return a private copy of the owner of the fresh entry under ``key``, else None.

    The caller must still check the owner's state: the entry says only that the password
    was right within the bound.
    """
    entry = verified_passwords.get(key)
    if entry is None:
        return None
    # Belt and braces: the owner copy must be the row the password was checked against.
    if entry.owner.pk != entry.user_id or not hmac.compare_digest(
        entry.owner.password, entry.password_hash
    ):
        verified_passwords.discard(key)
        return None
    return copy_user(entry.owner)


def remember(key: str, user: User, changes_before: int) -> None:
    """Store ``user`` under ``key``: its password was just verified and every check passed.

    Not stored if a user changed in this process since ``changes_before`` was read: the
    verification may have read the row before the change. The entry is put first and the
    count checked after, so a change racing with this call either sees the entry and drops
    it, or is seen here.
    """
    verified_passwords.put(key, VerifiedPassword(user.pk, user.password, copy_user(user)))
    if _last_change != changes_before:
        verified_passwords.discard(key)


def forget(key: str) -> None:
    """Drop the entry under ``key``: its owner was refused."""
    verified_passwords.discard(key)


def _forget_owner(user_id: Any) -> None:
    global _last_change
    _last_change = next(_changes)  # count first, then drop: see ``remember``
    verified_passwords.discard_owner(user_id)


@receiver(post_save, sender=User)
@receiver(post_delete, sender=User)
def forget_passwords_of_changed_user(sender: type[User], instance: User, **kwargs: Any) -> None:
    """Password, activation or role changed: verify the user's password afresh.

    Again after the commit: a request that read the old row before it was committed must
    not keep it.
    """
    user_id = instance.pk
    _forget_owner(user_id)
    transaction.on_commit(lambda: _forget_owner(user_id), robust=True)


@receiver(setting_changed)
def _clear_on_settings_change(**kwargs: Any) -> None:
    # The key, the hashers or the bounds may have changed.
    verified_passwords.clear()

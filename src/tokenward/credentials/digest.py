"""Token digests: HMAC-SHA256 under a server key kept apart from Django's secret key."""

from __future__ import annotations

import hmac
from functools import lru_cache
from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver

from tokenward.conf import setting


@lru_cache(maxsize=4)
def _keyed_hmac(key: str) -> Any:
    """An HMAC already keyed: copying it skips the key setup and OpenSSL's algorithm lookup,
    which a one-shot ``hmac.digest`` repeats on every call (half its cost in a request).

    Where OpenSSL backs it (CPython's usual build), the C object under ``hmac.HMAC``: its
    ``copy``, ``update`` and ``hexdigest`` cost half as much without the Python wrapper.
    """
    mac = hmac.new(key.encode(), digestmod="sha256")
    return getattr(mac, "_hmac", None) or mac


def token_digest(value: str) -> str:
    """Return the hex digest stored and looked up in place of the token ``value``.

    A database dump without the key file cannot be used to test guesses offline.
    """
    mac = (_current or _load()).copy()
    mac.update(value.encode())
    return mac.hexdigest()


# The keyed HMAC of the current TOKEN_DIGEST_KEY, kept at hand: reading the setting on every
# token request cost a call. None until the first digest, and again after a settings change.
_current: Any = None


def _load() -> Any:
    global _current
    _current = _keyed_hmac(setting("TOKEN_DIGEST_KEY"))
    return _current


@receiver(setting_changed)
def _forget_key(*, setting: str, **kwargs: Any) -> None:
    global _current
    if setting == "TOKENWARD":
        _current = None

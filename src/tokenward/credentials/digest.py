"""Token digests: HMAC-SHA256 under a server key kept apart from Django's secret key."""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from tokenward.conf import setting


@lru_cache(maxsize=4)
def _keyed(key: str) -> hmac.HMAC:
    return hmac.new(key.encode(), digestmod=hashlib.sha256)


def token_digest(value: str) -> str:
    """Return the hex digest stored and looked up in place of the token ``value``.

    A database dump without the key file cannot be used to test guesses offline.
    """
    mac = _keyed(setting("TOKEN_DIGEST_KEY")).copy()
    mac.update(value.encode())
    return mac.hexdigest()

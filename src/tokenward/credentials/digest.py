"""Token digests: HMAC-SHA256 under a server key kept apart from Django's secret key."""

from __future__ import annotations

import hashlib
import hmac

from tokenward.conf import setting


def token_digest(value: str) -> str:
    """Return the hex digest stored and looked up in place of the token ``value``.

    A database dump without the key file cannot be used to test guesses offline.
    """
    key = setting("TOKEN_DIGEST_KEY").encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()

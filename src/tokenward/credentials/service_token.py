"""Targetprocess service tokens: base64 of ``login:SIGNATURE``, nothing stored.

SIGNATURE is the uppercase hex HMAC-SHA256, under a key derived from the token digest key,
over the user's id, login and password hash. A token therefore stops matching the moment
the login or the password changes, and a new one is "generated automatically" (the seed's
words) by signing the new values. Parsing reads nothing but the string.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import math
from functools import lru_cache

from tokenward.credentials.format import MalformedTokenError

SIGNATURE_LENGTH = 64  # hex digits of SHA-256
_HEX_UPPER = frozenset("0123456789ABCDEF")
MAX_LOGIN_LENGTH = 150  # the user model's limit
# The longest well-formed token: a 150-character login of 4-byte UTF-8, a colon, a signature.
MAX_TOKEN_LENGTH = 4 * math.ceil((MAX_LOGIN_LENGTH * 4 + 1 + SIGNATURE_LENGTH) / 3)
_KEY_PURPOSE = b"tokenward service-token"


@lru_cache(maxsize=4)
def service_token_key(digest_key: str) -> bytes:
    """Return the signing key derived from ``digest_key`` (``TOKENWARD["TOKEN_DIGEST_KEY"]``).

    A separate key per purpose: a service-token signature is never a valid token digest.
    """
    return hmac.digest(digest_key.encode(), _KEY_PURPOSE, "sha256")


def signature(user_id: int, login: str, password_hash: str, key: bytes) -> str:
    """Return the uppercase hex signature over the user's id, login and password hash.

    The parts are joined with NUL, which none of them can hold, so no two different
    triples sign the same message.
    """
    message = "\x00".join((str(user_id), login, password_hash)).encode()
    return hmac.digest(key, message, "sha256").hex().upper()


def sign_service_token(user_id: int, login: str, password_hash: str, key: bytes) -> str:
    """Return the service token of this user: base64 (standard, padded) of ``login:SIGNATURE``."""
    raw = f"{login}:{signature(user_id, login, password_hash, key)}"
    return base64.b64encode(raw.encode()).decode("ascii")


def signatures_match(expected: str, given: str) -> bool:
    """Return True if ``given`` is ``expected``, in time independent of where they differ."""
    return hmac.compare_digest(expected.encode(), given.encode())


def parse_service_token(value: str) -> tuple[str, str]:
    """Return ``(login, signature)`` from a service token. Raise ``MalformedTokenError``
    unless it is canonical base64 of a login, a colon and an uppercase hex signature."""
    if not value:
        raise MalformedTokenError("No token was given.")
    if len(value) > MAX_TOKEN_LENGTH:
        raise MalformedTokenError(
            f"A service token is at most {MAX_TOKEN_LENGTH} base64 characters."
        )
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedTokenError("A service token is base64 with padding.") from None
    # Several base64 strings decode to the same bytes (unused low bits): accept one only.
    if base64.b64encode(raw).decode("ascii") != value:
        raise MalformedTokenError("A service token is base64 with padding.")
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedTokenError("A service token holds UTF-8 text.") from None
    login, colon, given = decoded.partition(":")
    if not colon:
        raise MalformedTokenError("A service token holds a login, a colon and a signature.")
    if not login or len(login) > MAX_LOGIN_LENGTH or not login.isprintable():
        raise MalformedTokenError("The service token's login is not a login.")
    if len(given) != SIGNATURE_LENGTH or not set(given) <= _HEX_UPPER:
        raise MalformedTokenError(
            f"A service token's signature is {SIGNATURE_LENGTH} upper-case hex digits."
        )
    return login, given

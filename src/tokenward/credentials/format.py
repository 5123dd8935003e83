"""Token strings: a type prefix, 30 random base62 characters and a CRC32 checksum.

The shape follows GitHub's: ``twp_`` + 30 characters of ``secrets`` randomness (178 bits)
+ 6 characters of CRC32 over prefix and random part. A mistyped or truncated token is
refused here, before anything reads the database, and secret scanners can find leaked ones
by prefix and checksum.
"""

from __future__ import annotations

import secrets
import zlib
from dataclasses import dataclass
from enum import StrEnum

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
RANDOM_LENGTH = 30
CHECKSUM_LENGTH = 6


class TokenType(StrEnum):
    """Every stored token kind; the value is its prefix (without the underscore)."""

    PERSONAL = "twp"
    SESSION = "tws"
    OFFLINE = "two"
    OAUTH_ACCESS = "twa"
    OAUTH_REFRESH = "twr"


TOKEN_LENGTH = len("twp_") + RANDOM_LENGTH + CHECKSUM_LENGTH


class MalformedTokenError(ValueError):
    """The string is not a tokenward token of the expected type; the message says why."""


@dataclass(frozen=True)
class ParsedToken:
    type: TokenType
    value: str

    @property
    def last4(self) -> str:
        """The last four characters, kept for display."""
        return self.value[-4:]


def _encode(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, digit = divmod(number, 62)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))


def _checksum(body: str) -> str:
    return _encode(zlib.crc32(body.encode("ascii")), CHECKSUM_LENGTH)


def generate(token_type: TokenType) -> str:
    """Return a new random token string of ``token_type``."""
    body = f"{token_type.value}_" + "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return body + _checksum(body)


# Prefix → type: a dict lookup, where TokenType(prefix) goes through the enum machinery on
# every token request (three times the cost).
_BY_PREFIX: dict[str, TokenType] = {t.value: t for t in TokenType}


def token_type_of(value: str) -> TokenType | None:
    """Return the type its prefix names, without validating the rest; None if there is none."""
    prefix, underscore, _ = value[:4].partition("_")
    if not underscore:
        return None
    return _BY_PREFIX.get(prefix)


def parse(value: str, expected: TokenType) -> ParsedToken:
    """Return the token in ``value``. Raise ``MalformedTokenError`` unless it is well formed.

    Checks prefix, length, alphabet and checksum; reads nothing else.
    """
    if token_type_of(value) is not expected:
        raise MalformedTokenError(f"The token does not start with {expected.value}_.")
    if len(value) != TOKEN_LENGTH:
        raise MalformedTokenError(f"A token is {TOKEN_LENGTH} characters long.")
    rest = value[4:]
    if not (rest.isascii() and rest.isalnum()):  # exactly 0-9, A-Z, a-z
        raise MalformedTokenError("The token holds characters that are not letters or digits.")
    body, checksum = value[:-CHECKSUM_LENGTH], value[-CHECKSUM_LENGTH:]
    if not secrets.compare_digest(_checksum(body), checksum):
        raise MalformedTokenError("The token's checksum does not match; it was mistyped.")
    return ParsedToken(type=expected, value=value)

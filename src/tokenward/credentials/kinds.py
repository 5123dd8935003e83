"""Token kinds by name, and recognising a string as one of our tokens: plain Python, no Django.

The names are those the audit log gives each kind; leak reports and ``tokenward scan`` use
them too, so one name means one kind wherever it is read.
"""

from __future__ import annotations

from tokenward.credentials.format import (
    MalformedTokenError,
    ParsedToken,
    TokenType,
    parse,
    token_type_of,
)

KIND_NAMES: dict[TokenType, str] = {
    TokenType.PERSONAL: "personal_token",
    TokenType.SESSION: "session_token",
    TokenType.OFFLINE: "offline_token",
    TokenType.OAUTH_ACCESS: "oauth_access_token",
    TokenType.OAUTH_REFRESH: "oauth_refresh_token",
}


def recognise(value: str) -> ParsedToken | None:
    """Return the token ``value`` is, by its prefix, length, alphabet and checksum.

    Return None if it is not a well-formed tokenward token: a random string of the same
    shape passes the checksum (a CRC32) about once in four billion tries.
    """
    token_type = token_type_of(value)
    if token_type is None:
        return None
    try:
        return parse(value, token_type)
    except MalformedTokenError:
        return None

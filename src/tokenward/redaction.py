"""Credentials out of logged URLs: every query-string credential value becomes ``[REDACTED]``."""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

from tokenward.conf import setting

REDACTED = "[REDACTED]"
_NESTING = 3  # how many times a value is decoded when looking for an embedded credential


def redact_query(query: str) -> str:
    """Return ``query`` with the value of every credential parameter replaced.

    Names are compared decoded, as Django decodes them: ``access%5Ftoken`` is caught too.
    A value that embeds a credential (``next=/page%3Faccess_token%3D…``) is replaced whole.
    """
    if not query:
        return query
    names = set(setting("QUERY_CREDENTIAL_PARAMETERS"))
    embedded = re.compile(rf"(?:^|[?&;])(?:{'|'.join(map(re.escape, names))})=")
    parts = query.split("&")
    for index, part in enumerate(parts):
        name, equals, value = part.partition("=")
        if equals and (unquote_plus(name) in names or _embeds(value, embedded)):
            parts[index] = f"{name}={REDACTED}"
    return "&".join(parts)


def _embeds(value: str, pattern: re.Pattern[str]) -> bool:
    for _ in range(_NESTING):
        decoded = unquote_plus(value)
        if pattern.search(decoded):
            return True
        if decoded == value:
            return False
        value = decoded
    return False


def redact_uri(uri: str) -> str:
    """Return ``uri`` (a path with an optional query string) with credentials redacted."""
    path, question, query = uri.partition("?")
    return f"{path}?{redact_query(query)}" if question else uri

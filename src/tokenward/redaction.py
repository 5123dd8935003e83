"""Credentials out of logged URLs: every query-string credential value becomes ``[REDACTED]``."""

from __future__ import annotations

from urllib.parse import unquote_plus

from tokenward.conf import setting

REDACTED = "[REDACTED]"


def redact_query(query: str) -> str:
    """Return ``query`` with the value of every credential parameter replaced.

    Names are compared decoded, as Django decodes them: ``access%5Ftoken`` is caught too.
    """
    if not query:
        return query
    names = set(setting("QUERY_CREDENTIAL_PARAMETERS"))
    parts = query.split("&")
    for index, part in enumerate(parts):
        name, equals, _ = part.partition("=")
        if equals and unquote_plus(name) in names:
            parts[index] = f"{name}={REDACTED}"
    return "&".join(parts)


def redact_uri(uri: str) -> str:
    """Return ``uri`` (a path with an optional query string) with credentials redacted."""
    path, question, query = uri.partition("?")
    return f"{path}?{redact_query(query)}" if question else uri

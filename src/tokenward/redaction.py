"""Credentials out of logged URLs: query-string credentials and ``/api/tokens/<token>`` become
``[REDACTED]``."""

from __future__ import annotations

import logging
import re
from urllib.parse import quote, unquote, unquote_plus

from tokenward.conf import setting

REDACTED = "[REDACTED]"
_NESTING = 3  # how many times a value is decoded when looking for an embedded credential
_TOKEN_PATH = ("api", "tokens")  # the path segments a credential follows
_PATH_SAFE = "/:@[]!$&'()*+,;="  # kept as they are when a redacted path is encoded again


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
    """Return ``uri`` (a path with an optional query string) with credentials redacted.

    Credentials in the path are redacted too: the segment after ``/api/tokens/`` (Tuleap's
    ``DELETE /api/tokens/{token}``), matched decoded as Django routes it.
    """
    path, question, query = uri.partition("?")
    path = redact_path(path)
    return f"{path}?{redact_query(query)}" if question else path


def redact_path(path: str) -> str:
    """Return ``path`` with every segment that follows ``api/tokens/`` replaced.

    Segments are compared decoded, as the server routes them (``/api/tokens%2Ftws_…`` is
    caught too); a redacted path is written encoded again, so it cannot break a log line.
    """
    segments = unquote(path).split("/")
    found = False
    for index in range(2, len(segments)):
        if tuple(segments[index - 2 : index]) == _TOKEN_PATH and segments[index]:
            segments[index], found = REDACTED, True
    return quote("/".join(segments), safe=_PATH_SAFE) if found else path


class RedactingFilter(logging.Filter):
    """A logging filter: URL-looking string arguments of a record lose their credentials.

    Django logs "Internal Server Error: <path>" with the request path as an argument; the
    path may hold a token (``/api/tokens/<token>``), and so may a query string.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_uri(arg) if isinstance(arg, str) and arg.startswith("/") else arg
                for arg in record.args
            )
        return True

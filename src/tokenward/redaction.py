"""Credentials out of logs and error reports: query-string credentials and
``/api/tokens/<token>`` become ``[REDACTED]``; reports hide credential headers, cookies and
fields."""

from __future__ import annotations

import copy
import logging
import re
from typing import Any
from urllib.parse import quote, unquote, unquote_plus

from django.http import HttpRequest, QueryDict
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

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


class CredentialReporterFilter(SafeExceptionReporterFilter):
    """Error reports (the ADMINS mail, the debug page) without any credential of the request.

    Django's filter hides the ``Authorization`` and ``Cookie`` headers, and only with DEBUG
    off. This one always hides them, the ``X-Auth-*`` and CSRF headers, every cookie and form
    field named like a credential, credentials in the query string and the path, and every
    local variable of the traceback: a token can sit in any of them.
    """

    hidden_settings = re.compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|COOKIE|CSRF|SESSION|CODE|VERIFIER", re.I
    )
    _URI_META = ("PATH_INFO", "REQUEST_URI", "RAW_URI", "HTTP_REFERER")

    def is_active(self, request: HttpRequest | None) -> bool:
        return True

    def get_safe_request_meta(self, request: HttpRequest) -> dict[str, Any]:
        meta = super().get_safe_request_meta(request)
        if isinstance(meta.get("QUERY_STRING"), str):
            meta["QUERY_STRING"] = redact_query(meta["QUERY_STRING"])
        for key in self._URI_META:
            if isinstance(meta.get(key), str):
                meta[key] = redact_uri(meta[key])
        return meta

    def get_post_parameters(self, request: HttpRequest | None) -> Any:
        params = super().get_post_parameters(request)
        if not params:
            return params
        params = params.copy()
        for name in list(params):
            if self.hidden_settings.search(name):
                params[name] = self.cleansed_substitute
        return params

    def get_traceback_frame_variables(self, request: HttpRequest | None, tb_frame: Any) -> list:
        return [(name, self.cleansed_substitute) for name, _ in tb_frame.f_locals.items()]


class CredentialExceptionReporter(ExceptionReporter):
    """Django's reporter, writing the request's URL and query without their credentials."""

    def get_traceback_data(self) -> dict[str, Any]:
        data = super().get_traceback_data()
        if self.request is not None:
            query = redact_query(self.request.META.get("QUERY_STRING", ""))
            data["request_GET_items"] = QueryDict(query).items()
            uri = data["request_insecure_uri"]
            scheme_host = uri[: len(uri) - len(self.request.get_full_path())]
            data["request_insecure_uri"] = scheme_host + redact_uri(self.request.get_full_path())
            shown = copy.copy(self.request)  # the report's title names request.path_info
            shown.path_info, shown.path = redact_path(shown.path_info), redact_path(shown.path)
            data["request"] = shown
        return data

"""Credentials out of logs and error reports: query-string credentials and
``/api/tokens/<token>`` become ``[REDACTED]``; reports hide credential headers, cookies and
fields."""

from __future__ import annotations

import copy
import logging
import re
from typing import Any
from urllib.parse import quote, unquote, unquote_plus

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, QueryDict
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

from tokenward.conf import DEFAULTS, setting
from tokenward.credentials.format import TokenType

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


# --- Every log line, whatever wrote it --------------------------------------------------------

# A tokenward token anywhere (its prefix makes it recognisable: credentials/format.py), a JWT,
# or the value after an HTTP authentication scheme.
_SECRET_SHAPES = re.compile(
    rf"(?<![A-Za-z0-9])(?:{'|'.join(t.value for t in TokenType)})_[^\s'\"&;,<>]*"
    r"|(?<![A-Za-z0-9])eyJ[\w-]*\.[\w-]*\.[\w-]*"
    r"|(?<=\bBasic )[^\s'\"]+|(?<=\bBearer )[^\s'\"]+"
)
# ``name=`` with the separator raw or percent-encoded (once or more): ``%3D``, ``%253D``.
_ASSIGNMENT = re.compile(r"([\w.%\-]+?)(=|%(?:25)*3[Dd])")
_VALUE = re.compile(r"[^\s&'\"<>]*")
_NAME_END = re.compile(r"[?&;/=]")


def _credential_names() -> frozenset[str]:
    try:
        return frozenset(setting("QUERY_CREDENTIAL_PARAMETERS"))
    except ImproperlyConfigured:  # gunicorn's master logs before Django is set up
        return frozenset(DEFAULTS["QUERY_CREDENTIAL_PARAMETERS"])


def redact_text(text: str) -> str:
    """Return ``text``, a free-form log message, with every credential-looking value replaced.

    Catches tokenward tokens and JWTs anywhere, and the value of a credential parameter
    (``access_token=``, ``token=``) whatever surrounds it: a request line that gunicorn
    could not parse (raw spaces, raw UTF-8, control characters), a name or an ``=``
    percent-encoded, a credential embedded in another parameter's value.
    """
    text = _SECRET_SHAPES.sub(REDACTED, text)
    if "=" not in text and "%" not in text:
        return text
    names = _credential_names()
    out: list[str] = []
    position = 0
    for match in _ASSIGNMENT.finditer(text):
        if match.start() < position:
            continue  # inside a value already redacted
        name = match.group(1)
        for _ in range(_NESTING):
            name = unquote(name)
        if _NAME_END.split(name)[-1].lower() not in names:
            continue  # a value may embed a credential: keep scanning inside it
        value_end = _VALUE.match(text, match.end()).end()
        out.append(text[position : match.end()])
        out.append(REDACTED)
        position = value_end
    if not out:
        return text
    out.append(text[position:])
    return "".join(out)


class RedactingTextFilter(logging.Filter):
    """A handler filter: the whole message of every record, and its traceback, redacted.

    Installed on every handler (``redact_every_handler``), so no logger escapes it: gunicorn
    writes the raw request line it could not parse to its error log, which no URL-aware
    redaction sees.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        return True


TEXT_FILTER = RedactingTextFilter()


def redact_every_handler() -> None:
    """Add ``TEXT_FILTER`` to every handler of every logger configured so far, root included.

    Called once logging is configured: by Django's start-up (``authn`` app) and by
    gunicorn's logger set-up (``accesslog.RedactingLogger``), master and workers.
    """
    manager = logging.Logger.manager
    loggers = [logging.getLogger()]
    loggers += [lg for lg in list(manager.loggerDict.values()) if isinstance(lg, logging.Logger)]
    for logger in loggers:
        for handler in logger.handlers:
            if TEXT_FILTER not in handler.filters:
                handler.addFilter(TEXT_FILTER)

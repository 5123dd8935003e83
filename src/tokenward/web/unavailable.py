"""A database outage answers 503 with ``Retry-After``: never a traceback, a 401 or anonymous access.

Authentication reads the database (a token's row, a session, a password hash), so when the
database cannot be reached nothing can be verified and nothing is granted: every request that
needs a read is refused as temporarily unavailable. Django reconnects by itself once the
database answers again (``CONN_HEALTH_CHECKS``), so no restart is needed.

Within ``VERIFIED_TOKEN_CACHE_SECONDS`` (1 s) of a token's last verification a request that
needs no read at all (``/api/users/me``) may still be served from the verified-token cache:
the same stated bound within which a revocation made elsewhere is honoured.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

from django.core.signals import got_request_exception
from django.db.utils import InterfaceError, OperationalError
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse

from tokenward.errors import ErrorCode
from tokenward.web.errors import error_page, wants_json

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
DETAIL = "The database is unavailable; try again shortly."
# The OAuth2 endpoints that answer machines in JSON (the authorization page is for people).
JSON_PATHS = ("/oauth/token/", "/oauth/revoke_token/", "/oauth/introspect/")
# How many linked exceptions (cause, context, GraphQL's original) are looked at, at most.
_MAX_LINKED = 15
# Set on a request whose unhandled exception (in a middleware) was a database outage.
_FLAG = "tokenward_database_unavailable"


def _driver_errors() -> tuple[type[BaseException], ...]:
    try:
        import psycopg
    except ImportError:  # SQLite only
        return ()
    return (psycopg.OperationalError, psycopg.InterfaceError)


UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    *_driver_errors(),
)


def database_unavailable_cause(exc: BaseException | None) -> BaseException | None:
    """Return the database connection error behind ``exc`` (itself, its cause or context).

    Return None if ``exc`` is not caused by an unreachable database. GraphQL's wrapped
    resolver errors are followed through ``original_error``.
    """
    pending, seen = [exc], set()
    while pending and len(seen) < _MAX_LINKED:
        current = pending.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, UNAVAILABLE_ERRORS):
            return current
        pending += [
            getattr(current, "original_error", None),
            current.__cause__,
            current.__context__,
        ]
    return None


def log_outage(exc: BaseException) -> None:
    """Log one line at ERROR: the error's class and first line, never the SQL or a request."""
    first_line = (str(exc).strip().splitlines() or [""])[0][:200]
    log.error("Database unavailable (%s: %s); answering 503.", type(exc).__name__, first_line)


def unavailable_body() -> dict[str, str]:
    """Return the JSON body of a 503 for a database outage."""
    return {"detail": DETAIL, "code": str(ErrorCode.SERVICE_UNAVAILABLE)}


def mark_logged(response: HttpResponse) -> HttpResponse:
    """Keep Django from logging the 503 again, with its path: ``log_outage`` said it once."""
    response._has_been_logged = True  # read by django.utils.log.log_response
    return response


def unavailable_headers() -> dict[str, str]:
    """Return the headers of every 503 for a database outage: when to retry, and no caching."""
    return {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """Return the 503 for ``request``: JSON for API clients, the error page for browsers."""
    if wants_json(request) or request.path.startswith(JSON_PATHS):
        response: HttpResponse = JsonResponse(unavailable_body(), status=503)
    else:
        response = error_page(request, 503, DETAIL)
    for name, value in unavailable_headers().items():
        response[name] = value
    return mark_logged(response)


class DatabaseUnavailableMiddleware:
    """Turn a database outage anywhere in the request into a 503 with ``Retry-After``.

    Place it first in ``MIDDLEWARE``. A view's exception reaches ``process_exception``. One
    raised by another middleware (single sign-on reading the account, the session saved on
    the way out) is handled by Django itself: the ``got_request_exception`` receiver below
    marks the request, ``server_error_or_unavailable`` answers it 503, and with ``DEBUG`` on
    (no handler500) this middleware replaces the 500 on the way out.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, _FLAG, False):
            return unavailable_response(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        cause = database_unavailable_cause(exception)
        if cause is None:
            return None
        log_outage(cause)
        return unavailable_response(request)


def server_error_or_unavailable(server_error: Callable[..., HttpResponse]) -> Callable:
    """Wrap ``handler500``: a request marked as failed on the database gets the 503."""

    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if getattr(request, _FLAG, False):
            return unavailable_response(request)
        return server_error(request, *args, **kwargs)

    return view


@receiver(got_request_exception)
def _mark_database_outage(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    # Sent by Django while it handles the exception, so sys.exc_info() holds it.
    cause = database_unavailable_cause(sys.exc_info()[1])
    if cause is not None and request is not None:
        setattr(request, _FLAG, True)
        log_outage(cause)

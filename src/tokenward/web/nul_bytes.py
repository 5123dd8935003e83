"""NUL characters are refused at the door, once for every view: PostgreSQL cannot take them.

A NUL in a string that reaches a query is a ``DataError`` on PostgreSQL (a 500) and passes
on SQLite, so each view that forgot a check answered differently per database. No field of
this server accepts one. The checks cost the token path a few ``in`` tests on strings it
already has; a body is read only when it is a form or JSON, and decoded never.
"""

from __future__ import annotations

import binascii
import re
from base64 import b64decode
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse

from tokenward.authn.basic import MAX_HEADER_LENGTH
from tokenward.errors import ErrorCode
from tokenward.web import errors as web_errors

# An escape for U+0000 in JSON text that is not itself an escaped backslash and "u0000".
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# The OAuth2 endpoints (TargetData's /auth/token among them) answer in RFC 6749's shape.
_OAUTH_ENDPOINTS = ("/oauth/token/", "/oauth/revoke_token/", "/oauth/introspect/", "/auth/token")


def refusal(where: str) -> str:
    """Return the sentence a client reads when ``where`` held a NUL."""
    return f"The request has a NUL character in {where}; no field accepts one."


def nul_in_request(request: HttpRequest) -> str | None:
    """Return where ``request`` carries a NUL character, or None if it carries none.

    Looks where a client's text reaches a query: the query string and path (percent-encoded
    or raw), the login or client id of Basic credentials (base64), cookies (quoted
    ``\\000``), the user agent (audit events), and form and JSON bodies (``%00``,
    ``\\u0000``).
    """
    meta = request.META
    query = meta.get("QUERY_STRING", "")
    if "%00" in query or "\x00" in query:
        return "the query string"
    if "\x00" in request.path_info:
        return "the path"
    if _nul_in_basic(meta.get("HTTP_AUTHORIZATION", "")):
        return "the Basic login or client id"
    cookie = meta.get("HTTP_COOKIE", "")
    if ("\x00" in cookie or "\\" in cookie) and any(
        "\x00" in name or "\x00" in value for name, value in request.COOKIES.items()
    ):
        return "a cookie"
    if "\x00" in meta.get("HTTP_USER_AGENT", ""):
        return "the User-Agent header"
    if request.method in _BODY_METHODS and _nul_in_body(request):
        return "the body"
    return None


def _nul_in_basic(header: str) -> bool:
    """Whether Basic credentials name a login or client id with a NUL in it.

    Only the part before the colon is looked up; the password is compared with a hash, and
    a NUL there is refused by the Basic transport (``control characters``).
    """
    if header[:6].lower() != "basic " or len(header) > MAX_HEADER_LENGTH:
        return False  # not Basic, or refused by the Basic transport for its length
    try:
        decoded = b64decode(header[6:].strip(), validate=True)
    except (binascii.Error, ValueError):
        return False  # not base64: the Basic transport refuses it with its own reason
    return b"\x00" in decoded.split(b":", 1)[0]


def _nul_in_body(request: HttpRequest) -> bool:
    content_type = request.content_type or ""
    form = content_type in ("application/x-www-form-urlencoded", "multipart/form-data")
    if not (form or content_type.endswith("json")):
        return False  # XML parsers refuse NUL themselves; other types are not parsed
    length = request.META.get("CONTENT_LENGTH") or "0"
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if not length.isdigit() or length == "0" or (limit is not None and int(length) > limit):
        return False  # too big: whoever reads it refuses it as such
    try:
        body = request.body
    except RequestDataTooBig:
        return False
    if b"\x00" in body:
        return True
    if form:
        return content_type.startswith("application/") and b"%00" in body
    return b"u0000" in body and _JSON_NUL.search(body) is not None


class NulByteMiddleware:
    """Answer ``400 invalid_request`` to any request carrying a NUL, before any view runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = nul_in_request(request)
        if where is None:
            return self.get_response(request)
        detail = refusal(where)
        if request.path_info in _OAUTH_ENDPOINTS:
            body = {"error": "invalid_request", "error_description": detail}
            return JsonResponse(body, status=400)
        if web_errors.wants_json(request):
            return JsonResponse(
                {"detail": detail, "code": str(ErrorCode.INVALID_REQUEST)}, status=400
            )
        return web_errors.error_page(request, 400, detail)

"""Credentials that need headers on every reply.

Query-string credentials: headers on API replies, refused outright on web pages.
Deprecated credentials (Tuleap's 24-hour tokens): RFC 9745 deprecation headers.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from tokenward.authn.query import query_credentials
from tokenward.errors import ErrorCode
from tokenward.web import errors as web_errors
from tokenward.web.headers import ConstantHeaders

REFUSED_ON_PAGES = (
    "Credentials in the query string are not accepted on web pages; "
    "log in, or send the token to the API."
)
KEPT_PRIVATE = ConstantHeaders(
    {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}
)


class QueryCredentialMiddleware:
    """Keep a query-string credential out of caches, Referer headers and web pages.

    API replies to such a request, refusals included, carry ``Cache-Control: private,
    no-store`` and ``Referrer-Policy: no-referrer`` (security check 22). A web page never
    runs with one: the login redirect would copy it into ``next=`` and the browser history.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not (request.META.get("QUERY_STRING") and query_credentials(request)):
            return self.get_response(request)
        if request.path.startswith(web_errors.API_PREFIXES):
            response = self.get_response(request)
        elif web_errors.wants_json(request):
            response = JsonResponse(
                {"detail": REFUSED_ON_PAGES, "code": str(ErrorCode.INVALID_REQUEST)}, status=400
            )
        else:
            response = web_errors.error_page(request, 400, REFUSED_ON_PAGES)
        KEPT_PRIVATE.apply(response)
        return response


# RFC 9745 wants the date the credential was deprecated; the seed gives none, so a fixed
# past date (2024-01-01) says "deprecated already". The link names the successor.
DEPRECATION = "@1704067200"
DEPRECATION_LINK = '</api/personal-tokens>; rel="deprecation"; type="application/json"'
DEPRECATED = ConstantHeaders(
    {"Deprecation": DEPRECATION, "Link": DEPRECATION_LINK}, appended_to=("Link",)
)
_DEPRECATED = "tokenward_deprecated_credential"


def mark_deprecated(request: HttpRequest) -> None:
    """Have every reply to ``request`` say that its credential is deprecated."""
    setattr(request, _DEPRECATED, True)


class DeprecatedCredentialMiddleware:
    """Tell clients of a deprecated credential so, on every reply, refusals after it included.

    ``Deprecation`` and ``Link; rel="deprecation"`` (RFC 9745) point at personal access
    tokens, the successor. A ``Link`` the view set is kept.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, _DEPRECATED, False):
            DEPRECATED.apply(response)  # a Link the view set is kept, ours appended
        return response

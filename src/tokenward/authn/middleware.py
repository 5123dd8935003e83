"""Query-string credentials: headers on API replies, refused outright on web pages."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from tokenward.conf import setting
from tokenward.errors import ErrorCode
from tokenward.web import errors as web_errors

REFUSED_ON_PAGES = (
    "Credentials in the query string are not accepted on web pages; "
    "log in, or send the token to the API."
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
        if not (request.GET and carries_query_credential(request)):
            return self.get_response(request)
        if request.path.startswith(web_errors.API_PREFIXES):
            response = self.get_response(request)
        elif web_errors.wants_json(request):
            response = JsonResponse(
                {"detail": REFUSED_ON_PAGES, "code": str(ErrorCode.INVALID_REQUEST)}, status=400
            )
        else:
            response = web_errors.error_page(request, 400, REFUSED_ON_PAGES)
        response.headers["Cache-Control"] = "private, no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response


def carries_query_credential(request: HttpRequest) -> bool:
    """Return True if the query string names a credential parameter."""
    return any(name in request.GET for name in setting("QUERY_CREDENTIAL_PARAMETERS"))

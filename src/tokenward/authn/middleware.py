"""Headers for replies to requests that carry a credential in the query string."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from tokenward.conf import setting


class QueryCredentialMiddleware:
    """Keep a query-string credential out of caches and out of the next page's Referer.

    Applies to every reply to such a request, refusals included (security check 22).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.GET and any(p in request.GET for p in setting("QUERY_CREDENTIAL_PARAMETERS")):
            response.headers["Cache-Control"] = "private, no-store"
            response.headers["Referrer-Policy"] = "no-referrer"
        return response

"""Error replies outside DRF: JSON for API clients, a page for browsers."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

API_PREFIXES = ("/api/", "/auth/", "/graphql")

TITLES = {
    400: "Bad request",
    403: "Access denied",
    404: "Page not found",
    500: "Server error",
    503: "Service unavailable",
}


def wants_json(request: HttpRequest) -> bool:
    """Return True for API paths and clients that ask for JSON."""
    return request.path.startswith(API_PREFIXES) or "json" in request.headers.get("Accept", "")


def error_page(request: HttpRequest, status: int, detail: str) -> HttpResponse:
    """Return the error page for ``status``, explaining ``detail`` in a sentence.

    Server errors render without the request, so that a failing database or session store
    cannot break the error page itself.
    """
    context = {"status": status, "detail": detail, "title": TITLES.get(status)}
    body = render_to_string("web/error.html", context, request=request if status < 500 else None)
    return HttpResponse(body, status=status)

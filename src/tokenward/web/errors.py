"""Error replies outside DRF: JSON for API clients, a page for browsers."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

API_PREFIXES = ("/api/", "/auth/", "/graphql")


def wants_json(request: HttpRequest) -> bool:
    """Return True for API paths and clients that ask for JSON."""
    return request.path.startswith(API_PREFIXES) or "json" in request.headers.get("Accept", "")


def error_page(request: HttpRequest, status: int, detail: str) -> HttpResponse:
    body = render_to_string("web/error.html", {"status": status, "detail": detail})
    return HttpResponse(body, status=status)

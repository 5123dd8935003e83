"""Security headers: a Content-Security-Policy on every page, and ``no-store`` on every reply
that shows or issues a credential."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import never_cache

# Only our own stylesheet and scripts, no inline code, no framing: an injected tag on a page
# that shows a secret can neither run nor send the secret anywhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# Every other page of ours: the same files, no inline code; it may call its own API.
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# The two third-party tools we serve load their code from a CDN and style inline: Redoc
# (drf-spectacular, /api/docs) and GraphiQL (strawberry, /graphql, whose page script is
# inline). Each gets exactly the hosts it needs; neither page shows a secret.
TOOL_POLICIES = {
    "/api/docs": (
        "default-src 'none'; script-src https://cdn.jsdelivr.net; "
        "style-src 'unsafe-inline' https://fonts.googleapis.com; "
        "font-src https://fonts.gstatic.com; "
        "img-src 'self' data:; connect-src 'self'; worker-src blob:; form-action 'none'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "/graphql": (
        "default-src 'none'; script-src 'unsafe-inline' https://unpkg.com; "
        "style-src 'unsafe-inline' https://unpkg.com; font-src https://unpkg.com data:; "
        "img-src 'self' data:; connect-src 'self'; form-action 'none'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}
# Same-origin, not no-referrer: Django's CSRF check reads the Referer of HTTPS posts.
REFERRER_POLICY = "same-origin"
# Pragma for HTTP/1.0 caches, which ignore Cache-Control (RFC 6749 §5.1).
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

View = Callable[..., HttpResponse]


def no_store(response: HttpResponse) -> HttpResponse:
    """Mark ``response`` as holding a secret: no cache on the way may keep it."""
    patch_cache_control(response, no_store=True)
    response.headers["Pragma"] = NO_STORE["Pragma"]
    return response


def issuing_reply(view: View) -> View:
    """Make every reply of ``view`` (a token endpoint) ``no-store``, refusals included.

    Put it on a DRF view's ``dispatch`` (``method_decorator``) to cover the replies DRF makes
    from exceptions too.
    """

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> HttpResponse:
        return no_store(view(*args, **kwargs))

    return wrapped


def credential_page(view: View) -> View:
    """Make every reply of ``view`` ``no-store`` and give it a strict Content-Security-Policy.

    Redirects and refusals are covered too: the headers are set on whatever the view returns.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["Referrer-Policy"] = REFERRER_POLICY
        response.headers["Pragma"] = NO_STORE["Pragma"]
        return response

    return never_cache(wrapped)


class ContentSecurityPolicyMiddleware:
    """Give every HTML reply a Content-Security-Policy, unless its view set a stricter one.

    Django 5.2 has no CSP setting of its own (it arrives in 6.0).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        is_page = response.get("Content-Type", "").startswith("text/html")
        if is_page and "Content-Security-Policy" not in response.headers:
            policy = TOOL_POLICIES.get(request.path_info, PAGE_POLICY)
            response.headers["Content-Security-Policy"] = policy
        return response

"""Headers for pages that show or manage credentials: never cached, nothing but our own files."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache

# Only our own stylesheet and scripts, no inline code, no framing: an injected tag on a page
# that shows a secret can neither run nor send the secret anywhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# Same-origin, not no-referrer: Django's CSRF check reads the Referer of HTTPS posts.
REFERRER_POLICY = "same-origin"

View = Callable[..., HttpResponse]


def credential_page(view: View) -> View:
    """Make every reply of ``view`` ``no-store`` and give it a strict Content-Security-Policy.

    Redirects and refusals are covered too: the headers are set on whatever the view returns.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["Referrer-Policy"] = REFERRER_POLICY
        return response

    return never_cache(wrapped)

"""Where a request comes from, as the audit log and last-use tracking record it."""

from __future__ import annotations

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest
from rest_framework.request import Request

from tokenward.audit.services import ClientInfo


def client_info(
    request: Request | HttpRequest, method: str, *, with_origin: bool = True
) -> ClientInfo:
    """Return the client address, user agent and origin of ``request``, for ``method``.

    The address is the peer's; gunicorn rewrites it from X-Forwarded-For only for the
    trusted proxies named in its settings. The origin (for links in e-mails) is left out
    on the verification path, where nothing needs it.
    """
    # DRF's Request hands META over through __getattr__: slow on the verification path.
    meta = request._request.META if isinstance(request, Request) else request.META
    return ClientInfo(
        method=method,
        address=meta.get("REMOTE_ADDR") or None,
        user_agent=meta.get("HTTP_USER_AGENT", "")[:256],
        origin=_origin(request) if with_origin else "",
    )


def _origin(request: Request | HttpRequest) -> str:
    try:
        return f"{request.scheme}://{request.get_host()}"
    except DisallowedHost:  # no origin rather than an error
        return ""

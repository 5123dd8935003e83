"""Where a request comes from, as the audit log and last-use tracking record it."""

from __future__ import annotations

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest
from rest_framework.request import Request

from tokenward.audit.services import ClientInfo


def client_info(request: Request | HttpRequest, method: str) -> ClientInfo:
    """Return the client address, user agent and origin of ``request``, for ``method``.

    The address is the peer's; gunicorn rewrites it from X-Forwarded-For only for the
    trusted proxies named in its settings.
    """
    meta = request.META
    return ClientInfo(
        method=method,
        address=meta.get("REMOTE_ADDR") or None,
        user_agent=meta.get("HTTP_USER_AGENT", "")[:256],
        origin=f"{request.scheme}://{request.get_host()}" if _has_valid_host(request) else "",
    )


def _has_valid_host(request: Request | HttpRequest) -> bool:
    try:
        request.get_host()
    except DisallowedHost:  # no origin rather than an error
        return False
    return True

"""Where a request comes from, as the audit log, last-use tracking and the lockout record it."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import DisallowedHost
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from rest_framework.request import Request

from tokenward.audit.services import ClientInfo
from tokenward.conf import setting
from tokenward.networks import Network, networks_of, parse_address

# TRUSTED_PROXIES, parsed. Not read at import: it starts as a truthy placeholder, so the
# first request reads the setting, and it goes back to that on a settings change. Empty
# (the default), it costs ``client_info`` one truthiness test per request.
_UNREAD: tuple[Any, ...] = ("unread",)
_trusted_proxies: tuple[Network, ...] = _UNREAD

# The most X-Forwarded-For entries looked at, from the right: more hops than any real chain
# of proxies, and a bound on the work that a long header can cause.
MAX_FORWARDED_HOPS = 32


def client_info(
    request: Request | HttpRequest, method: str, *, with_origin: bool = True
) -> ClientInfo:
    """Return the client address, user agent and origin of ``request``, for ``method``.

    The address is the peer's (``REMOTE_ADDR``), unless the peer is one of
    ``TRUSTED_PROXIES``: then it is read from X-Forwarded-For (``_forwarded_address``).
    gunicorn does not rewrite ``REMOTE_ADDR``; its ``forwarded_allow_ips`` only decides
    whether X-Forwarded-Proto is believed. The origin (for links in e-mails) is left out on
    the verification path, where nothing needs it.
    """
    # DRF's Request hands META over through __getattr__: slow on the verification path.
    meta = request._request.META if isinstance(request, Request) else request.META
    address = meta.get("REMOTE_ADDR") or None
    if _trusted_proxies:  # the hot path's only cost when no proxy is trusted
        address = _forwarded_address(meta, address)
    # Positional: a named tuple built from keywords costs half as much again.
    return ClientInfo(
        method,
        address,
        meta.get("HTTP_USER_AGENT", "")[:256],
        _origin(request) if with_origin else "",
    )


def _forwarded_address(meta: dict[str, Any], peer: str | None) -> str | None:
    """Return the client address that the trusted proxies in front of ``peer`` report.

    X-Forwarded-For is believed only when the peer is a trusted proxy. It is walked from the
    right, past the entries that are trusted proxies themselves, to the first that is not:
    each proxy appends the address it saw, so only entries added by trusted proxies are
    believed, and whatever a client puts on the left is never reached. An entry that is not
    a bare IP address (a port, "unknown", a remainder beyond ``MAX_FORWARDED_HOPS``) ends the
    walk at the last trusted hop: the answer is never a string the client chose.
    """
    global _trusted_proxies
    if _trusted_proxies is _UNREAD:
        _trusted_proxies = networks_of(setting("TRUSTED_PROXIES"))
    networks = _trusted_proxies
    peer_ip = parse_address(peer) if peer else None
    if peer_ip is None or not any(peer_ip in network for network in networks):
        return peer
    header = meta.get("HTTP_X_FORWARDED_FOR", "")
    if not header:
        return peer
    client = peer
    for entry in reversed(header.rsplit(",", MAX_FORWARDED_HOPS - 1)):
        hop = parse_address(entry.strip())
        if hop is None:
            break
        client = str(hop)
        if not any(hop in network for network in networks):
            break
    return client


@receiver(setting_changed)
def _forget_trusted_proxies(*, setting: str, **kwargs: Any) -> None:
    global _trusted_proxies
    if setting == "TOKENWARD":
        _trusted_proxies = _UNREAD


def _origin(request: Request | HttpRequest) -> str:
    try:
        return f"{request.scheme}://{request.get_host()}"
    except DisallowedHost:  # no origin rather than an error
        return ""

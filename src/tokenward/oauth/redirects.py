"""Redirect URIs that a browser and Python read alike: one rule for registration and authorization.

A redirect URI is checked by Python (``urllib.parse``, in django-oauth-toolkit's matching)
and followed by a browser, which parses it by the WHATWG URL standard. The two disagree on
many strings: a browser reads ``\\`` as ``/`` in http(s) URLs, strips tabs, newlines and
leading or trailing spaces and C0 controls, percent-decodes and IDNA-maps the host (fullwidth
letters, ``%2F``), reads ``0x7f.1`` or ``2130706433`` as ``127.0.0.1``, and accepts
``http:evil.com`` or ``http:/evil.com``. So ``http://evil.com\\@127.0.0.1/cb`` is a loopback
URI to ``urllib`` (user ``evil.com\\``) and ``evil.com`` to a browser.

Rather than emulate the browser, this module accepts only URIs on which no such
disagreement is possible, and refuses the rest with a sentence saying what to change:

- printable ASCII only (no space, control character, ``\\`` or non-ASCII: write an
  internationalised host in its ``xn--`` form), and no fragment (RFC 6749 §3.1.2);
- a lower-case scheme, followed by ``//`` and an authority for http and https;
- no userinfo (``@``) and no percent sign in the authority;
- a host that is a lower-case DNS name whose last label is not a number, a dotted-quad
  IPv4 address in its canonical form (no ``0x``, octal or short forms), or a bracketed
  IPv6 address in its canonical (shortest, lower-case) form without a zone;
- a port, if any, of decimal digits without a leading zero, from 1 to 65535;
- no ``.`` or ``..`` path segment, plain or percent-encoded: a browser resolves them and
  ``urllib`` does not.
"""

from __future__ import annotations

import ipaddress
import re

SPECIAL_SCHEMES = frozenset({"http", "https"})
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*")
_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_NUMBER = re.compile(r"(0[xX][0-9a-fA-F]*|[0-9]+)")
_PORT = re.compile(r"[1-9][0-9]{0,4}")
_DOT_SEGMENT = re.compile(r"(^|/)(\.|%2e){1,2}(/|$)", re.IGNORECASE)


class RedirectUriError(ValueError):
    """A redirect URI that a browser might read differently from Python; the message says why."""


def check_redirect_uri(uri: str) -> None:
    """Return if ``uri`` reads the same to a browser and to ``urllib``; else raise
    ``RedirectUriError`` with a sentence that never repeats the URI."""
    if not uri or not all("!" <= char <= "~" for char in uri):
        raise RedirectUriError(
            "A redirect URI must be printable ASCII without spaces or control characters "
            "(write an international host name in its xn-- form)."
        )
    if "\\" in uri:
        raise RedirectUriError("A redirect URI must not contain a backslash.")
    if "#" in uri:
        raise RedirectUriError("A redirect URI must not have a fragment (#).")
    scheme, colon, rest = uri.partition(":")
    if not colon or not _SCHEME.fullmatch(scheme):
        raise RedirectUriError("A redirect URI must start with a lower-case scheme, like https:.")
    if scheme in SPECIAL_SCHEMES and not rest.startswith("//"):
        raise RedirectUriError("An http or https redirect URI must start with scheme://host.")
    if not rest.startswith("//"):
        path = rest.split("?", 1)[0]
    else:
        authority, path = _split_authority(rest[2:])
        _check_authority(authority, special=scheme in SPECIAL_SCHEMES)
    if _DOT_SEGMENT.search(path):
        raise RedirectUriError("A redirect URI's path must not have . or .. segments.")


def is_unambiguous(uri: str) -> bool:
    """Return True if ``check_redirect_uri`` accepts ``uri``."""
    try:
        check_redirect_uri(uri)
    except RedirectUriError:
        return False
    return True


def _split_authority(after_slashes: str) -> tuple[str, str]:
    """Return the authority and the path of what follows ``scheme://``."""
    end = len(after_slashes)
    for delimiter in "/?":
        found = after_slashes.find(delimiter)
        if found != -1:
            end = min(end, found)
    path = after_slashes[end:].split("?", 1)[0]
    return after_slashes[:end], path


def _check_authority(authority: str, *, special: bool) -> None:
    if "@" in authority:
        raise RedirectUriError("A redirect URI must not carry a user name or password (@).")
    if "%" in authority:
        raise RedirectUriError("A redirect URI's host must not be percent-encoded.")
    if authority.startswith("["):
        host, bracket, port = authority.partition("]")
        host += bracket
    else:
        host, _colon, port = authority.partition(":")
        port = ":" + port if _colon else ""
    if port and (
        not port.startswith(":") or not _PORT.fullmatch(port[1:]) or int(port[1:]) > 65535
    ):
        raise RedirectUriError("A redirect URI's port must be a number from 1 to 65535.")
    if not host and not special:
        return  # file-like private-use URIs (RFC 8252 §7.1) have an empty authority
    if not _is_canonical_host(host):
        raise RedirectUriError(
            "A redirect URI's host must be a lower-case domain name, a dotted IPv4 address "
            "or a bracketed IPv6 address, written in its usual form."
        )


def _is_canonical_host(host: str) -> bool:
    """Return True for a host that a browser serialises exactly as written."""
    if host.startswith("["):
        if not host.endswith("]"):
            return False
        try:
            address = ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return False
        return str(address) == host[1:-1]
    labels = host.split(".")
    if _NUMBER.fullmatch(labels[-1]):
        # WHATWG reads a host ending in a number as IPv4 (0x7f.1, 127.1, 2130706433).
        try:
            return str(ipaddress.IPv4Address(host)) == host
        except ValueError:
            return False
    return len(host) <= 253 and all(_LABEL.fullmatch(label) for label in labels)

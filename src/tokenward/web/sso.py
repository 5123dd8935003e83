"""Single sign-on: a trusted proxy names the logged-in user in a request header."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import RemoteUserBackend
from django.contrib.auth.middleware import PersistentRemoteUserMiddleware
from django.http import HttpRequest

from tokenward.accounts.models import User
from tokenward.conf import setting
from tokenward.networks import in_networks


def meta_key(header: str) -> str:
    """Return the ``request.META`` key under which WSGI passes the header ``header``."""
    return "HTTP_" + header.upper().replace("-", "_")


def is_trusted_proxy(address: str) -> bool:
    """Return True if ``address`` (a ``REMOTE_ADDR``) is within ``SSO_TRUSTED_PROXIES``."""
    return in_networks(address, setting("SSO_TRUSTED_PROXIES"))


def sso_header_applies(request: HttpRequest) -> bool:
    """Return True if the single sign-on header of ``request`` may be believed at all."""
    header = setting("SSO_HEADER")
    return (
        isinstance(header, str)
        and bool(header)
        and is_trusted_proxy(request.META.get("REMOTE_ADDR", ""))
    )


class SingleSignOnMiddleware(PersistentRemoteUserMiddleware):
    """Log in the single-sign-on account that a trusted proxy names in ``SSO_HEADER``.

    The header counts only when ``SSO_HEADER`` is set and the request comes from an address
    in ``SSO_TRUSTED_PROXIES``; otherwise it is ignored entirely and logs nobody in or out.
    A request without it (or with it empty) keeps its session, so the proxy may guard only
    some paths. Which accounts may be logged in is ``SingleSignOnBackend``'s decision.
    """

    # Django 5.2's async path reads the header under another key ("HTTP_" + header); the
    # server is WSGI, so the sync path is the only one.
    async_capable = False

    @property
    def header(self) -> str:  # type: ignore[override]
        """The ``request.META`` key of the configured header, read at request time."""
        return meta_key(setting("SSO_HEADER"))

    def process_request(self, request: HttpRequest) -> None:
        if not sso_header_applies(request):
            return
        if not request.META.get(self.header, "").strip():
            return
        super().process_request(request)


class SingleSignOnBackend(RemoteUserBackend):
    """Authenticate the account a trusted proxy names: active single-sign-on accounts only.

    Accounts are never created from the header, and a local account named in it is refused:
    a local account signs in with its password.
    """

    create_unknown_user = False

    def user_can_authenticate(self, user: Any) -> bool:
        return user is not None and user.is_active and user.is_sso

    def get_user(self, user_id: Any) -> User | None:
        """Return the user of a session, as the model backend does.

        An inactive account's session ends in Django's session check, whichever backend made
        it (``User.get_session_auth_hash``).
        """
        try:
            return User.objects.get(pk=user_id)
        except User.DoesNotExist:
            return None

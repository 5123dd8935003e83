"""Session-cookie authentication for browsers and mashups, with CSRF on unsafe methods."""

from __future__ import annotations

from django.contrib.auth import SESSION_KEY
from django.core.exceptions import ValidationError
from rest_framework.authentication import CSRFCheck
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request

from tokenward.accounts.models import User
from tokenward.accounts.policy import check_api_access
from tokenward.authn.base import AuthInfo, CredentialFailed, Transport
from tokenward.errors import AccessDeniedError, ErrorCode


class SessionCookieAuthentication(Transport):
    """The login session Django's middleware loaded from the session cookie."""

    method = "session"
    ambient = True

    def presented(self, request: Request) -> bool:
        session = getattr(request._request, "session", None)
        return session is not None and SESSION_KEY in session

    def authenticate(self, request: Request) -> tuple[User, AuthInfo] | None:
        # Read before ``request.user``: Django's session check flushes an ended session.
        session = getattr(request._request, "session", None)
        user_id = session.get(SESSION_KEY) if session is not None else None
        user = getattr(request._request, "user", None)
        if user is None or not user.is_authenticated:
            if user_id is not None and _is_inactive(user_id):
                raise CredentialFailed(
                    AccessDeniedError(ErrorCode.INACTIVE_USER, "This account is inactive.")
                )
            return None
        try:
            check_api_access(user)
        except AccessDeniedError as error:
            raise CredentialFailed(error) from None
        self._enforce_csrf(request)
        return user, AuthInfo(method=self.method)

    def _enforce_csrf(self, request: Request) -> None:
        def no_response(_request: object) -> None:
            return None

        check = CSRFCheck(no_response)
        check.process_request(request._request)
        reason = check.process_view(request._request, None, (), {})
        if reason:
            raise PermissionDenied(f"CSRF Failed: {reason}")


def _is_inactive(user_id: object) -> bool:
    """Return True if the session that just ended belonged to an inactive account.

    The session itself ended in Django's check (``User.get_session_auth_hash``); this only
    tells the API client why, as every other credential of an inactive account does.
    """
    try:
        pk = User._meta.pk.to_python(user_id)
    except ValidationError:
        return False
    return User.objects.filter(pk=pk, is_active=False).exists()

"""HTTP Basic authentication (RFC 7617) with login and password.

A correct password is verified with the full hash once, then recalled from
``basic_cache`` for at most ``VERIFIED_TOKEN_CACHE_SECONDS``; a wrong one always costs the
hash (``_verify_password_slowly``), and counts towards the lockout on failed attempts.
"""

from __future__ import annotations

import base64
import binascii

from django.contrib.auth import authenticate
from rest_framework.request import Request

from tokenward.accounts import lockout, site
from tokenward.accounts.models import SYSTEM_LOGIN, User
from tokenward.accounts.policy import check_api_access
from tokenward.authn import basic_cache
from tokenward.authn.base import AuthInfo, CredentialFailed, TooManyAttemptsFailed, Transport
from tokenward.authn.client import client_info
from tokenward.errors import AccessDeniedError, CredentialError, ErrorCode

REALM = 'Basic realm="tokenward", charset="UTF-8"'
MAX_HEADER_LENGTH = 4096
INVALID_LOGIN = "Invalid username or password."
SYSTEM_BASIC_DISABLED = (
    "Basic authentication is disabled for the System user while the login form is disabled "
    "for single sign-on; use a token instead."
)


def _malformed(detail: str) -> CredentialFailed:
    return CredentialFailed(CredentialError(ErrorCode.INVALID_CREDENTIALS, detail), REALM)


def parse_basic_credentials(header: str) -> tuple[str, str]:
    """Return ``(login, password)`` from an ``Authorization: Basic`` value.

    The credentials are UTF-8 and split at the first colon, so passwords may hold colons.
    Raise ``CredentialFailed`` with a sentence naming what is wrong with the header.
    """
    if len(header) > MAX_HEADER_LENGTH:
        raise _malformed("Invalid Basic header. The header is too long.")
    parts = [part for part in header.split(" ") if part]  # spaces only (RFC 7235): no tabs
    if len(parts) != 2:
        raise _malformed(
            "Invalid Basic header. The credentials must be one base64 string after 'Basic'."
        )
    try:
        decoded = base64.b64decode(parts[1], validate=True).decode("utf-8")
    except UnicodeDecodeError:  # a ValueError too: caught first
        raise _malformed("Invalid Basic header. The credentials are not valid UTF-8.") from None
    except (binascii.Error, ValueError):
        raise _malformed("Invalid Basic header. The credentials are not valid base64.") from None
    login, colon, password = decoded.partition(":")
    if not colon:
        raise _malformed("Invalid Basic header. The credentials must be 'login:password'.")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in decoded):
        raise _malformed("Invalid Basic header. The credentials contain control characters.")
    return login, password


class BasicAuthentication(Transport):
    """``Authorization: Basic base64(login:password)``."""

    method = "basic"
    challenge = REALM
    authorization_scheme = "basic"

    def authenticate(self, request: Request) -> tuple[User, AuthInfo] | None:
        header = request._request.META.get("HTTP_AUTHORIZATION", "")
        if header.partition(" ")[0].lower() != "basic":
            return None
        login, password = parse_basic_credentials(header)
        key = basic_cache.credential_key(login, password)
        user = basic_cache.recall(key)
        if user is not None:
            try:
                _check_owner(user)  # the owner's state, on every request, as tokens do
            except CredentialFailed:
                basic_cache.forget(key)
                raise
            return user, AuthInfo(method=self.method)
        changes_before = basic_cache.change_count()
        user = _verify_password_slowly(request, login, password)
        _check_owner(user)
        basic_cache.remember(key, user, changes_before)
        return user, AuthInfo(method=self.method)


def _verify_password_slowly(request: Request, login: str, password: str) -> User:
    """Return the user whose password this is; raise ``CredentialFailed`` if there is none.

    The only place a Basic password is judged wrong, and it always runs the full hash: a
    failure is never cached. Unknown logins cost a password hash too (Django's ModelBackend),
    so timing does not tell them apart from wrong passwords. Failures count towards the
    lockout (``accounts.lockout``); while it holds, nothing is hashed and the answer is 429.
    """
    client = client_info(request, BasicAuthentication.method, with_origin=False)
    try:
        lockout.enforce(login, client)
    except lockout.LockedOut as locked:
        raise TooManyAttemptsFailed(locked.detail, locked.retry_after) from None
    user = authenticate(request._request, username=login, password=password)
    if user is None:
        lockout.record_failure(login, client.address)
        if login == SYSTEM_LOGIN:
            _refuse_system_without_password()
        raise CredentialFailed(CredentialError(ErrorCode.INVALID_CREDENTIALS, INVALID_LOGIN), REALM)
    lockout.reset(login, client.address)
    return user


def _check_owner(user: User) -> None:
    """Raise ``CredentialFailed`` unless ``user``, whose password was right, may use Basic now.

    Runs on every request, from the cache or not, so a deactivation, a role change or the
    login form being disabled takes effect as it does for tokens.
    """
    if not user.is_active:
        raise CredentialFailed(CredentialError(ErrorCode.INVALID_CREDENTIALS, INVALID_LOGIN), REALM)
    if user.is_system and not site.login_form_enabled():
        # Only after the password was verified: the refusal tells nothing to whoever lacks
        # it. No Basic challenge: the pipeline's names the token schemes to use instead.
        raise CredentialFailed(CredentialError(ErrorCode.BASIC_DISABLED, SYSTEM_BASIC_DISABLED))
    try:
        check_api_access(user)
    except AccessDeniedError as error:
        raise CredentialFailed(error, REALM) from None


def _refuse_system_without_password() -> None:
    """Say so when the System user has no password yet (Targetprocess's FAQ): every
    installation has this user, so the answer reveals nothing."""
    system = User.objects.filter(is_system=True).first()
    if system is not None and not system.has_usable_password():
        try:
            check_api_access(system)
        except AccessDeniedError as error:
            raise CredentialFailed(error, REALM) from None

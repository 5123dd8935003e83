"""Who may use the API at all: the rules every credential obeys after it is verified."""

from __future__ import annotations

from tokenward.accounts import site
from tokenward.accounts.models import User
from tokenward.errors import AccessDeniedError, ErrorCode


def check_api_access(user: User) -> None:
    """Raise ``AccessDeniedError`` unless ``user`` may call the API.

    Inactive users and Requesters get no API access (Targetprocess); the System user's
    credentials work only once its password has been set.
    """
    if not user.is_active:
        raise AccessDeniedError(ErrorCode.INACTIVE_USER, "This account is inactive.")
    if user.is_requester:
        raise AccessDeniedError(
            ErrorCode.API_ACCESS_DENIED, "Requester accounts are not granted access to the API."
        )
    if user.is_system and not user.has_usable_password():
        raise AccessDeniedError(
            ErrorCode.PASSWORD_NOT_SET,
            "The System user's password is not set; an administrator must set it first.",
        )


def check_token_use(user: User) -> None:
    """Raise ``AccessDeniedError`` unless ``user``'s API tokens may be used right now.

    On top of ``check_api_access``: the live "can use API tokens" permission. Switching it
    off disables every token of the user without deleting one.
    """
    check_api_access(user)
    if not user.can_use_api_tokens:
        raise AccessDeniedError(
            ErrorCode.API_TOKENS_DISABLED, "This account may not use API tokens."
        )


def check_password_login(user: User) -> None:
    """Raise ``AccessDeniedError`` if ``user`` may not authenticate to the API by password.

    With the login form disabled for single sign-on, the System user's password no longer
    opens the API (Targetprocess): not over Basic, nor to obtain tokens with it.
    """
    if user.is_system and not site.login_form_enabled():
        raise AccessDeniedError(
            ErrorCode.BASIC_DISABLED,
            "Password authentication is disabled for the System user while the login form "
            "is disabled; use a token instead.",
        )

"""The package's exceptions: one base class, and messages that never carry a secret.

Every message is built from the server's error code and description with the secrets
the request carried replaced by ``***``, so a logged exception cannot leak a credential.
"""

from __future__ import annotations

__all__ = [
    "InvalidResponseError",
    "LoginError",
    "RefusedError",
    "TokenRefreshError",
    "TokenwardError",
]


class TokenwardError(Exception):
    """Base class of everything this package raises."""


class InvalidResponseError(TokenwardError):
    """The server answered something this package cannot use (not JSON, a field missing).

    Distinct from a refusal: retrying with other credentials will not help, the server or
    the URL is wrong.
    """

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class RefusedError(TokenwardError):
    """The server refused to issue, refresh or end a credential.

    ``error`` is the machine-readable code (RFC 6749 ``error`` or the API's ``code``),
    ``error_description`` the server's human-readable text, with secrets masked.
    """

    def __init__(
        self, what: str, *, status_code: int, error: str, error_description: str = ""
    ) -> None:
        self.what = what
        self.status_code = status_code
        self.error = error
        self.error_description = error_description
        message = f"{what} refused (HTTP {status_code}): {error}"
        if error_description:
            message += f": {error_description}"
        super().__init__(message)


class TokenRefreshError(RefusedError):
    """A token endpoint refused to refresh an access token (RFC 6749 §5.2).

    ``error == "invalid_grant"`` means the refresh or offline token is dead (revoked,
    rotated away, its owner locked out): ask the user for a new one.
    """


class LoginError(RefusedError):
    """The web login form did not log the user in."""

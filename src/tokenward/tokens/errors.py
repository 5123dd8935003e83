"""Why a request to issue or manage tokens cannot be carried out."""

from __future__ import annotations


class TokenRequestError(ValueError):
    """A field of the request is invalid; ``field`` names it, the message says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class TokensNotPermittedError(PermissionError):
    """The account may not hold or manage API tokens, or not for this user."""


class TokenNotLiveError(ValueError):
    """The token is revoked or expired, so it cannot be rotated; the message says which."""

"""What every transport shares: the result of authentication and the failure it raises."""

from __future__ import annotations

from abc import ABCMeta
from typing import NamedTuple

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from tokenward.errors import CredentialError, ErrorCode


class AuthInfo(NamedTuple):
    """How a request was authenticated: DRF's ``request.auth``.

    ``method`` names the transport (``basic``, ``session``, ...); ``credential_id`` is the id of
    a stored credential, never its secret; ``scopes`` is None when the credential is not
    narrowed by scopes. A named tuple: one is built on every authenticated request.
    """

    method: str
    credential_id: str | None = None
    scopes: frozenset[str] | None = None


class CredentialFailed(exceptions.AuthenticationFailed):
    """DRF's face of a ``CredentialError``: keeps its status, code and challenge."""

    def __init__(self, error: CredentialError, challenge: str | None = None) -> None:
        super().__init__(detail=error.detail, code=str(error.code))
        self.status_code = error.status_code
        self.challenge = challenge


class TooManyAttemptsFailed(exceptions.APIException):
    """A lockout (``accounts.lockout.LockedOut``) as an API error: 429, and ``Retry-After``
    from ``wait``, which DRF's handler turns into the header."""

    status_code = 429
    default_code = str(ErrorCode.TOO_MANY_ATTEMPTS)

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.wait = retry_after


def invalid_request(detail: str) -> CredentialFailed:
    """Return the failure for a request whose credentials are malformed or ambiguous.

    RFC 6750 §3.1: 400 with ``error="invalid_request"`` in the challenge.
    """
    description = detail.replace('"', "'")
    challenge = (
        f'Bearer realm="tokenward", error="invalid_request", error_description="{description}"'
    )
    error = CredentialError(ErrorCode.INVALID_REQUEST, detail, status_code=400)
    return CredentialFailed(error, challenge)


class Transport(BaseAuthentication, metaclass=ABCMeta):
    """One way of presenting a credential. Subclasses set ``method`` and ``challenge``.

    An explicit transport declares where its credential travels: an ``authorization_scheme``
    (lower case), request ``headers`` (``META`` keys) or a ``query_parameter``. The pipeline
    reads those places once per request to find what it carries, and refuses two.
    ``ambient`` transports (the session cookie) are sent by browsers unasked and yield to
    an explicit credential instead of conflicting with it.
    """

    method: str = ""
    challenge: str | None = None
    ambient: bool = False
    authorization_scheme: str | None = None
    headers: tuple[str, ...] = ()
    query_parameter: str | None = None

    def authenticate_header(self, request: Request) -> str | None:
        return self.challenge

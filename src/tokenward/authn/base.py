"""What every transport shares: the result of authentication and the failure it raises."""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from dataclasses import dataclass

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from tokenward.errors import CredentialError, ErrorCode


@dataclass(frozen=True)
class AuthInfo:
    """How a request was authenticated: DRF's ``request.auth``.

    ``method`` names the transport (``basic``, ``session``, ...); ``credential_id`` is the id of
    a stored credential, never its secret; ``scopes`` is None when the credential is not
    narrowed by scopes.
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

    ``presented()`` says, without verifying anything, whether the request carries this
    transport's credential, so the pipeline can refuse requests that carry two.
    ``ambient`` transports (the session cookie) are sent by browsers unasked and yield to
    an explicit credential instead of conflicting with it.
    """

    method: str = ""
    challenge: str | None = None
    ambient: bool = False

    @abstractmethod
    def presented(self, request: Request) -> bool:
        """Return True if the request carries this transport's credential."""

    def authenticate_header(self, request: Request) -> str | None:
        return self.challenge

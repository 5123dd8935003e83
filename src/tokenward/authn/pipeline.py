"""The one authentication pipeline, shared by REST and GraphQL: transports in a fixed order."""

from __future__ import annotations

from collections.abc import Sequence

from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from tokenward.accounts.models import User
from tokenward.authn.base import AuthInfo, Transport, invalid_request
from tokenward.authn.basic import BasicAuthentication
from tokenward.authn.scopes import enforce_scope
from tokenward.authn.service import ServiceTokenQueryAuthentication
from tokenward.authn.session import SessionCookieAuthentication
from tokenward.authn.tokens import (
    AccessKeyHeaderAuthentication,
    AccessTokenQueryAuthentication,
    BearerTokenAuthentication,
    TokenSchemeAuthentication,
)
from tokenward.authn.tuleap import TuleapTokenAuthentication

# Stateless: one instance of each serves every request.
_TRANSPORTS: tuple[Transport, ...] = (
    BasicAuthentication(),
    BearerTokenAuthentication(),
    TokenSchemeAuthentication(),
    AccessKeyHeaderAuthentication(),
    AccessTokenQueryAuthentication(),
    TuleapTokenAuthentication(),
    ServiceTokenQueryAuthentication(),
    SessionCookieAuthentication(),
)

# The transports a client uses on purpose: two of them in one request are a conflict.
_EXPLICIT = tuple(t for t in _TRANSPORTS if not t.ambient)


def transports() -> Sequence[Transport]:
    """Return the transports in the order they are tried; explicit credentials come first."""
    return _TRANSPORTS


class PipelineAuthentication(BaseAuthentication):
    """Try each transport in order; refuse a request that carries two explicit credentials.

    The method that authenticated is recorded on the Django request as
    ``tokenward_auth_method`` (and is ``request.auth.method``). A token narrowed by scopes
    is held to them here, so every view, REST and GraphQL, is covered.
    """

    def authenticate(self, request: Request) -> tuple[User, AuthInfo] | None:
        explicit = [t for t in _EXPLICIT if t.presented(request)]
        if len(explicit) > 1:
            names = ", ".join(t.method for t in explicit)
            raise invalid_request(
                f"The request carries more than one credential ({names}); send exactly one."
            )
        for transport in explicit or transports():
            result = transport.authenticate(request)
            if result is not None:
                request._request.tokenward_auth_method = transport.method
                enforce_scope(request, result[1])
                return result
        return None

    def authenticate_header(self, request: Request) -> str:
        challenges = dict.fromkeys(t.challenge for t in transports() if t.challenge)
        return ", ".join(challenges)

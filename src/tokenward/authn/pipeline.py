"""The one authentication pipeline, shared by REST and GraphQL: transports in a fixed order."""

from __future__ import annotations

from collections.abc import Sequence
from time import perf_counter

from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from tokenward import metrics
from tokenward.accounts.models import User
from tokenward.authn.base import AuthInfo, CredentialFailed, Transport, invalid_request
from tokenward.authn.basic import BasicAuthentication
from tokenward.authn.query import query_credentials
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
from tokenward.errors import CredentialError, ErrorCode

UNUSABLE_AUTHORIZATION = (
    "The Authorization header cannot be used. Send 'Basic', 'Bearer' or 'Token', one space "
    "and the credential."
)


class UnusableAuthorization(Transport):
    """An ``Authorization`` header no transport takes: a foreign scheme (``Digest``), a
    scheme glued to its value by a tab, an empty header.

    Invalid credentials fail even where anonymous requests may read (Tuleap): such a
    request is refused with the pipeline's challenge, never served as anonymous. The
    detail names neither the scheme nor the value, which may be a secret sent by mistake.
    """

    method = "authorization"

    def authenticate(self, request: Request) -> tuple[User, AuthInfo] | None:
        # No challenge of its own: DRF answers with the pipeline's, naming every scheme.
        raise CredentialFailed(
            CredentialError(ErrorCode.INVALID_CREDENTIALS, UNUSABLE_AUTHORIZATION)
        )


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
_AMBIENT = tuple(t for t in _TRANSPORTS if t.ambient)
# Where each explicit transport's credential travels, so one pass finds them all.
_BY_SCHEME = {t.authorization_scheme: t for t in _EXPLICIT if t.authorization_scheme}
_BY_HEADER = tuple((key, t) for t in _EXPLICIT for key in t.headers)
_HEADER_KEYS = frozenset(key for key, _ in _BY_HEADER)
_BY_QUERY = tuple((t.query_parameter, t) for t in _EXPLICIT if t.query_parameter)
_ORDER = {t: i for i, t in enumerate(_TRANSPORTS)}
_UNUSABLE = UnusableAuthorization()
_ORDER[_UNUSABLE] = -1


def transports() -> Sequence[Transport]:
    """Return the transports in the order they are tried; explicit credentials come first."""
    return _TRANSPORTS


def presented_transports(request: Request) -> list[Transport]:
    """Return the explicit transports whose credential ``request`` carries, in pipeline order.

    Reads the Authorization header, the credential headers and (when there is a query
    string) the credential parameters once each; verifies nothing.
    """
    django_request = request._request
    meta = django_request.META
    found: list[Transport] = []
    header = meta.get("HTTP_AUTHORIZATION")
    if header is not None:
        # RFC 7235: the scheme, then spaces; a tab or nothing after a foreign word is unusable.
        found.append(_BY_SCHEME.get(header.partition(" ")[0].lower(), _UNUSABLE))
    if not _HEADER_KEYS.isdisjoint(meta):  # one pass in C over the request's few keys
        for key, transport in _BY_HEADER:
            if key in meta and transport not in found:
                found.append(transport)
    if meta.get("QUERY_STRING"):
        query = query_credentials(django_request)
        if query:
            found.extend(t for name, t in _BY_QUERY if name in query)
    if len(found) > 1:
        found.sort(key=_ORDER.__getitem__)
    return found


class PipelineAuthentication(BaseAuthentication):
    """Take the one explicit credential a request carries, else the ambient session cookie;
    refuse a request that carries two explicit credentials.

    The method that authenticated is recorded on the Django request as
    ``tokenward_auth_method`` (and is ``request.auth.method``). A token narrowed by scopes
    is held to them here, so every view, REST and GraphQL, is covered.
    """

    def authenticate(self, request: Request) -> tuple[User, AuthInfo] | None:
        if not metrics.enabled:  # the one check the hot path pays while metrics are off
            return self._authenticate(request)
        start = perf_counter()
        try:
            result = self._authenticate(request)
        except Exception as exc:
            metrics.record(
                _refused_method(request), metrics.outcome_of(exc), perf_counter() - start
            )
            raise
        if result is not None:  # None: nothing presented and no session; not an attempt
            metrics.record(result[1].method, metrics.SUCCESS, perf_counter() - start)
        return result

    def _authenticate(self, request: Request) -> tuple[User, AuthInfo] | None:
        explicit = presented_transports(request)
        if len(explicit) > 1:
            names = ", ".join(t.method for t in explicit)
            raise invalid_request(
                f"The request carries more than one credential ({names}); send exactly one."
            )
        for transport in explicit or _AMBIENT:
            result = transport.authenticate(request)
            if result is not None:
                request._request.tokenward_auth_method = transport.method
                if result[1].scopes is not None:  # most tokens are not narrowed: no call
                    enforce_scope(request, result[1])
                return result
        return None

    def authenticate_header(self, request: Request) -> str:
        challenges = dict.fromkeys(t.challenge for t in transports() if t.challenge)
        return ", ".join(challenges)


def _refused_method(request: Request) -> str:
    """Return the method label of a refused request: the transport it presented."""
    explicit = presented_transports(request)
    if len(explicit) > 1:
        return metrics.MULTIPLE
    return (explicit or _AMBIENT)[0].method

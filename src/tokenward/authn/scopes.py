"""Scope enforcement: a token narrowed by scopes may do only what they cover (403 otherwise)."""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request

from tokenward.authn.base import AuthInfo, CredentialFailed
from tokenward.credentials.scopes import ALL_SCOPES, Scope, grants
from tokenward.errors import CredentialError, ErrorCode

EVERY_SCOPE = frozenset(ALL_SCOPES)


def required_scope(request: Request) -> Scope:
    """Return the scope this request needs: the view's say, else read for safe methods.

    A view may define ``required_scope(request)`` (GraphQL: a mutation needs write).
    """
    view = (request.parser_context or {}).get("view")
    decide = getattr(view, "required_scope", None)
    if decide is not None:
        return decide(request)
    return Scope.READ if request.method in SAFE_METHODS else Scope.WRITE


def enforce_scope(request: Request, info: AuthInfo) -> None:
    """Raise a 403 ``insufficient_scope`` failure unless ``info``'s scopes cover the request."""
    if info.scopes is None or info.scopes >= EVERY_SCOPE:
        return  # every request is covered: no need to ask the view what it needs
    needed = required_scope(request)
    if grants(info.scopes, needed):
        return
    error = CredentialError(
        ErrorCode.INSUFFICIENT_SCOPE,
        f"This token lacks the {needed} scope that this request needs.",
        status_code=403,
    )
    challenge = f'Bearer realm="tokenward", error="insufficient_scope", scope="{needed}"'
    raise CredentialFailed(error, challenge)

"""The personal access token API: list, create, show, rotate and revoke tokens, or revoke all.

Callers manage their own tokens if their account may use API tokens; administrators also
list and revoke anyone's. Nobody creates a token for someone else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.utils.decorators import method_decorator
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from tokenward.accounts import services as accounts
from tokenward.accounts.models import User
from tokenward.authn.client import client_info
from tokenward.authn.issuing import Issuing, check_request_may_issue
from tokenward.errors import ErrorCode
from tokenward.ids import ID_PATTERN
from tokenward.tokens import personal
from tokenward.tokens.errors import TokenNotLiveError, TokenRequestError, TokensNotPermittedError
from tokenward.tokens.models import OfflineToken, PersonalAccessToken
from tokenward.tokens.serializers import (
    IssuedTokenSerializer,
    PersonalTokenCreateSerializer,
    PersonalTokenSerializer,
    RevokedCountSerializer,
    TokenErrorSerializer,
    TokenOwnerSerializer,
)
from tokenward.tracker.views import FIELDS_PARAMETER, FieldsSelectionMixin
from tokenward.web.security import issuing_reply

T = TypeVar("T", bound=PersonalAccessToken | OfflineToken)
METHOD = "api"
TOKEN_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The token's id.")
USER = OpenApiParameter(
    "user", str, description="Administrators: whose tokens to list (default: the caller's)."
)
ERRORS = {400: TokenErrorSerializer, 403: TokenErrorSerializer, 404: TokenErrorSerializer}


class ApiTokensDisabled(exceptions.PermissionDenied):
    default_detail = "This account may not use API tokens."
    default_code = str(ErrorCode.API_TOKENS_DISABLED)


class OwnerOnly(exceptions.PermissionDenied):
    """Administrators see and revoke anyone's tokens, but never hold a secret of another
    user's: they cannot create one for them (DESIGN), so they cannot rotate one either."""

    default_detail = (
        "Only its owner can rotate a token; an administrator can revoke it, and the owner "
        "can then create a new one."
    )
    default_code = str(ErrorCode.PERMISSION_DENIED)


class TokenNotLive(exceptions.APIException):
    """A revoked or expired token cannot be rotated: the request conflicts with its state."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "This token is revoked or expired; it cannot be rotated."
    default_code = str(ErrorCode.TOKEN_NOT_LIVE)


def check_tokens_allowed(user: User) -> None:
    """Raise ``ApiTokensDisabled`` unless ``user`` may hold and manage their own tokens."""
    if not user.can_use_api_tokens:
        raise ApiTokensDisabled()


def token_owner(caller: User, login: str | None) -> User:
    """Return whose tokens ``caller`` acts on: their own, or (administrators) ``login``'s.

    Raise 403 for another user's login unless the caller is an administrator, 404 for an
    unknown login, and 403 ``api_tokens_disabled`` for the caller's own tokens when their
    account may not use API tokens.
    """
    if not login or login == caller.login:
        check_tokens_allowed(caller)
        return caller
    if not caller.is_administrator:
        raise exceptions.PermissionDenied("Only administrators manage other users' tokens.")
    try:
        return accounts.find_user(login)
    except accounts.AccountError as exc:
        raise exceptions.NotFound(str(exc)) from None


def managed_token(caller: User, token: T | None) -> T:
    """Return ``token`` if ``caller`` may manage it: their own (with the API-token
    permission), or anyone's for administrators. Another user's token is not found, as is
    an unknown one."""
    if token is None or (token.owner_id != caller.pk and not caller.is_administrator):
        raise exceptions.NotFound("There is no such token.")
    if token.owner_id == caller.pk:
        check_tokens_allowed(caller)
    return token


def visible_token(caller: User, token_id: int) -> PersonalAccessToken:
    """Return the personal token ``caller`` may manage (see ``managed_token``)."""
    return managed_token(caller, personal.find_personal_token(token_id))


def revoke_all_reply(request: Request, revoke_all: Callable[..., int]) -> Response:
    """Answer a revoke-all request: the caller's tokens, or (administrators) ``user``'s,
    revoked by ``revoke_all(owner, by=..., client=...)`` of the token kind."""
    serializer = TokenOwnerSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    owner = token_owner(request.user, serializer.validated_data.get("user"))
    revoked = revoke_all(owner, by=request.user, client=client_info(request, METHOD))
    return Response(RevokedCountSerializer({"revoked": revoked}).data)


# The plaintext of a new token must not linger in any cache on the way.
@method_decorator(issuing_reply, name="dispatch")
class PersonalTokenViewSet(FieldsSelectionMixin, viewsets.ViewSet):
    """Personal access tokens (``twp_``): the secret is shown once, in the creation reply."""

    lookup_value_regex = ID_PATTERN

    @extend_schema(
        parameters=[USER, FIELDS_PARAMETER],
        responses={200: PersonalTokenSerializer(many=True), **ERRORS},
    )
    def list(self, request: Request) -> Response:
        """The caller's tokens (or a user's, for administrators), newest first."""
        owner = token_owner(request.user, request.query_params.get("user"))
        tokens = personal.list_personal_tokens(owner)
        return Response(PersonalTokenSerializer(tokens, many=True).data)

    @extend_schema(
        request=PersonalTokenCreateSerializer,
        responses={201: IssuedTokenSerializer, **ERRORS},
    )
    def create(self, request: Request) -> Response:
        """Create a token for the caller; the reply holds its secret, shown only this once."""
        caller = request.user
        check_tokens_allowed(caller)
        check_request_may_issue(request, Issuing.PERSONAL_TOKEN)
        serializer = PersonalTokenCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        wanted = dict(serializer.validated_data)
        if wanted.pop("user", caller.login) != caller.login:
            raise exceptions.PermissionDenied(
                "Nobody can create personal access tokens for another user."
            )
        try:
            issued = personal.issue_personal_token(
                caller, actor=caller, client=client_info(request, METHOD), **wanted
            )
        except TokenRequestError as exc:
            raise exceptions.ValidationError({exc.field: [exc.message]}) from None
        except TokensNotPermittedError as exc:
            raise ApiTokensDisabled(str(exc)) from None
        body = IssuedTokenSerializer(issued.record, context={"plaintext": issued.plaintext}).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[TOKEN_ID, FIELDS_PARAMETER], responses={200: PersonalTokenSerializer, **ERRORS}
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        """One token of the caller's (or anyone's, for administrators)."""
        token = visible_token(request.user, int(pk))
        return Response(PersonalTokenSerializer(token).data)

    @extend_schema(
        parameters=[TOKEN_ID],
        request=None,
        responses={201: IssuedTokenSerializer, 409: TokenErrorSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def rotate(self, request: Request, pk: str) -> Response:
        """Replace a token with a new one of the same name, scopes and expiry, at once.

        The reply holds the new secret, shown only this once; the old one is revoked in the
        same transaction and refused from the next request on, even when it is what this
        request was authenticated with.
        """
        token = visible_token(request.user, int(pk))
        if token.owner_id != request.user.pk:
            raise OwnerOnly()
        check_request_may_issue(request, Issuing.ROTATION, token_id=token.pk)
        try:
            issued = personal.rotate_personal_token(
                token, by=request.user, client=client_info(request, METHOD)
            )
        except TokenNotLiveError as exc:
            raise TokenNotLive(str(exc)) from None
        except TokensNotPermittedError as exc:
            raise ApiTokensDisabled(str(exc)) from None
        body = IssuedTokenSerializer(issued.record, context={"plaintext": issued.plaintext}).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[TOKEN_ID], responses={204: None, **ERRORS})
    def destroy(self, request: Request, pk: str) -> Response:
        """Revoke a token now; revoking it again changes nothing."""
        token = visible_token(request.user, int(pk))
        personal.revoke_personal_token(token, by=request.user, client=client_info(request, METHOD))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=TokenOwnerSerializer, responses={200: RevokedCountSerializer, **ERRORS})
    @action(detail=False, methods=["post"], url_path="revoke-all", url_name="revoke-all")
    def revoke_all(self, request: Request) -> Response:
        """Revoke every live token of the caller (or of ``user``, for administrators)."""
        return revoke_all_reply(request, personal.revoke_all_personal_tokens)

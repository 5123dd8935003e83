"""The offline token API: list, show and revoke offline refresh tokens.

They are made only in the browser, at ``/auth/offline-token`` (TargetData's way): a token
that never expires is not something another, shorter-lived credential should mint.
Callers manage their own; administrators list (``?user=``) and revoke anyone's.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from tokenward.accounts.models import User
from tokenward.authn.client import client_info
from tokenward.ids import ID_PATTERN
from tokenward.tokens import offline
from tokenward.tokens.models import OfflineToken
from tokenward.tokens.serializers import (
    OfflineTokenSerializer,
    RevokedCountSerializer,
    TokenOwnerSerializer,
)
from tokenward.tokens.views import (
    ERRORS,
    METHOD,
    TOKEN_ID,
    USER,
    managed_token,
    revoke_all_reply,
    token_owner,
)
from tokenward.tracker.views import FIELDS_PARAMETER, FieldsSelectionMixin


def visible_offline_token(caller: User, token_id: int) -> OfflineToken:
    """Return the offline token ``caller`` may manage; another user's is not found, unless
    the caller is an administrator."""
    return managed_token(caller, offline.find_offline_token(token_id))


class OfflineTokenViewSet(FieldsSelectionMixin, viewsets.ViewSet):
    """Offline refresh tokens (``two_``): made at ``/auth/offline-token``, never expiring."""

    lookup_value_regex = ID_PATTERN

    @extend_schema(
        parameters=[USER, FIELDS_PARAMETER],
        responses={200: OfflineTokenSerializer(many=True), **ERRORS},
    )
    def list(self, request: Request) -> Response:
        """The caller's offline tokens (or a user's, for administrators), newest first."""
        owner = token_owner(request.user, request.query_params.get("user"))
        tokens = offline.list_offline_tokens(owner).select_related("owner", "revoked_by")
        return Response(OfflineTokenSerializer(tokens, many=True).data)

    @extend_schema(
        parameters=[TOKEN_ID, FIELDS_PARAMETER], responses={200: OfflineTokenSerializer, **ERRORS}
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        """One offline token of the caller's (or anyone's, for administrators)."""
        return Response(OfflineTokenSerializer(visible_offline_token(request.user, int(pk))).data)

    @extend_schema(parameters=[TOKEN_ID], responses={204: None, **ERRORS})
    def destroy(self, request: Request, pk: str) -> Response:
        """Revoke an offline token and every access token it bought; again changes nothing."""
        token = visible_offline_token(request.user, int(pk))
        offline.revoke_offline_token(token, by=request.user, client=client_info(request, METHOD))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=TokenOwnerSerializer, responses={200: RevokedCountSerializer, **ERRORS})
    @action(detail=False, methods=["post"], url_path="revoke-all", url_name="revoke-all")
    def revoke_all(self, request: Request) -> Response:
        """Revoke every live offline token of the caller (or of ``user``, for administrators)."""
        return revoke_all_reply(request, offline.revoke_all_offline_tokens)

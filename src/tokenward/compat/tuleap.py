"""Tuleap ``/api/tokens``: a login and password buy a 24-hour token; its owner deletes it.

Deprecated by Tuleap itself in favour of personal access keys: replies carry RFC 9745
deprecation headers. Every refusal of the login, whatever its cause (unknown login, wrong
password, inactive account, Requester, tokens not permitted), gets one identical answer.
"""

from __future__ import annotations

from django.utils.decorators import method_decorator
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tokenward.accounts.models import User
from tokenward.authn.client import client_info
from tokenward.authn.middleware import mark_deprecated
from tokenward.authn.tuleap import tuleap_challenge
from tokenward.compat.password_body import PasswordLoginSerializer, user_from_body
from tokenward.errors import AccessDeniedError, ErrorCode
from tokenward.tokens import session
from tokenward.tokens.models import SessionToken
from tokenward.tokens.serializers import TokenErrorSerializer
from tokenward.web.security import issuing_reply

METHOD = "tuleap_tokens"
TOKEN = OpenApiParameter(
    "token", str, OpenApiParameter.PATH, description="The token, as POST /api/tokens gave it."
)


class InvalidLoginError(exceptions.AuthenticationFailed):
    default_detail = "Invalid username or password."
    default_code = str(ErrorCode.INVALID_CREDENTIALS)


class TuleapTokenSerializer(serializers.Serializer):
    user_id = serializers.CharField(help_text="The owner's id: send it as X-Auth-UserId.")
    token = serializers.CharField(help_text="Send it as X-Auth-Token; shown only now.")
    uri = serializers.CharField(help_text="Where to DELETE the token.")


def token_buyer(request: Request) -> User:
    """Return the user whose login and password the body holds, if they may use tokens.

    Raise a validation error for a missing field, ``TooManyAttemptsFailed`` (429) while
    locked out, else ``InvalidLoginError`` for any refusal.
    """
    user = user_from_body(request, METHOD)
    if user is None:
        raise InvalidLoginError()
    return user


@method_decorator(issuing_reply, name="dispatch")
class TuleapTokensView(APIView):
    """No pipeline authentication: the credentials are in the body (and need no CSRF)."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]

    def get_authenticate_header(self, request: Request) -> str:
        return tuleap_challenge()

    @extend_schema(
        deprecated=True,
        request=PasswordLoginSerializer,
        responses={
            200: TuleapTokenSerializer,
            400: TokenErrorSerializer,
            401: TokenErrorSerializer,
            429: TokenErrorSerializer,
        },
    )
    def post(self, request: Request) -> Response:
        """Deprecated: a 24-hour token for the login given. Use a personal access token."""
        mark_deprecated(request._request)
        user = token_buyer(request)
        try:
            issued = session.issue_session_token(user, client_info(request, METHOD))
        except AccessDeniedError:
            raise InvalidLoginError() from None
        body = {
            "user_id": str(user.pk),
            "token": issued.plaintext,
            "uri": f"/api/tokens/{issued.plaintext}",
        }
        return Response(body)


def visible_session_token(caller: User, value: str) -> SessionToken:
    """Return the token ``caller`` may end. Another user's token is not found, as is an
    unknown or malformed one, unless the caller is an administrator."""
    token = session.find_session_token(value)
    if token is None or (token.owner_id != caller.pk and not caller.is_administrator):
        raise exceptions.NotFound("There is no such token.")
    return token


class TuleapTokenView(APIView):
    @extend_schema(
        deprecated=True,
        parameters=[TOKEN],
        responses={204: None, 401: TokenErrorSerializer, 404: TokenErrorSerializer},
    )
    def delete(self, request: Request, token: str) -> Response:
        """Deprecated: end a 24-hour token now (its owner, or an administrator)."""
        mark_deprecated(request._request)
        record = visible_session_token(request.user, token)
        session.end_session_token(
            record, by=request.user, client=client_info(request, METHOD), reason="deleted"
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

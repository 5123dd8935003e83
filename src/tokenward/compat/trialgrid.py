"""TrialGrid ``api-token-auth``: a login and password in the body mint or revoke tokens.

Every refusal of the credentials, whatever its cause (unknown login, wrong password,
inactive account, Requester, tokens not permitted), gets one identical answer, so the
endpoint does not tell which logins exist or what state they are in.
"""

from __future__ import annotations

from django.utils.decorators import method_decorator
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tokenward.accounts.models import User
from tokenward.accounts.policy import check_password_login, check_token_use
from tokenward.authn.client import client_info
from tokenward.compat.password_body import PasswordLoginSerializer, user_from_body
from tokenward.errors import AccessDeniedError, ErrorCode
from tokenward.tokens import personal
from tokenward.tokens.errors import TokenRequestError, TokensNotPermittedError
from tokenward.tokens.serializers import (
    RevokedCountSerializer,
    TokenErrorSerializer,
)
from tokenward.web.security import issuing_reply

METHOD = "api_token_auth"


class InvalidLoginError(exceptions.APIException):
    status_code = 400
    default_detail = "Unable to log in with provided credentials."
    default_code = str(ErrorCode.INVALID_CREDENTIALS)


class TrialGridTokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="A new personal access token, shown only now.")


def token_holder(request: Request) -> User:
    """Return the user whose login and password the body holds, if they may use tokens.

    Raise a validation error for a missing field, ``TooManyAttemptsFailed`` (429) while
    locked out, else ``InvalidLoginError`` for any refusal.
    """
    user = user_from_body(request, METHOD)
    if user is None:
        raise InvalidLoginError()
    try:
        check_password_login(user)
        check_token_use(user)
    except AccessDeniedError:
        raise InvalidLoginError() from None
    return user


class TrialGridCredentialsView(APIView):
    """No pipeline authentication: the credentials are in the body (and need no CSRF)."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]


@method_decorator(issuing_reply, name="dispatch")
class ObtainTokenView(TrialGridCredentialsView):
    @extend_schema(
        request=PasswordLoginSerializer,
        responses={
            200: TrialGridTokenSerializer,
            400: TokenErrorSerializer,
            429: TokenErrorSerializer,
        },
    )
    def post(self, request: Request) -> Response:
        """Mint a new token (named "endpoint-" + 8 hex digits, read and write) for the user."""
        user = token_holder(request)
        for _attempt in range(3):  # a random name may, very rarely, be taken already
            try:
                issued = personal.issue_personal_token(
                    user,
                    name=personal.endpoint_token_name(),
                    actor=user,
                    client=client_info(request, METHOD),
                )
            except TokensNotPermittedError:  # the permission was switched off just now
                raise InvalidLoginError() from None
            except TokenRequestError:
                continue
            return Response({"token": issued.plaintext})
        raise InvalidLoginError()


class DeleteTokensView(TrialGridCredentialsView):
    @extend_schema(
        request=PasswordLoginSerializer,
        responses={
            200: RevokedCountSerializer,
            400: TokenErrorSerializer,
            429: TokenErrorSerializer,
        },
    )
    def post(self, request: Request) -> Response:
        """Revoke every active token of the login given."""
        user = token_holder(request)
        revoked = personal.revoke_all_personal_tokens(
            user, by=user, client=client_info(request, METHOD)
        )
        return Response({"revoked": revoked})

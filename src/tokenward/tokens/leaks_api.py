"""``POST /api/leaked-tokens``: where secret scanners report tokenward tokens found in public.

No cookie, no user: a report is authenticated by its signature, the hex HMAC-SHA256 of the
raw body under the shared ``LEAK_REPORT_SECRET``, sent as ``X-Tokenward-Signature:
sha256=<hex>``. With no secret configured the endpoint does not exist (404).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.utils.decorators import method_decorator
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import (
    APIException,
    AuthenticationFailed,
    NotFound,
    ParseError,
    ValidationError,
)
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tokenward.authn.client import client_info
from tokenward.conf import setting
from tokenward.nesting import NestingError, loads_json
from tokenward.tokens import leaks
from tokenward.tokens.serializers import TokenErrorSerializer
from tokenward.web.security import issuing_reply

MAX_ITEMS = 1000
MAX_BODY_BYTES = 1024 * 1024
SIGNATURE_HEADER = "X-Tokenward-Signature"
CHALLENGE = f'Signature realm="leaked-tokens", header="{SIGNATURE_HEADER}", algorithm="hmac-sha256"'


class ReportTooLargeError(APIException):
    status_code = 413
    default_detail = (
        f"A report holds at most {MAX_ITEMS} tokens in at most {MAX_BODY_BYTES} bytes; "
        "send the rest in another report."
    )
    default_code = "report_too_large"


class _Text(serializers.CharField):
    """A JSON string: a number or a boolean is refused, not turned into text."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class ReportedTokenSerializer(serializers.Serializer):
    """One token a scanner found, as GitHub's secret scanning partner program sends it."""

    token = _Text(trim_whitespace=False, help_text="The string found.")
    type = _Text(required=False, allow_blank=True, max_length=100, help_text="Its kind.")
    url = _Text(required=False, allow_blank=True, max_length=2048, help_text="Where it was.")
    source = _Text(required=False, allow_blank=True, max_length=100, help_text="Who found it.")


class VerdictSerializer(serializers.Serializer):
    token_hash = serializers.CharField(help_text="The SHA-256 of the token, in hex.")
    token_type = serializers.CharField(
        help_text="Its kind by its prefix (personal_token, ...), else the type reported."
    )
    label = serializers.ChoiceField(
        choices=[leaks.TRUE_POSITIVE, leaks.FALSE_POSITIVE],
        help_text="true_positive: it was live and is now revoked; else false_positive.",
    )


@method_decorator(issuing_reply, name="dispatch")
class LeakedTokensView(APIView):
    """Revoke the live tokens in a signed report; say which were live, never whose."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]  # the body is read raw, to check its signature first
    renderer_classes = [JSONRenderer]

    def get_authenticate_header(self, request: Request) -> str:
        """The challenge of a 401: without one DRF would answer 403."""
        return CHALLENGE

    @extend_schema(
        operation_id="leaked_tokens_report",
        request=ReportedTokenSerializer(many=True),
        responses={
            200: VerdictSerializer(many=True),
            **{code: TokenErrorSerializer for code in (400, 401, 404, 413)},
        },
        parameters=[
            OpenApiParameter(
                SIGNATURE_HEADER,
                str,
                OpenApiParameter.HEADER,
                # Needed by every report; optional here only because a server with reports
                # off answers 404 to any request, with the header or without.
                required=False,
                description="sha256=<hex HMAC-SHA256 of the raw body under the shared secret>; "
                "without it, or wrong, the report is refused (401).",
            )
        ],
        auth=[],
    )
    def post(self, request: Request) -> Response:
        """Report leaked tokens (at most 1000); each live one is revoked and its owner told."""
        secret = setting("LEAK_REPORT_SECRET")
        if not secret:
            raise NotFound()
        body = _raw_body(request)
        if not leaks.signature_matches(body, request.headers.get(SIGNATURE_HEADER), secret):
            raise AuthenticationFailed(
                f"The report needs a {SIGNATURE_HEADER} header holding sha256= and the hex "
                "HMAC-SHA256 of the body under the shared secret; it is missing or wrong.",
                code="invalid_signature",
            )
        items = _reported_tokens(body)
        verdicts = leaks.handle_report(items, client_info(request, leaks.METHOD))
        return Response(VerdictSerializer(verdicts, many=True).data)


def _raw_body(request: Request) -> bytes:
    """Return the body as sent, refusing one over ``MAX_BODY_BYTES`` before reading it."""
    meta = request._request.META
    length = meta.get("CONTENT_LENGTH") or "0"
    if length.isdigit() and int(length) > MAX_BODY_BYTES:
        raise ReportTooLargeError()
    try:
        body = request._request.body
    except RequestDataTooBig:
        raise ReportTooLargeError() from None
    if len(body) > MAX_BODY_BYTES:
        raise ReportTooLargeError()
    return body


def _reported_tokens(body: bytes) -> list[leaks.ReportedToken]:
    """Return the entries of a signed report. Raise ``ParseError``, ``ValidationError`` or
    ``ReportTooLargeError`` if it is not a JSON list of at most ``MAX_ITEMS`` entries."""
    try:
        data = loads_json(body)
    except NestingError as exc:
        raise ParseError(str(exc)) from None
    except ValueError:
        raise ParseError("The report is not JSON.") from None
    if not isinstance(data, list):
        raise ParseError("A report is a JSON list of {token, type, url, source} objects.")
    if len(data) > MAX_ITEMS:
        raise ReportTooLargeError()
    serializer = ReportedTokenSerializer(data=data, many=True)
    if not serializer.is_valid():
        # By the position of each bad entry: errors is an object in every error body.
        errors = serializer.errors
        by_position = errors.items() if isinstance(errors, dict) else enumerate(errors)
        raise ValidationError({str(i): e for i, e in by_position if e})
    return [leaks.ReportedToken(**entry) for entry in serializer.validated_data]

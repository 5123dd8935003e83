"""Every API error as ``{"detail": "<sentence>", "code": "<code>"}``, with the right headers."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from tokenward.authn.base import CredentialFailed
from tokenward.errors import ErrorCode
from tokenward.web.unavailable import (
    database_unavailable_cause,
    log_outage,
    mark_logged,
    unavailable_body,
    unavailable_headers,
)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Reshape DRF's error responses into the one body every client can rely on."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or None)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if (cause := database_unavailable_cause(exc)) is not None:
        # DRF would re-raise it; authentication itself may be what could not read the rows.
        log_outage(cause)
        return mark_logged(Response(unavailable_body(), status=503, headers=unavailable_headers()))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, CredentialFailed) and exc.challenge:
        response.headers["WWW-Authenticate"] = exc.challenge
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "detail": "The request is invalid; see errors.",
            "code": str(ErrorCode.INVALID),
            "errors": response.data,
        }
        return response
    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        response.data = {
            "detail": str(exc.detail),
            "code": codes if isinstance(codes, str) else str(ErrorCode.INVALID),
        }
    return response

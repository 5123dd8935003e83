"""The base of endpoints that read no cookie: their credential is in the body or a header.

DRF's ``APIView.as_view`` takes a view out of Django's CSRF check and checks CSRF itself
only where ``SessionAuthentication`` authenticates. With no authentication class at all
no cookie is ever read, so a forged cross-site request carries nothing of the victim's.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.views import View
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView


class AnyAcceptJSON(DefaultContentNegotiation):
    """Answer JSON whatever ``Accept`` (or ``?format=``) asks for: never a 406."""

    def select_renderer(
        self, request: Request, renderers: list[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        return renderers[0], renderers[0].media_type


class CookielessView(APIView):
    """An RFC 6749-style endpoint: no cookie, JSON replies it builds itself, Django's 405.

    The subclass names its one method in ``http_method_names``, reads the form through
    ``request._request.POST`` and returns ``JsonResponse``. DRF's exception handler still
    answers a database outage 503. The OpenAPI entry is written by hand
    (``tokenward.oauth.openapi``), so drf-spectacular skips these views.
    """

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = AnyAcceptJSON
    schema = None

    @property
    def default_response_headers(self) -> dict[str, str]:
        """No ``Allow`` on every reply: the 405 carries its own."""
        return {}

    def http_method_not_allowed(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        """Answer as Django does (an empty 405 with ``Allow``), not with DRF's JSON error."""
        return View.http_method_not_allowed(self, request._request, *args, **kwargs)

"""The audit log API: administrators read events, newest first, filtered and paged.

The same list answers in CSV (``?format=csv`` or ``Accept: text/csv``) for spreadsheets
and archives; its paging then travels in ``Link`` and ``X-Total-Count`` headers.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponseBase
from django.utils.cache import patch_cache_control
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, permissions
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from tokenward.audit.filters import filter_events, newest_events
from tokenward.audit.models import AuditEvent
from tokenward.audit.renderers import AuditEventCSVRenderer
from tokenward.audit.serializers import AuditEventFilterSerializer, AuditEventSerializer
from tokenward.compat.renderers import XMLRenderer


class IsAdministrator(permissions.BasePermission):
    """Only administrators; DRF answers 401 instead when nobody authenticated."""

    message = "Only administrators read the audit log."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_administrator)


def wants_csv(request: Request) -> bool:
    """Whether content negotiation chose the CSV renderer for ``request``."""
    return isinstance(getattr(request, "accepted_renderer", None), AuditEventCSVRenderer)


class AuditEventPagination(LimitOffsetPagination):
    """DRF's limit and offset; a value that is not a whole number is ignored, as in DRF.

    A CSV page is the bare rows; its next and previous pages are ``Link`` headers
    (RFC 8288) and the number of matching events is ``X-Total-Count``.
    """

    default_limit = 50
    max_limit = 500

    def get_paginated_response(self, data: list[dict[str, Any]]) -> Response:
        if wants_csv(self.request):
            return Response(data, headers=self.paging_headers())
        return super().get_paginated_response(data)

    def paging_headers(self) -> dict[str, str]:
        """Return the headers that stand for the JSON envelope's count, next and previous."""
        links = [
            f'<{url}>; rel="{rel}"'
            for rel, url in (("next", self.get_next_link()), ("prev", self.get_previous_link()))
            if url
        ]
        headers = {"X-Total-Count": str(self.count)}
        if links:
            headers["Link"] = ", ".join(links)
        return headers

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        """Say so in the schema: text that is not a whole number means the default."""
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"] = {"type": "string"}
            parameter["description"] += " Anything but a whole number means the default."
        return parameters


CSV_HEADERS = [
    OpenApiParameter(
        "Link",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=[200],
        description='CSV only: the next and previous pages, `<URL>; rel="next"`, `rel="prev"`.',
    ),
    OpenApiParameter(
        "X-Total-Count",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=[200],
        description="CSV only: how many events match the filters, on every page.",
    ),
]
PAGE_REPLY = OpenApiResponse(
    AuditEventSerializer,
    description="A page of events, newest first. As CSV (`text/csv; charset=utf-8`, sent as the "
    "attachment audit-events.csv): a header row, "
    + ", ".join(AuditEventCSVRenderer.columns)
    + ", then one row per event; a cell starting with =, +, -, @, tab or CR starts with a "
    "single quote, so that no spreadsheet runs it as a formula.",
)


@extend_schema(
    parameters=[AuditEventFilterSerializer, *CSV_HEADERS],
    responses={
        (200, JSONRenderer.media_type, XMLRenderer.media_type): PAGE_REPLY,
        (200, AuditEventCSVRenderer.media_type): OpenApiTypes.STR,
    },
)
class AuditEventList(generics.ListAPIView):
    """The audit log: every issue, revocation and failed use of a credential, newest first.

    `?format=csv` or `Accept: text/csv` answers a page as CSV, with the same filters and
    paging; errors are JSON even then.
    """

    serializer_class = AuditEventSerializer
    permission_classes = [IsAdministrator]
    pagination_class = AuditEventPagination

    def get_renderers(self) -> list[BaseRenderer]:
        # Last, so that Accept: */* and a forced negotiation keep JSON.
        return [*super().get_renderers(), AuditEventCSVRenderer()]

    def get_queryset(self) -> QuerySet[AuditEvent]:
        filters = AuditEventFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return filter_events(newest_events(), filters.validated_data)

    def finalize_response(
        self, request: Request, response: HttpResponseBase, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        """Answer an error in JSON even when CSV was asked: rows have no place for its
        detail and code, and a client must not save an error as the log.

        No cache keeps the log (addresses, user agents), a browser's neither: the admin
        page's download authenticates with a cookie, which shared caches do not heed.
        """
        if response.status_code >= 400 and wants_csv(request):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        patch_cache_control(response, private=True, no_store=True)
        return super().finalize_response(request, response, *args, **kwargs)

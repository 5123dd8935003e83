"""The audit log API: administrators read events, newest first, filtered and paged."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request

from tokenward.audit.filters import filter_events, newest_events
from tokenward.audit.models import AuditEvent
from tokenward.audit.serializers import AuditEventFilterSerializer, AuditEventSerializer


class IsAdministrator(permissions.BasePermission):
    """Only administrators; DRF answers 401 instead when nobody authenticated."""

    message = "Only administrators read the audit log."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_administrator)


class AuditEventPagination(LimitOffsetPagination):
    """DRF's limit and offset; a value that is not a whole number is ignored, as in DRF."""

    default_limit = 50
    max_limit = 500

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        """Say so in the schema: text that is not a whole number means the default."""
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"] = {"type": "string"}
            parameter["description"] += " Anything but a whole number means the default."
        return parameters


@extend_schema(parameters=[AuditEventFilterSerializer])
class AuditEventList(generics.ListAPIView):
    """The audit log: every issue, revocation and failed use of a credential, newest first."""

    serializer_class = AuditEventSerializer
    permission_classes = [IsAdministrator]
    pagination_class = AuditEventPagination

    def get_queryset(self) -> QuerySet[AuditEvent]:
        filters = AuditEventFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return filter_events(newest_events(), filters.validated_data)

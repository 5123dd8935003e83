"""The audit log API: administrators read events, newest first, filtered and paged."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request

from tokenward.audit.models import AuditEvent
from tokenward.audit.serializers import AuditEventFilterSerializer, AuditEventSerializer


class IsAdministrator(permissions.BasePermission):
    """Only administrators; DRF answers 401 instead when nobody authenticated."""

    message = "Only administrators read the audit log."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_administrator)


class AuditEventPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500


def filter_events(events: QuerySet[AuditEvent], filters: dict[str, Any]) -> QuerySet[AuditEvent]:
    """Return ``events`` narrowed by the validated ``filters`` of the list's query string."""
    if "user" in filters:
        events = events.filter(Q(actor=filters["user"]) | Q(subject=filters["user"]))
    for name in ("action", "method", "credential_kind"):
        if name in filters:
            events = events.filter(**{name: filters[name]})
    if "since" in filters:
        events = events.filter(at__gte=filters["since"])
    if "until" in filters:
        events = events.filter(at__lt=filters["until"])
    return events


@extend_schema(parameters=[AuditEventFilterSerializer])
class AuditEventList(generics.ListAPIView):
    """The audit log: every issue, revocation and failed use of a credential, newest first."""

    serializer_class = AuditEventSerializer
    permission_classes = [IsAdministrator]
    pagination_class = AuditEventPagination

    def get_queryset(self) -> QuerySet[AuditEvent]:
        filters = AuditEventFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        events = AuditEvent.objects.select_related("actor", "subject").order_by("-at", "-id")
        return filter_events(events, filters.validated_data)

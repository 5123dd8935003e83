"""The audit log's filters, shared by the API and the administration page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Q, QuerySet

from tokenward.audit.models import AuditEvent
from tokenward.audit.serializers import AuditEventFilterSerializer


def newest_events() -> QuerySet[AuditEvent]:
    """Return every event, newest first, with its users loaded."""
    return AuditEvent.objects.select_related("actor", "subject").order_by("-at", "-id")


def validate_filters(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Return ``(filters, errors)`` for the query parameters ``data``; errors by parameter.

    The rules of ``AuditEventFilterSerializer`` (a known login, a known action, since before
    until), so the API and the pages accept the same filters.
    """
    serializer = AuditEventFilterSerializer(data=data)
    if serializer.is_valid():
        return dict(serializer.validated_data), {}
    errors = {
        name: [str(message) for message in messages] for name, messages in serializer.errors.items()
    }
    return {}, errors


def filter_events(events: QuerySet[AuditEvent], filters: Mapping[str, Any]) -> QuerySet[AuditEvent]:
    """Return ``events`` narrowed by validated ``filters``; each narrows, all must hold."""
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

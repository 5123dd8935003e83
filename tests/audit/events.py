"""Audit events written as if at a given time, for the audit API's tests."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine

from tokenward.audit.models import Action, AuditEvent
from tokenward.audit.services import ClientInfo, record_event


def at(day: int, hour: int = 10) -> datetime:
    """A moment in March 2026."""
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def record_at(when: datetime, action: Action, **fields) -> AuditEvent:
    """Write one event through the service, as if at ``when``."""
    fields.setdefault("credential_kind", "personal_token")
    fields.setdefault("client", ClientInfo(method="api", address="192.0.2.7", user_agent="curl/8"))
    with time_machine.travel(when, tick=False):
        return record_event(action, **fields)

"""Audit events written as if at a given time, for the audit API's tests."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine

from tokenward.audit.models import Action, AuditEvent
from tokenward.audit.services import ClientInfo, record_event

# The fields of an audit event, in the order the API and the CSV export give them.
COLUMNS = [
    "id",
    "at",
    "action",
    "actor",
    "subject",
    "credential_kind",
    "credential_id",
    "method",
    "reason",
    "address",
    "user_agent",
]


def at(day: int, hour: int = 10) -> datetime:
    """A moment in March 2026."""
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def record_at(when: datetime, action: Action, **fields) -> AuditEvent:
    """Write one event through the service, as if at ``when``."""
    fields.setdefault("credential_kind", "personal_token")
    fields.setdefault("client", ClientInfo(method="api", address="192.0.2.7", user_agent="curl/8"))
    with time_machine.travel(when, tick=False):
        return record_event(action, **fields)


def march_events(admin, member, outsider) -> dict[str, AuditEvent]:
    """Five events on five days in March, oldest first: an issue, a failure, a revocation
    (late in the evening, UTC), an issue from the command line and an unknown token."""
    web = ClientInfo(method="web", address="198.51.100.1", user_agent="Firefox")
    return {
        "issued": record_at(at(1), Action.ISSUED, credential_id=7, actor=member, subject=member),
        "failed": record_at(
            at(2),
            Action.FAILED,
            credential_id=7,
            subject=member,
            reason="token_revoked",
            client=ClientInfo(method="bearer", address="203.0.113.9", user_agent="python"),
        ),
        "revoked": record_at(
            at(3, 23), Action.REVOKED, credential_id=7, actor=admin, subject=member, client=web
        ),
        "cli": record_at(
            at(4),
            Action.ISSUED,
            credential_id=8,
            actor=outsider,
            subject=outsider,
            client=ClientInfo(method="cli"),
        ),
        "unknown": record_at(
            at(5),
            Action.FAILED,
            reason="invalid_token",
            client=ClientInfo(method="token", address="2001:db8::1"),
        ),
    }

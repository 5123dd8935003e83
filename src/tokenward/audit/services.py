"""The only code that writes audit rows."""

from __future__ import annotations

from typing import NamedTuple

from django.utils import timezone

from tokenward.accounts.models import User
from tokenward.audit.models import Action, AuditEvent


class ClientInfo(NamedTuple):
    """Where a request came from: its address, user agent and channel (``method``).

    A named tuple rather than a frozen dataclass: one is built on every token request.
    """

    method: str
    address: str | None = None
    user_agent: str = ""
    # The server's own origin as the client reached it, for links in e-mails.
    origin: str = ""


CLI = ClientInfo(method="cli")


def record_event(
    action: Action,
    *,
    credential_kind: str,
    credential_id: object = "",
    client: ClientInfo,
    actor: User | None = None,
    subject: User | None = None,
    reason: str = "",
) -> AuditEvent:
    """Write and return one audit event."""
    return AuditEvent.objects.create(
        at=timezone.now(),
        action=action,
        actor=actor if actor is not None and actor.pk else None,
        subject=subject,
        credential_kind=credential_kind,
        credential_id=str(credential_id or ""),
        method=client.method,
        reason=reason,
        address=client.address,
        user_agent=client.user_agent[:256],
    )

"""Web sessions of accounts that lose their rights: which changes end them, and ending them.

Django keeps sessions in the database (or the cache) and checks each one against its user's
session hash on every request (``User.get_session_auth_hash``). The hash includes a per-user
epoch, so bumping it ends every session the account holds, in every process and on every
server, without finding the sessions; a later change back does not bring the epoch back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import F

from tokenward.accounts.models import AccountType, Role, User
from tokenward.audit.models import Action
from tokenward.audit.services import ClientInfo, record_event

WEB_SESSION_KIND = "web_session"


def ending_reason(user: User, changes: Mapping[str, Any]) -> str:
    """Return why ``changes`` to ``user`` end its web sessions; "" if they do not.

    Deactivation, becoming a Requester, and switching to single sign-on (the password that
    opened a session no longer signs in) take away what the sessions were granted with.
    """
    if user.is_active and "is_active" in changes and not changes["is_active"]:
        return "deactivated"
    if not user.is_requester and changes.get("role") == Role.REQUESTER:
        return "requester"
    if not user.is_sso and changes.get("account_type") == AccountType.SSO:
        return "sso"
    return ""


def end_web_sessions(user: User, *, by: User | None, client: ClientInfo, reason: str) -> None:
    """End every web session ``user`` holds, for good; audited as a revocation.

    Call it inside the transaction that writes the change. Other accounts' sessions, the
    administrator's who made the change among them, are untouched; an administrator who
    changes their own account ends their own session too.
    """
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])
    record_event(
        Action.REVOKED,
        credential_kind=WEB_SESSION_KIND,
        credential_id=user.pk,
        client=client,
        actor=by,
        subject=user,
        reason=reason,
    )

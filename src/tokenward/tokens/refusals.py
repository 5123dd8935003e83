"""What every stored or signed token kind does on use: the live checks and the failure audit."""

from __future__ import annotations

from datetime import UTC, datetime

from tokenward.accounts.models import User
from tokenward.accounts.policy import check_token_use
from tokenward.audit.models import Action
from tokenward.audit.services import ClientInfo, record_event
from tokenward.errors import CredentialError, ErrorCode


def check_live(expires_at: datetime | None, owner: User) -> None:
    """Raise ``CredentialError`` if the token has expired or its owner may not use tokens."""
    # datetime.now(UTC), not timezone.now(): the same aware time (USE_TZ is always on here)
    # without a read of the lazy settings object on every token request.
    if expires_at is not None and expires_at <= datetime.now(UTC):
        raise CredentialError(ErrorCode.TOKEN_EXPIRED, "This token has expired.")
    check_token_use(owner)


def audit_refusal(
    kind: str,
    token_id: object,
    owner: User | None,
    client: ClientInfo,
    error: CredentialError,
) -> None:
    """Record the refused use of a well-formed token of ``kind`` (never its secret)."""
    record_event(
        Action.FAILED,
        credential_kind=kind,
        credential_id=token_id or "",
        client=client,
        subject=owner,
        reason=str(error.code),
    )

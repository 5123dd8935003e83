"""Redeemed authorization codes: a second exchange revokes what the first issued (RFC 6749 §4.1.2).

The only code that reads or writes ``RedeemedCode`` rows. A row is written when a code is
exchanged, before django-oauth-toolkit deletes its grant; its unique checksum makes two
parallel exchanges of one code collide, so that the loser revokes both pairs.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from oauth2_provider.models import get_refresh_token_model
from oauth2_provider.settings import oauth2_settings

from tokenward.accounts.models import User
from tokenward.audit.models import Action
from tokenward.audit.services import ClientInfo, record_event
from tokenward.oauth.models import RedeemedCode
from tokenward.oauth.services import GRANT_KIND

REPLAY_REASON = "code_replay"


def _checksum(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def record_redemption(
    code: str, application: object, user: User | None, family: uuid.UUID | None
) -> bool:
    """Remember that ``application`` exchanged ``code`` for the refresh ``family``.

    Return False, writing nothing, if the code was already redeemed (a parallel exchange).
    """
    try:
        with transaction.atomic():
            RedeemedCode.objects.create(
                code_checksum=_checksum(code),
                application=application,
                user=user,
                token_family=family,
            )
    except IntegrityError:
        return False
    return True


def revoke_replayed_code(
    code: str, application: object, client: ClientInfo, *, also: uuid.UUID | None = None
) -> bool:
    """Revoke every token issued from ``code`` if ``application`` already redeemed it.

    ``also`` is the family this very request issued, when it lost a race to redeem. The
    refresh tokens of each family (the first pair's and every rotation since) are revoked and
    their access tokens deleted, as django-oauth-toolkit revokes a reused refresh token;
    audited once per replay. Return False, changing nothing, if the code was never redeemed.
    """
    row = (
        RedeemedCode.objects.filter(code_checksum=_checksum(code), application=application)
        .select_related("user")
        .first()
    )
    if row is None:
        return False
    refresh_model = get_refresh_token_model()
    for family in {row.token_family, also} - {None}:
        refresh_model.revoke_family(family)
    record_event(
        Action.REVOKED,
        credential_kind=GRANT_KIND,
        credential_id=row.application_id,
        client=client,
        subject=row.user,
        reason=REPLAY_REASON,
    )
    return True


def forget_redeemed_codes() -> int:
    """Delete the records of codes redeemed longer ago than a refresh token lives: every
    token issued from them has expired. Return how many were deleted."""
    cutoff = timezone.now() - timedelta(seconds=oauth2_settings.REFRESH_TOKEN_EXPIRE_SECONDS)
    deleted, _ = RedeemedCode.objects.filter(redeemed_at__lt=cutoff).delete()
    return deleted

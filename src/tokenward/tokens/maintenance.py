"""Token hygiene, run by ``tokenward maintain``: expiry notices, unused tokens, retention.

Safe to run on every server at once, as often as cron likes. Each expiry notice is sent by the
one run whose conditional UPDATE claimed its token; each unused token is revoked, and its owner
told, by the one run whose revocation changed the row; old rows are deleted by primary key in
short batches, so a row that another run removed first is neither an error nor counted twice.
Audit events are never deleted: they are the audit trail, kept whatever the retention.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from oauth2_provider.models import (
    clear_expired,
    get_access_token_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

from tokenward.accounts.models import PasswordFailureCounter
from tokenward.audit import notifications
from tokenward.conf import setting
from tokenward.oauth.codes import forget_redeemed_codes
from tokenward.tokens.models import OfflineToken, PersonalAccessToken, SessionToken
from tokenward.tokens.offline import revoke_offline_token
from tokenward.tokens.personal import revoke_personal_token

log = logging.getLogger(__name__)

UNUSED = "unused"  # the audit reason of a revocation for lack of use
MAINTENANCE = notifications.MAINTENANCE


@dataclass(frozen=True)
class StepResult:
    """What one step did (or, in a dry run, would do): counts in the order they are shown."""

    step: str
    counts: tuple[tuple[str, int], ...] = ()
    verb: str = ""  # what the counts were: "removed", "would remove"
    note: str = ""
    failed: int = 0  # e-mails that could not be sent

    def line(self) -> str:
        """Return the step's one-line summary, such as ``expiry notices: 3 sent, 0 failed``."""
        parts = ", ".join(f"{count} {label}" for label, count in self.counts)
        parts = f"{self.verb} {parts}" if self.verb and parts else parts
        return f"{self.step}: " + "; ".join(part for part in (parts, self.note) if part)


def run_maintenance(*, dry_run: bool = False) -> list[StepResult]:
    """Run every step in order; return their results. A dry run reads and changes nothing."""
    return [
        send_expiry_notices(dry_run=dry_run),
        expire_unused_tokens(dry_run=dry_run),
        remove_old_rows(dry_run=dry_run),
        clear_oauth_rows(dry_run=dry_run),
    ]


def send_expiry_notices(*, dry_run: bool = False) -> StepResult:
    """E-mail the owner of each live personal token that expires within EXPIRY_NOTICE_DAYS.

    Once per token: a run sends only after claiming the token (``expiry_notice_sent_at``
    set where it was empty). A failed send gives the claim back for the next run. Revoked
    and expired tokens and inactive owners get nothing.
    """
    days = setting("EXPIRY_NOTICE_DAYS")
    if not days:
        return StepResult("expiry notices", note="off (EXPIRY_NOTICE_DAYS is 0)")
    now = timezone.now()
    due = PersonalAccessToken.objects.filter(
        revoked_at__isnull=True,
        expiry_notice_sent_at__isnull=True,
        expires_at__gt=now,
        expires_at__lte=now + timedelta(days=days),
        owner__is_active=True,
    )
    if dry_run:
        return StepResult("expiry notices (dry run)", (("due", due.count()),))
    sent = no_address = failed = 0
    for token in _in_batches(due.select_related("owner")):
        claimed = PersonalAccessToken.objects.filter(
            pk=token.pk, expiry_notice_sent_at__isnull=True, revoked_at__isnull=True
        ).update(expiry_notice_sent_at=now)
        if claimed != 1:
            continue  # another run has it, or it was revoked since
        try:
            delivered = notifications.personal_token_expiring(token)
        except OSError:
            PersonalAccessToken.objects.filter(pk=token.pk, expiry_notice_sent_at=now).update(
                expiry_notice_sent_at=None
            )
            log.warning("Could not send the expiry notice for personal token %s.", token.pk)
            failed += 1
            continue
        sent += delivered
        no_address += not delivered
    counts = (("sent", sent), ("without an e-mail address", no_address), ("failed", failed))
    return StepResult("expiry notices", counts, failed=failed)


def expire_unused_tokens(*, dry_run: bool = False) -> StepResult:
    """Revoke personal and offline tokens unused (or, never used, created) UNUSED_TOKEN_DAYS ago.

    Through the services' own revocation, so the verified-token cache drops them and each
    gets an audit event with the reason ``unused``; the run whose revocation changed the
    row e-mails the owner, if active. Expired personal tokens are left to retention.
    """
    days = setting("UNUSED_TOKEN_DAYS")
    if not days:
        return StepResult("unused tokens", note="off (UNUSED_TOKEN_DAYS is 0)")
    now = timezone.now()
    cutoff = now - timedelta(days=days)
    idle = Q(last_used_at__lt=cutoff) | Q(last_used_at__isnull=True, created_at__lt=cutoff)
    personal = PersonalAccessToken.objects.filter(idle, revoked_at__isnull=True).exclude(
        expires_at__lte=now
    )
    offline = OfflineToken.objects.filter(idle, revoked_at__isnull=True)
    if dry_run:
        counts = (("personal", personal.count()), ("offline", offline.count()))
        return StepResult("unused tokens (dry run)", counts, verb="would revoke")
    revoked_personal = revoked_offline = mailed = failed = 0
    for token in _in_batches(personal.select_related("owner")):
        if revoke_personal_token(token, by=None, client=MAINTENANCE, reason=UNUSED):
            revoked_personal += 1
            outcome = _tell_owner(token, notifications.personal_token_revoked_unused, days)
            mailed, failed = mailed + (outcome is True), failed + (outcome is None)
    for token in _in_batches(offline.select_related("owner")):
        if revoke_offline_token(token, by=None, client=MAINTENANCE, reason=UNUSED):
            revoked_offline += 1
            outcome = _tell_owner(token, notifications.offline_token_revoked_unused, days)
            mailed, failed = mailed + (outcome is True), failed + (outcome is None)
    counts = (
        ("personal revoked", revoked_personal),
        ("offline revoked", revoked_offline),
        ("owners e-mailed", mailed),
        ("failed", failed),
    )
    return StepResult("unused tokens", counts, failed=failed)


def _tell_owner(token: Any, send: Callable[[Any, int], bool], days: int) -> bool | None:
    """Return True if the e-mail went, False if there was nobody to send it to, None if it
    failed. A revocation stays done whatever happens to its e-mail."""
    if not token.owner.is_active:
        return False
    try:
        return send(token, days)
    except OSError:
        log.warning("Could not send the unused-token e-mail for %s.", token)
        return None


def remove_old_rows(*, dry_run: bool = False) -> StepResult:
    """Delete rows that expired or were revoked RETENTION_DAYS ago, and ended lockout windows.

    Personal tokens (revoked or expired), session tokens (ended or expired), offline tokens
    (revoked; they never expire) and password-failure counters whose window has ended.
    """
    now = timezone.now()
    cutoff = now - timedelta(days=setting("RETENTION_DAYS"))
    window_ended = now - timedelta(seconds=setting("LOCKOUT_WINDOW_SECONDS"))
    targets: tuple[tuple[str, type[models.Model], Q], ...] = (
        (
            "personal tokens",
            PersonalAccessToken,
            Q(revoked_at__lt=cutoff) | Q(expires_at__lt=cutoff),
        ),
        ("session tokens", SessionToken, Q(ended_at__lt=cutoff) | Q(expires_at__lt=cutoff)),
        ("offline tokens", OfflineToken, Q(revoked_at__lt=cutoff)),
        ("lockout counters", PasswordFailureCounter, Q(window_start__lte=window_ended)),
    )
    if dry_run:
        counts = tuple((label, model.objects.filter(q).count()) for label, model, q in targets)
        return StepResult("retention (dry run)", counts, verb="would remove")
    counts = tuple((label, delete_in_batches(model, q)) for label, model, q in targets)
    return StepResult("retention", counts, verb="removed")


def delete_in_batches(model: type[models.Model], condition: Q) -> int:
    """Delete ``model``'s rows matching ``condition``, MAINTENANCE_BATCH_SIZE at a time.

    Each batch selects primary keys, then deletes by them, in its own short transaction:
    never one statement over the whole table. Return how many rows this call deleted.
    """
    batch = setting("MAINTENANCE_BATCH_SIZE")
    deleted, last = 0, 0
    while True:
        with transaction.atomic():
            pks = list(
                model.objects.filter(condition, pk__gt=last)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch]
            )
            if not pks:
                return deleted
            _total, by_model = model.objects.filter(pk__in=pks).delete()
        deleted += by_model.get(model._meta.label, 0)
        last = pks[-1]


def clear_oauth_rows(*, dry_run: bool = False) -> StepResult:
    """Remove expired and revoked OAuth2 rows with django-oauth-toolkit's ``clear_expired()``.

    The toolkit's own rules and settings apply (``REFRESH_TOKEN_EXPIRE_SECONDS``,
    ``CLEAR_EXPIRED_TOKENS_BATCH_SIZE``): a revoked refresh token is kept until it would have
    expired, so that its reuse is still detected. Counts are rows gone between before and after.
    A redeemed code's record goes once every token issued from it has expired.
    """
    if dry_run:
        return StepResult("oauth (dry run)", note="skipped: clear_expired() has no dry run")
    kinds = (
        ("access tokens", get_access_token_model()),
        ("refresh tokens", get_refresh_token_model()),
        ("ID tokens", get_id_token_model()),
        ("grants", get_grant_model()),
    )
    before = [model.objects.count() for _label, model in kinds]
    toolkit_log = logging.getLogger("oauth2_provider.models")
    level = toolkit_log.level
    toolkit_log.setLevel(max(level, logging.WARNING))  # its INFO lines repeat our summary
    try:
        clear_expired()
    finally:
        toolkit_log.setLevel(level)
    after = [model.objects.count() for _label, model in kinds]
    counts = (
        *(
            (label, max(0, b - a))
            for (label, _model), b, a in zip(kinds, before, after, strict=True)
        ),
        ("redeemed codes", forget_redeemed_codes()),
    )
    return StepResult("oauth", counts, verb="removed")


def _in_batches(rows: QuerySet) -> Iterator:
    """Yield ``rows`` in primary-key order, MAINTENANCE_BATCH_SIZE per query, none held open."""
    batch, last = setting("MAINTENANCE_BATCH_SIZE"), 0
    while chunk := list(rows.filter(pk__gt=last).order_by("pk")[:batch]):
        yield from chunk
        last = chunk[-1].pk

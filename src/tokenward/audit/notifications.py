"""E-mails to credential owners, sent through Django's e-mail framework after commit."""

from __future__ import annotations

import logging
from typing import Any

from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from tokenward.audit.services import ClientInfo
from tokenward.conf import setting
from tokenward.tokens.models import OfflineToken, PersonalAccessToken

log = logging.getLogger(__name__)


def _absolute(path: str, client: ClientInfo) -> str:
    origin = (setting("PUBLIC_URL") or client.origin or "http://127.0.0.1:8000").rstrip("/")
    return origin + path


def personal_token_created(token: PersonalAccessToken, client: ClientInfo) -> None:
    """Tell the owner a token was created: what it may do, from where, and how to revoke it.

    A failure to send is logged, not raised: the token exists and the audit log has it.
    """
    context = {
        "token": token,
        "owner": token.owner,
        "scopes": ", ".join(token.scopes),
        "client": client,
        "revoke_url": _absolute(reverse("web:revoke-token", args=[token.pk]), client),
    }
    _send_or_log(
        token.owner.email,
        f"A new personal access token: {token.name}",
        "audit/personal_token_created.txt",
        context,
        f"the new-token e-mail for personal token {token.pk}",
    )


def offline_token_created(token: OfflineToken, client: ClientInfo) -> None:
    """Tell the owner an offline token was created, from where, and where to revoke it.

    A failure to send is logged, not raised: the token exists and the audit log has it.
    """
    context = {
        "token": token,
        "owner": token.owner,
        "client": client,
        "revoke_url": _absolute(reverse("td-offline-token"), client),
    }
    _send_or_log(
        token.owner.email,
        "A new offline token",
        "audit/offline_token_created.txt",
        context,
        f"the new-token e-mail for offline token {token.pk}",
    )


def token_leaked(leak: Any, url: str, source: str, client: ClientInfo) -> None:
    """Tell the owner which token leaked (``leak``: a ``tokens.leaks.RevokedLeak``), where it
    was found, that it is revoked, and what to do now. A failure to send is logged, not
    raised: the token is revoked and audited."""
    context = {
        "owner": leak.owner,
        "leak": leak,
        "url": url,
        "source": source,
        "revoked_at": timezone.now(),
        "tokens_url": _absolute(reverse("web:tokens"), client),
    }
    _send_or_log(
        leak.owner.email,
        f"Your {leak.description} {leak.display} was found in public and revoked",
        "audit/token_leaked.txt",
        context,
        f"the leaked-token e-mail to user {leak.owner.pk}",
    )


# E-mails of ``tokenward maintain``. They are sent by the run that claimed the token, not after
# a request: each returns False if the owner has no address, True once the message is handed
# to the mail server, and lets a failure to send (OSError) reach the caller, which gives the
# claim back so that a later run tries again.

MAINTENANCE = ClientInfo(method="maintenance")


def personal_token_expiring(token: PersonalAccessToken) -> bool:
    """Tell the owner a personal access token expires soon and what to do about it."""
    context = {"token": token, "tokens_url": _absolute(reverse("web:tokens"), MAINTENANCE)}
    return _send_to_owner(
        token.owner.email,
        f"Your personal access token {token.name} expires on {token.expires_at:%Y-%m-%d}",
        "audit/personal_token_expiring.txt",
        {**context, "owner": token.owner},
    )


def personal_token_revoked_unused(token: PersonalAccessToken, unused_days: int) -> bool:
    """Tell the owner a personal access token was revoked because nobody used it."""
    context = {
        "token": token,
        "owner": token.owner,
        "unused_days": unused_days,
        "tokens_url": _absolute(reverse("web:tokens"), MAINTENANCE),
    }
    return _send_to_owner(
        token.owner.email,
        f"Your unused personal access token {token.name} was revoked",
        "audit/personal_token_revoked_unused.txt",
        context,
    )


def offline_token_revoked_unused(token: OfflineToken, unused_days: int) -> bool:
    """Tell the owner an offline token was revoked because nobody used it."""
    context = {
        "token": token,
        "owner": token.owner,
        "unused_days": unused_days,
        "tokens_url": _absolute(reverse("td-offline-token"), MAINTENANCE),
    }
    return _send_to_owner(
        token.owner.email,
        "Your unused offline token was revoked",
        "audit/offline_token_revoked_unused.txt",
        context,
    )


def _send_or_log(address: str, subject: str, template: str, context: dict, what: str) -> None:
    """Send as ``_send_to_owner`` does after a request: a failure is logged, not raised."""
    try:
        _send_to_owner(address, subject, template, context)
    except OSError:
        log.warning("Could not send %s.", what)


def _send_to_owner(address: str, subject: str, template: str, context: dict) -> bool:
    if not address:
        return False
    send_mail(
        subject=subject,
        message=render_to_string(template, context),
        from_email=None,
        recipient_list=[address],
    )
    return True

"""E-mails to credential owners, sent through Django's e-mail framework after commit."""

from __future__ import annotations

import logging

from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

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
    owner = token.owner
    if not owner.email:
        return
    context = {
        "token": token,
        "owner": owner,
        "scopes": ", ".join(token.scopes),
        "client": client,
        "revoke_url": _absolute(reverse("web:revoke-token", args=[token.pk]), client),
    }
    try:
        send_mail(
            subject=f"A new personal access token: {token.name}",
            message=render_to_string("audit/personal_token_created.txt", context),
            from_email=None,
            recipient_list=[owner.email],
        )
    except OSError:
        log.warning("Could not send the new-token e-mail for personal token %s.", token.pk)


def offline_token_created(token: OfflineToken, client: ClientInfo) -> None:
    """Tell the owner an offline token was created, from where, and where to revoke it.

    A failure to send is logged, not raised: the token exists and the audit log has it.
    """
    owner = token.owner
    if not owner.email:
        return
    context = {
        "token": token,
        "owner": owner,
        "client": client,
        "revoke_url": _absolute(reverse("td-offline-token"), client),
    }
    try:
        send_mail(
            subject="A new offline token",
            message=render_to_string("audit/offline_token_created.txt", context),
            from_email=None,
            recipient_list=[owner.email],
        )
    except OSError:
        log.warning("Could not send the new-token e-mail for offline token %s.", token.pk)

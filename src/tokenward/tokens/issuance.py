"""Saving a newly issued token row: the row, its audit event and the owner's e-mail, together."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.db.models import Model

from tokenward.accounts.models import User
from tokenward.audit.models import Action
from tokenward.audit.services import ClientInfo, record_event


def save_issued(
    record: Model,
    *,
    kind: str,
    owner: User,
    client: ClientInfo,
    notify: Callable[[], None] | None = None,
    actor: User | None = None,
    reason: str = "",
) -> None:
    """Save ``record`` and its "issued" audit event in one transaction.

    Either both are written or neither: a failing audit write leaves no usable orphan token.
    ``notify`` (the owner's e-mail) runs only after the commit, so a rolled-back token is
    never announced. ``actor`` is who asked (default: the owner); ``reason`` says why, such
    as ``"rotated"``.
    """
    with transaction.atomic():
        record.save()
        record_event(
            Action.ISSUED,
            credential_kind=kind,
            credential_id=record.pk,
            client=client,
            actor=owner if actor is None else actor,
            subject=owner,
            reason=reason,
        )
        if notify is not None:
            transaction.on_commit(notify, robust=True)

"""Keep the verified-token cache honest: a changed user drops their cached tokens at once."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from tokenward.accounts.models import User
from tokenward.tokens.verified import verified_tokens


@receiver(post_save, sender=User)
def forget_tokens_of_changed_user(sender: type[User], instance: User, **kwargs: Any) -> None:
    """Activation, role, permission or password changed: verify their tokens afresh."""
    verified_tokens.discard_owner(instance.pk)

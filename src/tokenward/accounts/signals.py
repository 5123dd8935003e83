"""``credentials_changed``: sent when a user's login, password or activation changes.

A password counts as changed when ``set_password`` set a new one, not when Django re-hashes
the same password at login (its ``_password`` marker tells the two apart).

Credentials derived from them (service tokens, 24-hour session tokens, sessions) listen and
end themselves. It fires for every save path (services, API, CLI, admin), because it
compares the saved row with the one that was loaded.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import Signal, receiver

from tokenward.accounts.models import User

# Sent with ``user`` and ``reasons``: a frozenset of "login", "password", "deactivated".
credentials_changed = Signal()


@receiver(post_save, sender=User)
def _detect_credential_change(sender: type[User], instance: User, created: bool, **kw: Any) -> None:
    before = getattr(instance, "_loaded_credentials", None)
    after = instance.credential_basis()
    instance._loaded_credentials = after
    if created or before is None:
        return
    reasons = set()
    for name, old, new in zip(("login", "password", "is_active"), before, after, strict=True):
        if old is None or new is None or old == new:
            continue
        if name == "password" and getattr(instance, "_password", None) is None:
            continue  # Django re-hashed the same password after a hasher upgrade
        if name == "is_active":
            if not new:
                reasons.add("deactivated")
        else:
            reasons.add(name)
    if reasons:
        credentials_changed.send(sender=User, user=instance, reasons=frozenset(reasons))

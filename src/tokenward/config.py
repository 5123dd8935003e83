"""tokenward's own settings: one ``TOKENWARD`` dict, read lazily and reset when it changes."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

DEFAULTS: dict[str, Any] = {
    # False when single sign-on replaces the login form (Targetprocess: Basic is then
    # refused for the System user).
    "LOGIN_FORM_ENABLED": True,
}


@cache
def tokenward_settings() -> dict[str, Any]:
    """Return the effective settings: the defaults overlaid with ``settings.TOKENWARD``."""
    return {**DEFAULTS, **getattr(settings, "TOKENWARD", {})}


@receiver(setting_changed)
def _reset(*, setting: str, **_: Any) -> None:
    if setting == "TOKENWARD":
        tokenward_settings.cache_clear()

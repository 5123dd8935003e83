"""Site settings administrators change at run time: whether the login form is enabled."""

from __future__ import annotations

import time
from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import timezone

from tokenward.accounts.models import SiteSettings, User
from tokenward.audit.models import Action
from tokenward.audit.services import ClientInfo, record_event
from tokenward.conf import setting

# How long a process trusts the row it read. Another process's change is honoured within
# this bound; this process's own at once, because saving drops the cached copy.
CACHE_SECONDS = 2.0
SITE_SETTINGS_KIND = "site_setting"
_ROW = 1

# (monotonic time read, the stored choice); a tuple so that one assignment replaces both.
_cached: tuple[float, bool | None] | None = None


class SiteSettingsError(ValueError):
    """A site setting cannot take the requested value; the message says why."""


def login_form_enabled() -> bool:
    """Return True if the login form is enabled (and so the System user's Basic).

    The administrators' choice on the site settings page, else, until they make one,
    ``TOKENWARD["LOGIN_FORM_ENABLED"]`` (the ``TOKENWARD_LOGIN_FORM_ENABLED`` variable).
    The row is read at most once per ``CACHE_SECONDS`` (2 s) per process: a change made in
    another process takes effect within 2 s, one made in this process at once.
    """
    choice = login_form_choice()
    return bool(setting("LOGIN_FORM_ENABLED")) if choice is None else choice


def login_form_choice() -> bool | None:
    """Return the administrators' stored choice for the login form; None if none was made."""
    global _cached
    now = time.monotonic()
    cached = _cached
    if cached is not None and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    row = SiteSettings.objects.filter(pk=_ROW).values_list("login_form_enabled", flat=True)
    choice = next(iter(row), None)
    _cached = (now, choice)
    return choice


def set_login_form_enabled(enabled: bool, *, by: User, client: ClientInfo) -> bool:
    """Store the administrators' choice for the login form, audited; return True if it changed.

    Raise ``SiteSettingsError`` when disabling it without single sign-on configured
    (``SSO_HEADER``): nobody could log in to the web pages then. Nothing is written then.
    """
    if not enabled and not setting("SSO_HEADER"):
        raise SiteSettingsError(
            "The login form cannot be disabled: single sign-on is not configured "
            "(TOKENWARD_SSO_HEADER), so nobody could log in any more."
        )
    changed = login_form_enabled() != enabled
    SiteSettings.objects.update_or_create(
        pk=_ROW,
        defaults={"login_form_enabled": enabled, "updated_at": timezone.now(), "updated_by": by},
    )
    forget_cached()
    if changed:
        record_event(
            Action.CHANGED,
            credential_kind=SITE_SETTINGS_KIND,
            credential_id="login_form_enabled",
            client=client,
            actor=by,
            reason="enabled" if enabled else "disabled",
        )
    return changed


def last_change() -> SiteSettings | None:
    """Return the stored row, for showing who changed the settings and when; None if never."""
    return SiteSettings.objects.select_related("updated_by").filter(pk=_ROW).first()


def forget_cached() -> None:
    """Drop this process's cached row: the next read goes to the database."""
    global _cached
    _cached = None


@receiver(setting_changed)
def _reset(*, setting: str, **kwargs: Any) -> None:
    if setting == "TOKENWARD":
        forget_cached()

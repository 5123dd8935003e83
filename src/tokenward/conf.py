"""tokenward's own settings: the ``TOKENWARD`` dict, read through ``setting()``, never at import."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

DEFAULTS: dict[str, Any] = {
    # The HMAC key for token digests, apart from SECRET_KEY (settings.py reads it from
    # TOKENWARD_TOKEN_KEY or the data folder).
    "TOKEN_DIGEST_KEY": "",
    # The longest lifetime of a personal access token in days; None: no cap.
    "PERSONAL_TOKEN_MAX_DAYS": None,
    # Accept ?access_token= and ?token= (Targetprocess, Excel web queries).
    "QUERY_STRING_CREDENTIALS": True,
    # Query parameters whose values are credentials: never logged, never echoed.
    "QUERY_CREDENTIAL_PARAMETERS": ("access_token", "token"),
    # How long a verified token is trusted without reading its row again. This is the bound
    # within which a revocation on another server is honoured; 0 reads the row every time.
    "VERIFIED_TOKEN_CACHE_SECONDS": 1.0,
    "VERIFIED_TOKEN_CACHE_SIZE": 10_000,
    # Last use is written at most once per token in this many seconds.
    "LAST_USE_WRITE_SECONDS": 60,
    # The public address of the server, for links in e-mails; empty: the request's host.
    "PUBLIC_URL": "",
    # Single sign-on: the header in which a proxy names the logged-in user ("": off), and the
    # addresses or CIDR networks of the proxies trusted to set it; from anywhere else it is
    # ignored.
    "SSO_HEADER": "",
    "SSO_TRUSTED_PROXIES": (),
    # The addresses or CIDR networks of the proxies (TLS, load balancer) in front of the
    # server: from them the client address is read from X-Forwarded-For (authn/client.py).
    "TRUSTED_PROXIES": (),
    # False: single sign-on only; the login form is disabled and the System user may not use
    # Basic authentication (Targetprocess). Only the initial value: once an administrator
    # chooses on the site settings page, the stored choice wins (``accounts.site``).
    "LOGIN_FORM_ENABLED": True,
    # How long a confirmed password opens the token pages to a local user (step-up).
    "STEP_UP_SECONDS": 600,
    # Failed password attempts (Basic, the login form, the token endpoints, step-up): at most
    # this many per account from one client address, per account from every address, and per
    # client address within one fixed window of this many seconds, which starts at the first
    # failure; then 429 until it ends (``accounts.lockout``).
    "LOCKOUT_ACCOUNT_FAILURES": 10,
    "LOCKOUT_ACCOUNT_TOTAL_FAILURES": 100,
    "LOCKOUT_ADDRESS_FAILURES": 50,
    "LOCKOUT_WINDOW_SECONDS": 900,
    # Leaked-token reports (POST /api/leaked-tokens, tokenward.tokens.leaks): the shared secret
    # under which a secret scanner signs each report (HMAC-SHA256), at least 32 characters;
    # empty (the default): the endpoint is off and answers 404.
    "LEAK_REPORT_SECRET": "",
    # Prometheus metrics at /metrics (tokenward.metrics): off by default; when on, scrapers
    # must send "Authorization: Bearer <METRICS_TOKEN>", a secret of at least 32 characters.
    "METRICS_ENABLED": False,
    "METRICS_TOKEN": "",
    # Maintenance (``tokenward maintain``): e-mail owners this many days before a personal
    # access token expires (0: no notice); revoke personal and offline tokens unused for this
    # many days (0: never); remove rows expired or revoked more than this many days ago; and
    # delete at most this many rows per statement, each in its own short transaction.
    "EXPIRY_NOTICE_DAYS": 7,
    "UNUSED_TOKEN_DAYS": 365,
    "RETENTION_DAYS": 90,
    "MAINTENANCE_BATCH_SIZE": 500,
}


@cache
def _merged() -> dict[str, Any]:
    return {**DEFAULTS, **getattr(settings, "TOKENWARD", {})}


def setting(name: str) -> Any:
    """Return the value of ``TOKENWARD[name]``, else its default."""
    return _merged()[name]


@receiver(setting_changed)
def _reset(*, setting: str, **kwargs: Any) -> None:
    if setting == "TOKENWARD":
        _merged.cache_clear()

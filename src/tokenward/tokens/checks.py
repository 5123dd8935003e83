"""System checks: bad ``TOKENWARD`` values are reported at start-up, not mid-request."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import Error, Warning, register

from tokenward.conf import setting
from tokenward.datadir import loose_data_dir_warning
from tokenward.networks import parse_network


def _number(name: str, check_id: str, *, minimum: float, allow_none: bool = False) -> Error | None:
    value = setting(name)
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        return Error(
            f"TOKENWARD[{name!r}] must be a number of at least {minimum}"
            + (" or None." if allow_none else "."),
            id=check_id,
        )
    return None


def _whole_number(name: str, check_id: str, *, minimum: int) -> Error | None:
    value = setting(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        return Error(
            f"TOKENWARD[{name!r}] must be a whole number of at least {minimum}.", id=check_id
        )
    return None


@register()
def check_token_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors = [
        _number("PERSONAL_TOKEN_MAX_DAYS", "tokenward.E011", minimum=1, allow_none=True),
        _number("VERIFIED_TOKEN_CACHE_SECONDS", "tokenward.E012", minimum=0),
        _number("VERIFIED_TOKEN_CACHE_SIZE", "tokenward.E013", minimum=1),
        _number("LAST_USE_WRITE_SECONDS", "tokenward.E014", minimum=1),
        _whole_number("STEP_UP_SECONDS", "tokenward.E015", minimum=1),
        _whole_number("LOCKOUT_ACCOUNT_FAILURES", "tokenward.E016", minimum=1),
        _whole_number("LOCKOUT_ADDRESS_FAILURES", "tokenward.E017", minimum=1),
        _whole_number("LOCKOUT_WINDOW_SECONDS", "tokenward.E018", minimum=1),
        _whole_number("LOCKOUT_ACCOUNT_TOTAL_FAILURES", "tokenward.E019", minimum=1),
        _whole_number("EXPIRY_NOTICE_DAYS", "tokenward.E035", minimum=0),
        _whole_number("UNUSED_TOKEN_DAYS", "tokenward.E036", minimum=0),
        _whole_number("RETENTION_DAYS", "tokenward.E037", minimum=1),
        _whole_number("MAINTENANCE_BATCH_SIZE", "tokenward.E038", minimum=1),
    ]
    errors.append(_account_total_below_per_address())
    if len(setting("TOKEN_DIGEST_KEY")) < 32:
        errors.append(
            Error(
                "TOKENWARD['TOKEN_DIGEST_KEY'] must be at least 32 characters.", id="tokenward.E010"
            )
        )
    return [error for error in errors if error is not None]


def _account_total_below_per_address() -> Error | None:
    """A total under the per-address limit would let one address lock the owner out again."""
    total, each = setting("LOCKOUT_ACCOUNT_TOTAL_FAILURES"), setting("LOCKOUT_ACCOUNT_FAILURES")
    numbers = all(isinstance(n, int) and not isinstance(n, bool) for n in (total, each))
    if numbers and total < each:
        return Error(
            "TOKENWARD['LOCKOUT_ACCOUNT_TOTAL_FAILURES'] must be at least "
            "TOKENWARD['LOCKOUT_ACCOUNT_FAILURES'].",
            id="tokenward.E019",
        )
    return None


# An HTTP header name, without underscores: WSGI maps "-" and "_" to the same key, and
# servers drop or pass underscored names differently, so a client could slip one past the proxy.
_HEADER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]*")


@register()
def check_sign_on_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Report bad single sign-on settings: the header, the trusted proxies, the login form."""
    errors = []
    header = setting("SSO_HEADER")
    header_ok = isinstance(header, str) and (not header or bool(_HEADER_NAME.fullmatch(header)))
    if not header_ok:
        errors.append(
            Error(
                "TOKENWARD['SSO_HEADER'] must be an HTTP header name of letters, digits and "
                "hyphens, such as 'X-Remote-User', or empty to turn single sign-on off.",
                id="tokenward.E020",
            )
        )
    proxies = setting("SSO_TRUSTED_PROXIES")
    errors += _proxy_errors(
        "SSO_TRUSTED_PROXIES", proxies, "tokenward.E021", everyone="lets anyone sign in"
    )
    if header_ok and header and isinstance(proxies, list | tuple) and not proxies:
        errors.append(
            Error(
                "TOKENWARD['SSO_TRUSTED_PROXIES'] is empty, so TOKENWARD['SSO_HEADER'] is never "
                "believed: name the addresses of the proxies that set it.",
                id="tokenward.E022",
            )
        )
    if not isinstance(setting("LOGIN_FORM_ENABLED"), bool):
        errors.append(
            Error("TOKENWARD['LOGIN_FORM_ENABLED'] must be True or False.", id="tokenward.E023")
        )
    return errors


@register()
def check_client_address_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Report bad ``TRUSTED_PROXIES``: the proxies whose ``X-Forwarded-For`` is believed."""
    return _proxy_errors(
        "TRUSTED_PROXIES",
        setting("TRUSTED_PROXIES"),
        "tokenward.E024",
        everyone="lets every client choose its own address",
        refuse_mapped=True,
    )


def _proxy_errors(
    name: str, entries: Any, check_id: str, *, everyone: str, refuse_mapped: bool = False
) -> list[Error]:
    def bad(problem: str) -> Error:
        return Error(f"TOKENWARD[{name!r}] {problem}", id=check_id)

    if not isinstance(entries, list | tuple):
        return [bad("must be a list of IP addresses or CIDR networks.")]
    errors = []
    for entry in entries:
        try:
            network = parse_network(entry)
        except (TypeError, ValueError, AttributeError) as exc:
            why = f" ({exc})" if isinstance(exc, ValueError) else ""
            errors.append(bad(f"holds {entry!r}: not an IP address or CIDR network{why}."))
            continue
        if network.prefixlen == 0:
            errors.append(bad(f"holds {entry!r}: trusting every address {everyone}."))
        elif refuse_mapped and network.version == 6 and network.network_address.ipv4_mapped:
            # Peers and X-Forwarded-For entries written ::ffff:a.b.c.d are compared as IPv4,
            # so this entry would never match.
            errors.append(bad(f"holds {entry!r}: write an IPv4-mapped address as IPv4."))
    return errors


# RFC 6750's b64token: what a scraper can send after "Bearer " unchanged.
_BEARER_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
METRICS_TOKEN_MIN_LENGTH = 32


@register()
def check_metrics_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Report bad metrics settings: metrics on without a strong token never start."""
    enabled = setting("METRICS_ENABLED")
    if not isinstance(enabled, bool):
        return [Error("TOKENWARD['METRICS_ENABLED'] must be True or False.", id="tokenward.E040")]
    token = setting("METRICS_TOKEN")
    if not enabled:
        return []
    if not token:
        return [
            Error(
                "Metrics are on but TOKENWARD['METRICS_TOKEN'] is empty: set "
                "TOKENWARD_METRICS_TOKEN to a random secret of at least "
                f"{METRICS_TOKEN_MIN_LENGTH} characters for the scrapers to send.",
                id="tokenward.E041",
            )
        ]
    # The messages name the problem, never the value: it is a secret.
    if not isinstance(token, str) or not _BEARER_TOKEN.fullmatch(token):
        return [
            Error(
                "TOKENWARD['METRICS_TOKEN'] must be letters, digits and - . _ ~ + / "
                "(a bearer token a scraper can send as it is).",
                id="tokenward.E042",
            )
        ]
    if len(token) < METRICS_TOKEN_MIN_LENGTH:
        return [
            Error(
                f"TOKENWARD['METRICS_TOKEN'] must be at least {METRICS_TOKEN_MIN_LENGTH} "
                "characters.",
                id="tokenward.E043",
            )
        ]
    return []


LEAK_REPORT_SECRET_MIN_LENGTH = 32


@register()
def check_leak_report_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Refuse a leak-report secret that is not a string or too short to resist guessing."""
    secret = setting("LEAK_REPORT_SECRET")
    if isinstance(secret, str) and (not secret or len(secret) >= LEAK_REPORT_SECRET_MIN_LENGTH):
        return []
    return [
        Error(
            "TOKENWARD['LEAK_REPORT_SECRET'] must be empty (leaked-token reports off) or a "
            f"string of at least {LEAK_REPORT_SECRET_MIN_LENGTH} characters.",
            id="tokenward.E030",
        )
    ]


@register()
def check_data_dir_mode(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """Warn when other users may open the data folder: it is left as found, since an
    operator may share it on purpose, but it holds the keys and the SQLite database."""
    if (sentence := loose_data_dir_warning(Path(settings.DATA_DIR))) is None:
        return []
    return [Warning(sentence, id="tokenward.W050")]

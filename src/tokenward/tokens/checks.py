"""System checks: bad ``TOKENWARD`` values are reported at start-up, not mid-request."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, register

from tokenward.conf import setting


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


@register()
def check_token_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors = [
        _number("PERSONAL_TOKEN_MAX_DAYS", "tokenward.E011", minimum=1, allow_none=True),
        _number("VERIFIED_TOKEN_CACHE_SECONDS", "tokenward.E012", minimum=0),
        _number("VERIFIED_TOKEN_CACHE_SIZE", "tokenward.E013", minimum=1),
        _number("LAST_USE_WRITE_SECONDS", "tokenward.E014", minimum=1),
    ]
    if len(setting("TOKEN_DIGEST_KEY")) < 32:
        errors.append(
            Error(
                "TOKENWARD['TOKEN_DIGEST_KEY'] must be at least 32 characters.", id="tokenward.E010"
            )
        )
    return [error for error in errors if error is not None]

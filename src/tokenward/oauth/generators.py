"""Token generators for django-oauth-toolkit: our prefixes, so scanners and transports know them."""

from __future__ import annotations

from typing import Any

from tokenward.credentials.format import TokenType, generate


def access_token(request: Any) -> str:
    """Return a new ``twa_`` access token (oauthlib's ``token_generator(request)`` hook)."""
    return generate(TokenType.OAUTH_ACCESS)


def refresh_token(request: Any) -> str:
    """Return a new ``twr_`` refresh token (oauthlib's ``refresh_token_generator`` hook)."""
    return generate(TokenType.OAUTH_REFRESH)

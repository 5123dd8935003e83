"""TargetData offline tokens (``two_…``): a refresh token that buys one-hour JWTs.

The offline token never expires and never changes; the JWT it buys is what travels. The
client trades lazily, reuses the JWT, trades again shortly before it expires and, as
TargetData advises, once more when the API says it expired.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from tokenward_client._http import json_object, mask, refusal, required_str
from tokenward_client._refreshing import RefreshingBearerAuth
from tokenward_client.errors import TokenRefreshError

__all__ = ["OfflineTokenAuth"]

TOKEN_PATH = "/auth/token"  # noqa: S105  (a path, not a secret)
MARGIN_SECONDS = 30.0


class OfflineTokenAuth(RefreshingBearerAuth):
    """Send a JWT access token bought with the offline token ``refresh_token``.

    ``token_url`` defaults to ``/auth/token`` on the server of each request. An access
    token saved from an earlier run can be handed back as ``access_token`` (with its
    remaining ``expires_in``) to skip the first trade. ``clock`` is a monotonic clock, in
    seconds. A refused trade raises ``TokenRefreshError``; ``error`` is ``invalid_grant``
    for a revoked or unknown offline token.
    """

    def __init__(
        self,
        refresh_token: str,
        *,
        token_url: str | None = None,
        access_token: str | None = None,
        expires_in: float | None = None,
        margin: float = MARGIN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(access_token, token_url, TOKEN_PATH)
        self._refresh_token = refresh_token
        self._margin = margin
        self._clock = clock
        self._expires_at = None if expires_in is None else clock() + expires_in

    @property
    def refresh_token(self) -> str:
        return self._refresh_token

    def needs_token(self) -> bool:
        if self._access_token is None:
            return True
        return self._expires_at is not None and self._clock() >= self._expires_at - self._margin

    def build_token_request(self, url: httpx.URL) -> httpx.Request:
        form = {"grant_type": "refresh_token", "refresh_token": self._refresh_token}
        return httpx.Request("POST", url, data=form, headers={"Accept": "application/json"})

    def accept_token_response(self, response: httpx.Response) -> None:
        what = "Offline token refresh"
        secrets = (self._refresh_token, self._access_token)
        if response.status_code != 200:
            raise refusal(response, what, secrets, TokenRefreshError)
        body = json_object(response, what)
        started = self._clock()
        self._access_token = required_str(body, "access_token", what, response.status_code)
        expires_in = body.get("expires_in")
        valid = isinstance(expires_in, int | float) and not isinstance(expires_in, bool)
        # Without a lifetime the JWT is used until the API refuses it.
        self._expires_at = started + expires_in if valid and expires_in > 0 else None

    def __repr__(self) -> str:
        return (
            f"OfflineTokenAuth({mask(self._refresh_token)}, "
            f"access_token={mask(self._access_token)})"
        )

"""OAuth2 access tokens (``twa_…``) from tokenward's provider, refreshed on a 401.

tokenward rotates refresh tokens: each refresh returns a new one and the old one is dead,
and presenting a used one revokes the whole grant. So the current pair lives in the auth
object, ``on_refresh`` lets the caller persist each new pair, and the flow never spends a
refresh token twice. The authorization-code flow itself needs a browser: use Authlib
(``authlib.integrations.httpx_client.OAuth2Client``) for it, then hand the tokens here.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

import httpx

from tokenward_client._http import json_object, mask, refusal, required_str
from tokenward_client._refreshing import RefreshingBearerAuth
from tokenward_client.errors import TokenRefreshError

__all__ = ["OAuth2Auth", "OAuth2Tokens"]

TOKEN_PATH = "/oauth/token/"  # noqa: S105  (a path, not a secret)


@dataclass(frozen=True)
class OAuth2Tokens:
    """A token pair as the token endpoint gave it; the repr hides both tokens."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_in: int | None = None
    scope: str | None = None

    def __repr__(self) -> str:
        return (
            f"OAuth2Tokens(access_token={mask(self.access_token)}, "
            f"refresh_token={mask(self.refresh_token)}, expires_in={self.expires_in!r}, "
            f"scope={self.scope!r})"
        )


class OAuth2Auth(RefreshingBearerAuth):
    """``Authorization: Bearer <twa_…>``; on a 401, refresh once, keep the rotated refresh
    token, call ``on_refresh(tokens)`` and retry once.

    Confidential clients pass ``client_secret`` and authenticate with HTTP Basic (RFC 6749
    §2.3.1); public clients send ``client_id`` in the body. Without a refresh token a 401
    is returned as it is. A refused refresh raises ``TokenRefreshError``.
    """

    def __init__(
        self,
        access_token: str,
        refresh_token: str | None,
        client_id: str,
        client_secret: str | None = None,
        token_url: str | None = None,
        on_refresh: Callable[[OAuth2Tokens], None] | None = None,
    ) -> None:
        super().__init__(access_token, token_url, TOKEN_PATH)
        self._refresh_token = refresh_token
        self._expires_in: int | None = None
        self._scope: str | None = None
        self.client_id = client_id
        self._client_secret = client_secret
        self._on_refresh = on_refresh

    @property
    def tokens(self) -> OAuth2Tokens:
        """The current pair: after a refresh, the new access token and rotated refresh token."""
        access = self._access_token or ""  # set in __init__ and never cleared
        return OAuth2Tokens(access, self._refresh_token, self._expires_in, self._scope)

    def can_refresh(self) -> bool:
        return self._refresh_token is not None

    def build_token_request(self, url: httpx.URL) -> httpx.Request:
        form = {"grant_type": "refresh_token", "refresh_token": self._refresh_token or ""}
        headers = {"Accept": "application/json"}
        if self._client_secret is None:
            form["client_id"] = self.client_id
        else:
            # RFC 6749 §2.3.1: each part is form-encoded before Basic, which httpx's
            # BasicAuth does not do.
            pair = f"{quote(self.client_id, safe='')}:{quote(self._client_secret, safe='')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        return httpx.Request("POST", url, data=form, headers=headers)

    def accept_token_response(self, response: httpx.Response) -> None:
        what = "OAuth2 token refresh"
        secrets = (self._refresh_token, self._access_token, self._client_secret)
        if response.status_code != 200:
            raise refusal(response, what, secrets, TokenRefreshError)
        body = json_object(response, what)
        access = required_str(body, "access_token", what, response.status_code)
        rotated = body.get("refresh_token")
        expires_in = body.get("expires_in")
        scope = body.get("scope")
        self._access_token = access
        if isinstance(rotated, str) and rotated:
            self._refresh_token = rotated
        self._expires_in = expires_in if isinstance(expires_in, int) else None
        self._scope = scope if isinstance(scope, str) else None
        if self._on_refresh is not None:
            self._on_refresh(self.tokens)

    def __repr__(self) -> str:
        return (
            f"OAuth2Auth({mask(self._access_token)}, {mask(self._refresh_token)}, "
            f"client_id={self.client_id!r}, client_secret={mask(self._client_secret)})"
        )

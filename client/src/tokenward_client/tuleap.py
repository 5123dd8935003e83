"""Tuleap's deprecated 24-hour tokens: bought with a login and password, ended by DELETE.

Both headers travel together; the server treats either alone as a malformed credential.
New code should use a personal access token (``X-Auth-AccessKey``) instead.
"""

from __future__ import annotations

from collections.abc import Generator
from urllib.parse import quote

import httpx

from tokenward_client._http import json_object, mask, refusal, required_str

__all__ = ["TuleapToken", "end_tuleap_token", "obtain_tuleap_token"]


class TuleapToken(httpx.Auth):
    """``X-Auth-Token: <token>`` with ``X-Auth-UserId: <user_id>``."""

    def __init__(self, token: str, user_id: str | int, uri: str | None = None) -> None:
        self.token = token
        self.user_id = str(user_id)
        # Where to DELETE it; the server names it, a client should not guess.
        self.uri = uri or f"/api/tokens/{quote(token, safe='')}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["X-Auth-Token"] = self.token
        request.headers["X-Auth-UserId"] = self.user_id
        yield request

    def __repr__(self) -> str:
        return f"TuleapToken({mask(self.token)}, user_id={self.user_id!r})"


def obtain_tuleap_token(client: httpx.Client, username: str, password: str) -> TuleapToken:
    """Buy a 24-hour token with ``POST /api/tokens``; return it as an auth object.

    Raise ``RefusedError`` (401 for a wrong login or password), or ``InvalidResponseError``.
    """
    what = "Tuleap token request"
    response = client.post(
        "/api/tokens",
        json={"username": username, "password": password},
        auth=None,  # the body is the credential; the client's own auth must not go along
    )
    if not response.is_success:
        raise refusal(response, what, (password,))
    body = json_object(response, what)
    status = response.status_code
    user_id = body.get("user_id")
    if isinstance(user_id, int) and not isinstance(user_id, bool):
        user_id = str(user_id)
    if not isinstance(user_id, str) or not user_id:
        user_id = required_str(body, "user_id", what, status)
    token = required_str(body, "token", what, status)
    uri = body.get("uri")
    return TuleapToken(token, user_id, uri if isinstance(uri, str) and uri else None)


def end_tuleap_token(client: httpx.Client, token: TuleapToken) -> None:
    """End ``token`` now with ``DELETE /api/tokens/<token>``, authenticated by itself.

    Raise ``RefusedError`` unless the server answers 204 (a token already ended gets 401).
    """
    response = client.delete(token.uri, auth=token)
    if response.status_code != 204:
        raise refusal(response, "Ending the Tuleap token", (token.token,))

"""Static tokens: personal access tokens in their four transports, and service tokens.

A static token needs no flow, only a place in the request; tokenward accepts the same
personal token in whichever place the client software can set.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Literal

import httpx

from tokenward_client._http import json_object, mask, refusal, required_str

__all__ = ["PersonalToken", "ServiceToken", "Transport", "obtain_service_token"]

Transport = Literal["bearer", "token", "access_key", "query"]
TRANSPORTS: tuple[Transport, ...] = ("bearer", "token", "access_key", "query")


class PersonalToken(httpx.Auth):
    """A personal access token (``twp_…``, also TrialGrid's minted tokens).

    ``transport`` picks where it travels: ``"bearer"`` (``Authorization: Bearer``,
    YouTrack), ``"token"`` (``Authorization: Token``, TrialGrid), ``"access_key"``
    (``X-Auth-AccessKey``, Tuleap) or ``"query"`` (``?access_token=``, Targetprocess).
    Prefer a header: a URL ends up in logs, httpx's own INFO log line included.
    """

    def __init__(self, token: str, transport: Transport = "bearer") -> None:
        if transport not in TRANSPORTS:
            raise ValueError(f"transport must be one of {', '.join(TRANSPORTS)}")
        self.token = token
        self.transport = transport

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self.transport == "bearer":
            request.headers["Authorization"] = f"Bearer {self.token}"
        elif self.transport == "token":
            request.headers["Authorization"] = f"Token {self.token}"
        elif self.transport == "access_key":
            request.headers["X-Auth-AccessKey"] = self.token
        else:
            # Replace, not add: the server refuses a parameter given twice.
            request.url = request.url.copy_set_param("access_token", self.token)
        yield request

    def __repr__(self) -> str:
        return f"PersonalToken({mask(self.token)}, transport={self.transport!r})"


class ServiceToken(httpx.Auth):
    """A Targetprocess service token, sent as ``?token=`` (the only place it is read)."""

    def __init__(self, token: str) -> None:
        self.token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.url = request.url.copy_set_param("token", self.token)
        yield request

    def __repr__(self) -> str:
        return f"ServiceToken({mask(self.token)})"


def obtain_service_token(
    client: httpx.Client, auth: httpx.Auth | None = None, *, login: str | None = None
) -> ServiceToken:
    """Return the caller's service token from ``GET /api/v1/Authentication``.

    ``auth`` is any credential with write access (Basic, as Targetprocess documents it);
    None uses the client's own. An administrator may name another user's ``login``.
    Raise ``RefusedError`` if the server refuses, ``InvalidResponseError`` on a bad answer.
    """
    params = {"format": "json"}
    if login is not None:
        params["login"] = login
    response = client.get(
        "/api/v1/Authentication",
        params=params,
        headers={"Accept": "application/json"},
        auth=auth if auth is not None else httpx.USE_CLIENT_DEFAULT,
    )
    what = "Service token request"
    if response.status_code != 200:
        raise refusal(response, what)
    token = required_str(json_object(response, what), "Token", what, response.status_code)
    return ServiceToken(token)

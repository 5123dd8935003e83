"""The shared flow of the two refreshable Bearer credentials: get a token, send, and on a
401 refresh once and retry once.

One refresh per request at most: a server that keeps answering 401 gets one retry and
its second 401 goes back to the caller, never a loop.
"""

from __future__ import annotations

import abc
from collections.abc import Generator

import httpx

Flow = Generator[httpx.Request, httpx.Response, None]


class RefreshingBearerAuth(httpx.Auth, abc.ABC):
    """Base class: subclasses say how to ask for a token and what to keep from the reply.

    The request body is read first so the retry can send it again, and responses are read
    so the token endpoint's JSON is available to the flow (httpx reads them for us, which
    keeps the flow free of I/O and therefore usable by both Client and AsyncClient).
    """

    requires_request_body = True
    requires_response_body = True

    def __init__(self, access_token: str | None, token_url: str | None, default_path: str) -> None:
        self._access_token = access_token
        self._token_url = token_url
        self._default_path = default_path

    @property
    def access_token(self) -> str | None:
        """The access token the next request will carry (None before the first exchange)."""
        return self._access_token

    def token_url_for(self, request: httpx.Request) -> httpx.URL:
        """The token endpoint: as given, else the default path on the request's server."""
        if self._token_url is not None:
            return httpx.URL(self._token_url)
        return request.url.join(self._default_path)

    def needs_token(self) -> bool:
        """True if a token must be fetched before sending (none yet, or about to expire)."""
        return self._access_token is None

    def can_refresh(self) -> bool:
        return True

    @abc.abstractmethod
    def build_token_request(self, url: httpx.URL) -> httpx.Request:
        """The request that asks ``url`` for a new access token."""

    @abc.abstractmethod
    def accept_token_response(self, response: httpx.Response) -> None:
        """Keep the new tokens, or raise ``TokenRefreshError`` / ``InvalidResponseError``."""

    def refresh_flow(self, request: httpx.Request) -> Flow:
        """Ask the token endpoint for a new access token (as one step of a flow)."""
        response = yield self.build_token_request(self.token_url_for(request))
        self.accept_token_response(response)

    def auth_flow(self, request: httpx.Request) -> Flow:
        if self.needs_token() and self.can_refresh():
            yield from self.refresh_flow(request)
        sent = self._access_token
        if sent is not None:
            request.headers["Authorization"] = f"Bearer {sent}"
        response = yield request
        if response.status_code != 401 or not self.can_refresh():
            return
        # Another request may have refreshed while this one was out: use its token rather
        # than spend the refresh token again (the OAuth2 server rotates it). Identity, not
        # equality: the question is whether the token was replaced, not what it holds.
        if self._access_token is sent:
            yield from self.refresh_flow(request)
        request.headers["Authorization"] = f"Bearer {self._access_token}"
        yield request

"""The web session: log in through the login form, then send its cookie, with the CSRF
header Django requires on unsafe methods.

Meant for scripts that must act as a browser; anything else should use a token. The
auth object keeps its own copy of the two cookies, so it works with a fresh client per
call as well as with one long-lived client.
"""

from __future__ import annotations

from collections.abc import Generator

import httpx

from tokenward_client._http import MASK
from tokenward_client.errors import InvalidResponseError, LoginError

__all__ = ["SessionAuth", "login_session"]

LOGIN_PATH = "/login/"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
Flow = Generator[httpx.Request, httpx.Response, None]


def _origin(url: httpx.URL) -> str:
    return f"{url.scheme}://{url.netloc.decode('ascii')}"


class SessionAuth(httpx.Auth):
    """Log in lazily on the first request, then authenticate with the session cookie.

    Unsafe methods get ``X-CSRFToken`` (the CSRF cookie's value) and, unless the request
    has one, a ``Referer`` of the server's origin, which Django checks over HTTPS.
    ``login_url`` defaults to ``/login/`` on the request's server. A refused login raises
    ``LoginError``. A session that expires is not renewed: log in again.
    """

    def __init__(
        self,
        login: str,
        password: str,
        *,
        login_url: str | None = None,
        session_cookie: str = "sessionid",
        csrf_cookie: str = "csrftoken",
    ) -> None:
        self.login = login
        self._password = password
        self._login_url = login_url
        self._session_cookie = session_cookie
        self._csrf_cookie = csrf_cookie
        self._cookies: dict[str, str] = {}

    @property
    def logged_in(self) -> bool:
        return self._session_cookie in self._cookies

    @property
    def csrf_token(self) -> str | None:
        """The CSRF cookie's current value (Django rotates it at login)."""
        return self._cookies.get(self._csrf_cookie)

    def _remember(self, *responses: httpx.Response) -> None:
        """Keep the newest values of our two cookies from ``responses``."""
        for response in responses:
            jar = httpx.Cookies()
            jar.extract_cookies(response)
            for name in (self._session_cookie, self._csrf_cookie):
                value = jar.get(name)
                if value is not None:
                    self._cookies[name] = value

    def login_flow(self, server_url: httpx.URL) -> Flow:
        """Fetch the form (for its CSRF cookie), post it, and check the redirect."""
        url = httpx.URL(self._login_url) if self._login_url else server_url.join(LOGIN_PATH)
        self._cookies.pop(self._session_cookie, None)
        page = yield httpx.Request("GET", url)
        self._remember(*page.history, page)
        csrf = self.csrf_token
        if csrf is None:
            raise InvalidResponseError(
                f"Login page: no {self._csrf_cookie!r} cookie (HTTP {page.status_code})",
                status_code=page.status_code,
            )
        form = {"username": self.login, "password": self._password, "csrfmiddlewaretoken": csrf}
        headers = {"Referer": _origin(url) + "/", "Cookie": f"{self._csrf_cookie}={csrf}"}
        post = httpx.Request("POST", url, data=form, headers=headers)
        answer = yield post
        # ``history`` also holds this flow's earlier responses and, if the client follows
        # redirects, the redirect: the login's own answer is the one to the POST.
        chain = [*answer.history, answer]
        self._remember(*chain)
        first = next(response for response in chain if response.request is post)
        if first.status_code != 302 or not self.logged_in:
            error = "invalid_credentials" if first.status_code == 200 else "login_refused"
            raise LoginError(
                "Login",
                status_code=first.status_code,
                error=error,
                error_description="The server did not log this login and password in.",
            )

    def _apply(self, request: httpx.Request) -> None:
        ours = {self._session_cookie, self._csrf_cookie}
        kept = [
            part.strip()
            for part in request.headers.get("Cookie", "").split(";")
            if part.strip() and part.split("=", 1)[0].strip() not in ours
        ]
        kept += [f"{name}={value}" for name, value in self._cookies.items()]
        request.headers["Cookie"] = "; ".join(kept)
        if request.method in UNSAFE_METHODS and self.csrf_token is not None:
            request.headers["X-CSRFToken"] = self.csrf_token
            if "Referer" not in request.headers:
                request.headers["Referer"] = _origin(request.url) + "/"

    def auth_flow(self, request: httpx.Request) -> Flow:
        if not self.logged_in:
            yield from self.login_flow(request.url)
        self._apply(request)
        response = yield request
        self._remember(response)

    def __repr__(self) -> str:
        return f"SessionAuth(login={self.login!r}, password='{MASK}', logged_in={self.logged_in})"


def login_session(
    client: httpx.Client, login: str, password: str, *, login_url: str | None = None
) -> SessionAuth:
    """Log ``client`` in now (so a wrong password fails here) and make it send the session.

    ``client`` needs a ``base_url`` unless ``login_url`` is given. Return the auth object,
    which is also set as ``client.auth``.
    """
    auth = SessionAuth(login, password, login_url=login_url)
    flow = auth.login_flow(client.base_url)
    request = next(flow)
    while True:
        response = client.send(request, auth=None)
        try:
            request = flow.send(response)
        except StopIteration:
            break
    client.auth = auth
    return auth

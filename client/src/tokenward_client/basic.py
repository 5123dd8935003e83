"""HTTP Basic (RFC 7617): a login and password on every request, UTF-8 encoded.

httpx already does Basic right; this subclass only adds a repr that names the login and
hides the password, so the object can be logged.
"""

from __future__ import annotations

import httpx

from tokenward_client._http import MASK

__all__ = ["BasicAuth"]


class BasicAuth(httpx.BasicAuth):
    """``Authorization: Basic`` with ``login:password`` in UTF-8, as tokenward decodes it."""

    def __init__(self, login: str, password: str) -> None:
        super().__init__(login, password)
        self.login = login

    def __repr__(self) -> str:
        return f"BasicAuth(login={self.login!r}, password='{MASK}')"

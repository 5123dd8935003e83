"""TrialGrid's ``api-token-auth``: a login and password in a JSON body mint a token.

The minted token is an ordinary personal access token, sent as ``Authorization: Token``.
"""

from __future__ import annotations

import httpx

from tokenward_client._http import json_object, refusal, required_str
from tokenward_client.errors import InvalidResponseError
from tokenward_client.tokens import PersonalToken

__all__ = ["obtain_trialgrid_token", "revoke_trialgrid_tokens"]


def obtain_trialgrid_token(client: httpx.Client, username: str, password: str) -> PersonalToken:
    """Mint a new token with ``POST /api/v2/api-token-auth/``; each call makes another.

    Raise ``RefusedError`` (400 ``invalid_credentials`` for any refused login) or
    ``InvalidResponseError``.
    """
    what = "TrialGrid token request"
    response = client.post(
        "/api/v2/api-token-auth/", json={"username": username, "password": password}, auth=None
    )
    if response.status_code != 200:
        raise refusal(response, what, (password,))
    token = required_str(json_object(response, what), "token", what, response.status_code)
    return PersonalToken(token, transport="token")


def revoke_trialgrid_tokens(client: httpx.Client, username: str, password: str) -> int:
    """Revoke every live personal token of the login with
    ``POST /api/v2/api-token-auth-delete/``; return how many were revoked."""
    what = "TrialGrid token revocation"
    response = client.post(
        "/api/v2/api-token-auth-delete/",
        json={"username": username, "password": password},
        auth=None,
    )
    if response.status_code != 200:
        raise refusal(response, what, (password,))
    revoked = json_object(response, what).get("revoked")
    if not isinstance(revoked, int) or isinstance(revoked, bool):
        raise InvalidResponseError(
            f"{what}: the reply has no 'revoked' count", status_code=response.status_code
        )
    return revoked

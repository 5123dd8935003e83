"""``X-Auth-Token`` + ``X-Auth-UserId``: Tuleap's deprecated 24-hour tokens (``tws_``).

Both headers are needed; either alone is a malformed credential, never anonymous access.
Every reply to a request they authenticate says the credential is deprecated (RFC 9745).
"""

from __future__ import annotations

from rest_framework.request import Request

from tokenward.accounts.models import User
from tokenward.authn.base import AuthInfo, CredentialFailed, Transport
from tokenward.authn.client import client_info
from tokenward.authn.middleware import mark_deprecated
from tokenward.errors import CredentialError, ErrorCode
from tokenward.ids import parse_id
from tokenward.tokens.session import verify_session_token

SCHEME = "X-Auth-Token"
TOKEN_HEADER = "HTTP_X_AUTH_TOKEN"  # noqa: S105  (a header name, not a secret)
USER_HEADER = "HTTP_X_AUTH_USERID"
MAX_TOKEN_LENGTH = 4096


def tuleap_challenge(error: CredentialError | None = None) -> str:
    """Return the challenge naming this scheme, and the error when there is one (RFC 6750)."""
    challenge = f'{SCHEME} realm="tokenward"'
    if error is not None:
        description = error.detail.replace('"', "'")
        challenge += f', error="invalid_token", error_description="{description}"'
    return challenge


def _malformed(detail: str) -> CredentialError:
    return CredentialError(ErrorCode.MALFORMED_TOKEN, detail)


class TuleapTokenAuthentication(Transport):
    """``X-Auth-Token: tws_…`` with ``X-Auth-UserId: <the owner's id>``."""

    method = "tuleap_token"
    headers = (TOKEN_HEADER, USER_HEADER)
    # No challenge when nothing was sent: clients are pointed at personal access tokens.

    def authenticate(self, request: Request) -> tuple[User, AuthInfo] | None:
        meta = request._request.META
        if TOKEN_HEADER not in meta and USER_HEADER not in meta:
            return None
        try:
            token, user_id = _credentials(meta.get(TOKEN_HEADER), meta.get(USER_HEADER))
            verified = verify_session_token(
                token, user_id, client_info(request, self.method, with_origin=False)
            )
        except CredentialError as error:
            raise CredentialFailed(error, tuleap_challenge(error)) from None
        mark_deprecated(request._request)
        info = AuthInfo(self.method, f"{verified.kind}:{verified.token_id}", None)
        return verified.owner, info


def _credentials(token: str | None, user_id: str | None) -> tuple[str, int]:
    """Return the token and the user id the headers hold. Raise ``CredentialError``
    with a sentence naming what is wrong, reading nothing."""
    if token is None:
        raise _malformed("The X-Auth-Token header is missing; send it with X-Auth-UserId.")
    if user_id is None:
        raise _malformed("The X-Auth-UserId header is missing; send it with X-Auth-Token.")
    token, user_id = token.strip(), user_id.strip()
    if not token:
        raise _malformed("Malformed token. No token was given.")
    if len(token) > MAX_TOKEN_LENGTH or not token.isascii() or not token.isprintable():
        raise _malformed("Malformed token.")
    owner_id = parse_id(user_id)
    if owner_id is None:
        raise _malformed("Invalid X-Auth-UserId header. A user id is a number, digits only.")
    return token, owner_id

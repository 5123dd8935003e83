"""Transports that carry a tokenward token string: query, X-Auth-AccessKey, Bearer, Token.

Each transport extracts the string and hands it to the verifier its prefix names. Failures
carry an RFC 6750 challenge; the error body says which rule the token broke.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Mapping

from rest_framework.request import Request

from tokenward.accounts.models import User
from tokenward.audit.services import ClientInfo
from tokenward.authn.base import AuthInfo, CredentialFailed, Transport, invalid_request
from tokenward.authn.client import client_info
from tokenward.authn.query import query_credentials
from tokenward.conf import setting
from tokenward.credentials.access_jwt import looks_like_jwt
from tokenward.credentials.format import TokenType, token_type_of
from tokenward.errors import CredentialError, ErrorCode
from tokenward.oauth.services import verify_oauth_access_token
from tokenward.tokens.offline import verify_access_token
from tokenward.tokens.personal import verify_personal_token
from tokenward.tokens.verified import VerifiedToken

MAX_TOKEN_LENGTH = 4096
Verifier = Callable[[str, ClientInfo], VerifiedToken]
PERSONAL: Mapping[TokenType, Verifier] = {TokenType.PERSONAL: verify_personal_token}


def bearer_challenge(error: CredentialError | None = None, scheme: str = "Bearer") -> str:
    """Return an RFC 6750 challenge, naming the error when there is one."""
    challenge = f'{scheme} realm="tokenward"'
    if error is not None:
        description = error.detail.replace('"', "'")
        challenge += f', error="invalid_token", error_description="{description}"'
    return challenge


class TokenTransport(Transport):
    """A transport whose credential is a token string; subclasses say where it is."""

    scheme = "Bearer"
    verifiers: Mapping[TokenType, Verifier] = PERSONAL
    # A JWT has no prefix: a transport that takes JWT access tokens names their verifier.
    jwt_verifier: Verifier | None = None

    @abstractmethod
    def credential(self, request: Request) -> str | None:
        """Return the token string the request carries here, or None."""

    def authenticate(self, request: Request) -> tuple[User, AuthInfo] | None:
        value = self.credential(request)
        if value is None:
            return None
        try:
            verified = self._verify(value, client_info(request, self.method, with_origin=False))
        except CredentialError as error:
            raise CredentialFailed(error, bearer_challenge(error, self.scheme)) from None
        info = AuthInfo(self.method, f"{verified.kind}:{verified.token_id}", verified.scopes)
        return verified.owner, info

    def _verify(self, value: str, client: ClientInfo) -> VerifiedToken:
        if not value:
            raise CredentialError(ErrorCode.MALFORMED_TOKEN, "Malformed token. No token was given.")
        if len(value) > MAX_TOKEN_LENGTH or not value.isascii() or not value.isprintable():
            raise CredentialError(ErrorCode.MALFORMED_TOKEN, "Malformed token.")
        if self.jwt_verifier is not None and looks_like_jwt(value):
            return self.jwt_verifier(value, client)
        verifier = self.verifiers.get(token_type_of(value))  # type: ignore[arg-type]
        if verifier is None:
            kinds = ", ".join(f"{t.value}_" for t in self.verifiers)
            raise CredentialError(
                ErrorCode.MALFORMED_TOKEN, f"Malformed token. Here a token starts with {kinds}."
            )
        return verifier(value, client)


class AuthorizationSchemeTransport(TokenTransport):
    """``Authorization: <scheme> <token>``."""

    def credential(self, request: Request) -> str | None:
        header = request._request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, rest = header.partition(" ")
        if scheme.lower() != self.authorization_scheme:
            return None
        # Spaces only (RFC 6750 §2.1: 1*SP): a tab or other whitespace stays in the value,
        # where the verifier refuses it as malformed rather than trimming it away.
        value = rest.strip(" ")
        if not value or " " in value:
            problem = "No token was given" if not value else "The token must not contain spaces"
            error = CredentialError(
                ErrorCode.MALFORMED_TOKEN, f"Invalid {self.scheme} header. {problem}."
            )
            raise CredentialFailed(error, bearer_challenge(error, self.scheme))
        return value


class BearerTokenAuthentication(AuthorizationSchemeTransport):
    """``Authorization: Bearer <token>`` (RFC 6750 §2.1; YouTrack's permanent tokens,
    TargetData's JWT access tokens: only here, never in the query string)."""

    method = "bearer"
    scheme = "Bearer"
    authorization_scheme = "bearer"
    jwt_verifier = staticmethod(verify_access_token)
    challenge = bearer_challenge()
    # OAuth2 access tokens travel only here (Tuleap: "ONLY the Authorization Header").
    verifiers = {**PERSONAL, TokenType.OAUTH_ACCESS: verify_oauth_access_token}


class TokenSchemeAuthentication(AuthorizationSchemeTransport):
    """``Authorization: Token <token>`` (TrialGrid, DRF's TokenAuthentication clients)."""

    method = "token"
    scheme = "Token"
    authorization_scheme = "token"
    challenge = bearer_challenge(scheme="Token")


class AccessKeyHeaderAuthentication(TokenTransport):
    """``X-Auth-AccessKey: <token>`` (Tuleap's personal access keys)."""

    method = "access_key"
    headers = ("HTTP_X_AUTH_ACCESSKEY",)

    def credential(self, request: Request) -> str | None:
        value = request._request.META.get("HTTP_X_AUTH_ACCESSKEY")
        return None if value is None else value.strip()


class AccessTokenQueryAuthentication(TokenTransport):
    """``?access_token=<token>`` (Targetprocess, Excel web queries; RFC 6750 §2.3).

    A deliberate exception for clients that can only set a URL; a setting turns it off.
    Replies carry no-store and no-referrer headers (``QueryCredentialMiddleware``).
    """

    method = "access_token_query"
    query_parameter = "access_token"

    def credential(self, request: Request) -> str | None:
        values = query_credentials(request._request).get(self.query_parameter)
        if not values:
            return None
        if not setting("QUERY_STRING_CREDENTIALS"):
            raise invalid_request(
                "Credentials in the query string are turned off on this server; "
                "send the token in a header."
            )
        if len(values) > 1:
            raise invalid_request(
                f"The query string carries {self.query_parameter} more than once."
            )
        return values[0]

"""``?token=``: Targetprocess's service tokens, from ``GET /api/v1/Authentication``."""

from __future__ import annotations

from tokenward.audit.services import ClientInfo
from tokenward.authn.tokens import AccessTokenQueryAuthentication, bearer_challenge
from tokenward.tokens.service import verify_service_token
from tokenward.tokens.verified import VerifiedToken


class ServiceTokenQueryAuthentication(AccessTokenQueryAuthentication):
    """``?token=<service token>``, under the same rules as ``?access_token=``.

    Off with the query-string setting (400), refused when given twice (400), and
    answered with no-store and no-referrer headers (``QueryCredentialMiddleware``).
    """

    method = "token_query"
    query_parameter = "token"
    challenge = bearer_challenge()

    def _verify(self, value: str, client: ClientInfo) -> VerifiedToken:
        # A service token is base64, not a prefixed tokenward token: its own parser
        # checks the shape before anything reads the database.
        return verify_service_token(value, client)

"""JWT access tokens (TargetData): claims, signing and the strict verification of RFC 8725.

Verification pins RS256, finds the key only by our own ``kid`` (``jku``, ``jwk`` and
``x5u`` headers are never read, no key is ever fetched), requires every claim tokenward
sets, checks ``typ``, and allows at most ``LEEWAY_SECONDS`` of clock skew.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt

from tokenward.credentials.jwt_keys import ALGORITHM, find_key, key_ring

ISSUER = "tokenward"
AUDIENCE = "tokenward-api"
TYPE = "at+jwt"  # RFC 9068: in the header, and (as TargetData clients read it) in the claims
LIFETIME_SECONDS = 3600
LEEWAY_SECONDS = 60
REQUIRED = ["exp", "iat", "iss", "aud", "sub", "jti", "sid", "typ"]


class AccessTokenError(ValueError):
    """The JWT cannot be accepted; ``expired`` tells an expired one from a bad one."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


@dataclass(frozen=True)
class AccessClaims:
    """What a verified access token says: whose it is, and from which offline token."""

    subject: str
    session_id: str  # the offline token's session id (``sid``)
    token_id: str  # ``jti``
    expires_at: int


def looks_like_jwt(value: str) -> bool:
    """Return True if ``value`` has a JWS compact shape: a JSON header ("eyJ" is ``{"``
    in base64url) and three dot-separated parts."""
    return value.startswith("eyJ") and value.count(".") == 2


def mint_access_token(subject: str, session_id: str, now: float | None = None) -> tuple[str, int]:
    """Return a signed access token for ``subject`` from offline session ``session_id``,
    and its ``exp``."""
    issued = int(time.time() if now is None else now)
    key = key_ring().signing
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": subject,
        "iat": issued,
        "exp": issued + LIFETIME_SECONDS,
        "jti": secrets.token_hex(16),
        "typ": TYPE,
        "sid": session_id,
    }
    headers = {"kid": key.kid, "typ": TYPE}
    return jwt.encode(claims, key.private, algorithm=ALGORITHM, headers=headers), claims["exp"]


def decode_access_token(value: str) -> AccessClaims:
    """Return the claims of the access token ``value``. Raise ``AccessTokenError`` unless
    it is ours, unaltered, meant for this API and current."""
    header = _header(value)
    kid = header.get("kid")
    if header.get("alg") != ALGORITHM or header.get("typ") != TYPE or not isinstance(kid, str):
        raise AccessTokenError("The access token is not one this server issues.")
    key = find_key(kid)
    if key is None:
        raise AccessTokenError("The access token is not one this server issues.")
    try:
        claims = jwt.decode(
            value,
            key.public,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            leeway=LEEWAY_SECONDS,
            options={"require": REQUIRED, "strict_aud": True},
        )
    except jwt.ExpiredSignatureError:
        raise AccessTokenError("The access token expired", expired=True) from None
    except jwt.InvalidTokenError:
        raise AccessTokenError("The access token is invalid.") from None
    if claims["typ"] != TYPE or not isinstance(claims["sub"], str):
        raise AccessTokenError("The access token is invalid.")
    if not isinstance(claims["sid"], str) or not isinstance(claims["jti"], str):
        raise AccessTokenError("The access token is invalid.")
    return AccessClaims(claims["sub"], claims["sid"], claims["jti"], claims["exp"])


def check_unexpired(expires_at: float, now: float | None = None) -> None:
    """Raise ``AccessTokenError`` (expired) if a token with this ``exp`` is past, with the
    same leeway as ``decode_access_token``: for a token decoded earlier and held since."""
    if expires_at <= (time.time() if now is None else now) - LEEWAY_SECONDS:
        raise AccessTokenError("The access token expired", expired=True)


def _header(value: str) -> dict[str, Any]:
    """Return the JOSE header of ``value``, unverified, only to choose the key.

    ``jwt.decode`` parses and checks every segment strictly (and the signature covers
    this one); PyJWT's own ``get_unverified_header`` would check it twice.
    """
    segment = value.partition(".")[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, binascii.Error, RecursionError):
        raise AccessTokenError("The access token is not a well-formed JWT.") from None
    if not isinstance(header, dict):
        raise AccessTokenError("The access token is not a well-formed JWT.")
    return header

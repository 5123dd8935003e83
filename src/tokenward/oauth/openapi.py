"""OpenAPI entries for the token endpoints that answer RFC 6749 bodies of their own.

``/oauth/*`` (DOT's views) and ``/auth/*`` (TargetData's, ``CookielessView``) build their
replies themselves, so drf-spectacular cannot describe them and skips them. A postprocessing
hook adds them to the schema, so that clients and schemathesis see every credential endpoint.
"""

from __future__ import annotations

from typing import Any

FORM = "application/x-www-form-urlencoded"
TAG = "token endpoints"
NO_AUTH: list[dict[str, list[str]]] = [{}]
CLIENT_AUTH = [{"oauthClientBasic": []}, {}]


def _form(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema = {"type": "object", "properties": properties, "required": required}
    return {"required": True, "content": {FORM: {"schema": schema}}}


def _json(description: str, ref: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


def _text(description: str) -> dict[str, Any]:
    return {"type": "string", "description": description}


COMPONENTS: dict[str, Any] = {
    "OAuthError": {
        "type": "object",
        "description": "An RFC 6749 §5.2 error.",
        "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
        "required": ["error"],
    },
    "OfflineTokenReply": {
        "type": "object",
        "properties": {
            "access_token": _text("A JWT (RS256), valid for expires_in seconds."),
            "expires_in": {"type": "integer", "enum": [3600]},
            "refresh_expires_in": {"type": "integer", "enum": [0]},
            "refresh_token": _text("The offline token sent; it never expires."),
            "token_type": {"type": "string", "enum": ["Bearer"]},
            "session_state": {"type": "string", "format": "uuid"},
            "scope": {"type": "string"},
        },
        "required": [
            "access_token",
            "expires_in",
            "refresh_expires_in",
            "refresh_token",
            "token_type",
            "session_state",
            "scope",
        ],
    },
    "OAuthTokenReply": {
        "type": "object",
        "properties": {
            "access_token": _text("twa_…, valid for expires_in seconds."),
            "expires_in": {"type": "integer"},
            "token_type": {"type": "string", "enum": ["Bearer"]},
            "scope": {"type": "string"},
            "refresh_token": _text("twr_…; rotated on every use."),
        },
        "required": ["access_token", "expires_in", "token_type", "scope"],
    },
    "Introspection": {
        "type": "object",
        "description": 'RFC 7662; an inactive token is exactly {"active": false}.',
        "properties": {
            "active": {"type": "boolean"},
            "scope": {"type": "string"},
            "exp": {"type": "integer"},
            "client_id": {"type": "string"},
            "username": {"type": "string"},
        },
        "required": ["active"],
    },
    "JWKS": {
        "type": "object",
        "description": "RFC 7517: the public keys that verify access tokens.",
        "properties": {"keys": {"type": "array", "items": {"type": "object"}}},
        "required": ["keys"],
    },
}

OAUTH_ERROR = _json("An RFC 6749 §5.2 error.", "OAuthError")

PATHS: dict[str, Any] = {
    "/auth/token": {
        "post": {
            "operationId": "offline_token_exchange",
            "summary": "Trade an offline refresh token (two_…) for a one-hour JWT access token.",
            "tags": [TAG],
            "security": NO_AUTH,
            "requestBody": _form(
                {
                    "refresh_token": {**_text("The offline token, two_…"), "minLength": 1},
                    "grant_type": {"type": "string", "enum": ["refresh_token"]},
                },
                ["refresh_token"],
            ),
            "responses": {
                "200": _json("The access token; not cached.", "OfflineTokenReply"),
                "400": OAUTH_ERROR,
            },
        }
    },
    "/auth/jwks.json": {
        "get": {
            "operationId": "access_token_keys",
            "summary": "The public keys that verify JWT access tokens.",
            "tags": [TAG],
            "security": NO_AUTH,
            "responses": {"200": _json("The key set.", "JWKS")},
        }
    },
    "/oauth/token/": {
        "post": {
            "operationId": "oauth_token",
            "summary": "OAuth2 token endpoint: authorization code (PKCE) or refresh token.",
            "tags": [TAG],
            "security": CLIENT_AUTH,
            "requestBody": _form(
                {
                    "grant_type": {
                        "type": "string",
                        "enum": ["authorization_code", "refresh_token"],
                    },
                    "code": _text("authorization_code: the code from the redirect."),
                    "redirect_uri": _text("authorization_code: as in the authorization."),
                    "code_verifier": _text("authorization_code: the PKCE verifier."),
                    "refresh_token": _text("refresh_token: twr_…, used once."),
                    "scope": _text("refresh_token: a narrower scope, optional."),
                    "client_id": _text("Public clients; confidential ones use Basic."),
                    "client_secret": _text("Confidential clients not using Basic."),
                },
                ["grant_type"],
            ),
            "responses": {
                "200": _json("A new pair; not cached.", "OAuthTokenReply"),
                "400": OAUTH_ERROR,
                "401": OAUTH_ERROR,
            },
        }
    },
    "/oauth/revoke_token/": {
        "post": {
            "operationId": "oauth_revoke",
            "summary": "RFC 7009 revocation: unknown tokens are answered 200 too.",
            "tags": [TAG],
            "security": CLIENT_AUTH,
            "requestBody": _form(
                {
                    "token": _text("The access or refresh token."),
                    "token_type_hint": {
                        "type": "string",
                        "enum": ["access_token", "refresh_token"],
                    },
                    "client_id": _text("Public clients."),
                    "client_secret": _text("Confidential clients not using Basic."),
                },
                ["token"],
            ),
            "responses": {
                "200": {"description": "Revoked, or nothing to revoke."},
                "400": OAUTH_ERROR,
                "401": OAUTH_ERROR,
            },
        }
    },
    "/oauth/introspect/": {
        "post": {
            "operationId": "oauth_introspect",
            "summary": "RFC 7662 introspection, for authenticated clients only.",
            "tags": [TAG],
            "security": [{"oauthClientBasic": []}],
            "requestBody": _form({"token": _text("The token to look at.")}, ["token"]),
            "responses": {
                "200": _json("What the token is, if active.", "Introspection"),
                "400": OAUTH_ERROR,  # a NUL character anywhere (``web.nul_bytes``)
                "401": OAUTH_ERROR,
            },
        }
    },
}


def add_token_endpoints(result: dict[str, Any], generator: Any, request: Any, public: bool):
    """drf-spectacular postprocessing hook: add the token endpoints and their schemas."""
    result.setdefault("paths", {}).update(PATHS)
    components = result.setdefault("components", {})
    components.setdefault("schemas", {}).update(COMPONENTS)
    components.setdefault("securitySchemes", {})["oauthClientBasic"] = {
        "type": "http",
        "scheme": "basic",
        "description": "An OAuth2 client's id and secret (RFC 6749 §2.3.1).",
    }
    return result

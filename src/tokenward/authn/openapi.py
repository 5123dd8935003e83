"""How the OpenAPI schema describes the authentication pipeline's schemes."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension

PAT_DESCRIPTION = "A personal access token, twp_…"
SCHEMES: dict[str, dict[str, str]] = {
    "basicAuth": {"type": "http", "scheme": "basic"},
    "bearerAuth": {"type": "http", "scheme": "bearer", "description": PAT_DESCRIPTION},
    "tokenAuth": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "'Token twp_…' (TrialGrid).",
    },
    "accessKeyAuth": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Auth-AccessKey",
        "description": PAT_DESCRIPTION + " (Tuleap).",
    },
    "accessTokenQuery": {
        "type": "apiKey",
        "in": "query",
        "name": "access_token",
        "description": PAT_DESCRIPTION + " (Targetprocess). Replies are not cached.",
    },
    "serviceTokenQuery": {
        "type": "apiKey",
        "in": "query",
        "name": "token",
        "description": "A Targetprocess service token from /api/v1/Authentication.",
    },
    "tuleapToken": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Auth-Token",
        "description": "A 24-hour token from POST /api/tokens, with X-Auth-UserId (Tuleap).",
    },
    "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "sessionid"},
}


class PipelineAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "tokenward.authn.pipeline.PipelineAuthentication"
    name = list(SCHEMES)

    def get_security_definition(self, auto_schema: Any) -> list[dict[str, str]]:
        return list(SCHEMES.values())

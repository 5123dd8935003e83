"""How the OpenAPI schema describes the authentication pipeline's schemes."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class PipelineAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "tokenward.authn.pipeline.PipelineAuthentication"
    name = ["basicAuth", "cookieAuth"]

    def get_security_definition(self, auto_schema: Any) -> list[dict[str, str]]:
        return [
            {"type": "http", "scheme": "basic"},
            {"type": "apiKey", "in": "cookie", "name": "sessionid"},
        ]

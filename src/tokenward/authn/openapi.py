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
    "tuleapUserId": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Auth-UserId",
        "description": "The id of the user a 24-hour X-Auth-Token belongs to (Tuleap).",
    },
    "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "sessionid"},
}


class PipelineAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "tokenward.authn.pipeline.PipelineAuthentication"
    name = list(SCHEMES)

    def get_security_requirement(self, auto_schema: Any) -> list[dict[str, list[str]]]:
        """Any one scheme will do (a list of alternatives), never all at once: two
        credentials in one request are refused. Tuleap's token needs its user id too.
        Where the view's permissions let anonymous callers in (public projects), none."""
        alternatives = [
            {"tuleapToken": [], "tuleapUserId": []} if name == "tuleapToken" else {name: []}
            for name in SCHEMES
            if name != "tuleapUserId"
        ]
        if any(
            auto_schema.method in getattr(permission, "anonymous_methods", ())
            for permission in auto_schema.view.get_permissions()
        ):
            alternatives.append({})
        return alternatives

    def get_security_definition(self, auto_schema: Any) -> list[dict[str, str]]:
        return list(SCHEMES.values())


ERROR_COMPONENT = "Error"
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every error body; a validation error adds ``errors`` by field.",
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {}},
    },
    "required": ["code", "detail"],
}
_ERROR_CONTENT = {
    media: {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}
    for media in ("application/json", "application/xml")
}
_HEADER = {"schema": {"type": "string"}, "required": True}
REFUSALS: dict[str, dict[str, Any]] = {
    "400": {"description": "Malformed, invalid, or more than one credential."},
    "401": {
        "description": "No credential, or one that is not valid; the header names the schemes.",
        "headers": {"WWW-Authenticate": _HEADER},
    },
    "403": {"description": "Authenticated, but not allowed."},
    "404": {
        "description": "No such object (or one the caller may not read), or an unknown format."
    },
    "415": {"description": "A request body of a media type the operation does not read."},
    "429": {
        "description": "Too many failed passwords; try again later.",
        "headers": {"Retry-After": _HEADER},
    },
}


def document_refusals(result: dict[str, Any], generator: Any, request: Any, public: bool):
    """drf-spectacular postprocessing hook: give every API operation the refusals it can answer.

    Every DRF view runs the credential pipeline (400 for two credentials, 401, 403, 429 for
    too many failed passwords), takes ``?format=`` (404 when unknown) and validates its
    body (400, 415). drf-spectacular lists only the success replies of most views.
    ``fields=`` may select any subset of a reply, so no property of one is required there.
    An empty ``?format=``, like any empty optional query parameter, is one not sent.
    """
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault(ERROR_COMPONENT, ERROR_SCHEMA)
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, reply in REFUSALS.items():
                if status == "415" and "requestBody" not in operation:
                    continue
                responses.setdefault(status, {**reply, "content": _ERROR_CONTENT})
            names = {p.get("name"): p for p in operation.get("parameters", [])}
            for parameter in names.values():
                if parameter.get("in") == "query" and not parameter.get("required"):
                    _empty_is_absent(parameter)
            if "fields" in names:
                _optional_properties(responses, components)
    return result


def _empty_is_absent(parameter: dict[str, Any]) -> None:
    """DRF reads an empty optional query parameter as one not sent: say so."""
    schema = parameter.get("schema", {})
    if schema.get("type") == "integer":
        parameter["schema"] = {"anyOf": [schema, {"type": "string", "maxLength": 0}]}
    if schema.get("type") != "string":
        return
    schema.pop("minLength", None)
    if "enum" in schema:
        if "" not in schema["enum"]:
            schema["enum"].append("")
    elif "format" in schema or "pattern" in schema:
        parameter["schema"] = {"anyOf": [schema, {"type": "string", "maxLength": 0}]}


def _optional_properties(responses: dict[str, Any], components: dict[str, Any]) -> None:
    seen: set[str] = set()
    pending = [reply for status, reply in responses.items() if status.startswith("2")]
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
        elif isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[1]
                if name not in seen and name in components:
                    seen.add(name)
                    pending.append(components[name])
            if "properties" in node:
                node.pop("required", None)
            pending.extend(v for k, v in node.items() if k != "$ref")

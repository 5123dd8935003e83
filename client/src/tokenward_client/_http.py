"""Reading the server's replies: JSON objects with required fields, and error bodies.

One place decides what a usable answer is, so every helper fails the same clear way.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from tokenward_client.errors import InvalidResponseError, RefusedError

MASK = "***"


def redact(text: str, secrets: tuple[str | None, ...]) -> str:
    """Return ``text`` with every non-empty secret replaced by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text


def mask(secret: str | None) -> str:
    """Show a secret in a repr: its kind (a ``tw?_`` prefix) at most, never its value."""
    if not secret:
        return repr(secret)
    prefix, sep, _rest = secret.partition("_")
    if sep and len(prefix) <= 4 and prefix.isalpha():
        return f"'{prefix}_{MASK}'"
    return f"'{MASK}'"


def json_object(response: httpx.Response, what: str) -> dict[str, Any]:
    """Return the reply's JSON object, or raise ``InvalidResponseError``."""
    try:
        body = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        kind = response.headers.get("content-type", "no content type")
        raise InvalidResponseError(
            f"{what}: expected a JSON object, got HTTP {response.status_code} ({kind})",
            status_code=response.status_code,
        )
    return body


def required_str(body: dict[str, Any], field: str, what: str, status_code: int) -> str:
    """Return ``body[field]`` if it is a non-empty string, else raise ``InvalidResponseError``."""
    value = body.get(field)
    if not isinstance(value, str) or not value:
        raise InvalidResponseError(
            f"{what}: the reply has no {field!r} string", status_code=status_code
        )
    return value


def refusal(
    response: httpx.Response,
    what: str,
    secrets: tuple[str | None, ...] = (),
    error_class: type[RefusedError] = RefusedError,
) -> RefusedError:
    """Build the exception for a refused request from its error body.

    Understands RFC 6749 §5.2 bodies (``error``, ``error_description``) and the API's
    (``code``, ``detail``); anything else still gives the status code.
    """
    try:
        body = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        body = None
    error, description = "", ""
    if isinstance(body, dict):
        error = body.get("error") or body.get("code") or ""
        description = body.get("error_description") or body.get("detail") or ""
        if not isinstance(error, str):
            error = ""
        if not isinstance(description, str):
            description = json.dumps(description)
    return error_class(
        what,
        status_code=response.status_code,
        error=redact(error or "http_error", secrets),
        error_description=redact(description, secrets)[:500],
    )

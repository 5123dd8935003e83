"""Error codes clients can rely on, defined once, and the domain exception that carries them."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """Stable machine-readable reasons, sent as ``code`` in every error body."""

    NOT_AUTHENTICATED = "not_authenticated"
    INVALID_CREDENTIALS = "invalid_credentials"
    INVALID_REQUEST = "invalid_request"
    INVALID_TOKEN = "invalid_token"
    MALFORMED_TOKEN = "malformed_token"
    TOKEN_EXPIRED = "token_expired"
    TOKEN_REVOKED = "token_revoked"
    TOKEN_NOT_LIVE = "token_not_live"  # revoked or expired: it cannot be rotated
    INSUFFICIENT_SCOPE = "insufficient_scope"
    INACTIVE_USER = "inactive_user"
    API_ACCESS_DENIED = "api_access_denied"
    PASSWORD_NOT_SET = "password_not_set"
    BASIC_DISABLED = "basic_disabled"
    API_TOKENS_DISABLED = "api_tokens_disabled"
    SESSION_ENDED = "session_ended"
    STEP_UP_REQUIRED = "step_up_required"  # a session must confirm the password first
    CREDENTIAL_CANNOT_ISSUE = "credential_cannot_issue"  # delegated, short-lived, or not its own
    PERMISSION_DENIED = "permission_denied"
    NOT_FOUND = "not_found"
    INVALID = "invalid"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    NOT_ACCEPTABLE = "not_acceptable"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    PARSE_ERROR = "parse_error"
    THROTTLED = "throttled"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    SERVICE_UNAVAILABLE = "service_unavailable"


class CredentialError(Exception):
    """A credential was presented and cannot be accepted; becomes a 401 (or 400) response."""

    status_code = 401

    def __init__(self, code: ErrorCode, detail: str, *, status_code: int | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        if status_code is not None:
            self.status_code = status_code


class AccessDeniedError(CredentialError):
    """The account behind valid credentials may not use the API at all."""

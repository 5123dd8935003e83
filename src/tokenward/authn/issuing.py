"""Who may issue or change a credential, given how the request was authenticated.

One rule for every door (the token API, Targetprocess's ``Authentication``, OAuth2
application registration, the password API, the token and administration pages):

- a password presented with the request may issue anything its owner may: Basic here,
  and the endpoints that take a login and password in the body (TrialGrid's
  ``api-token-auth``, Tuleap's ``/api/tokens``), which take no other credential;
- a session cookie may, once its local user has confirmed the password within
  ``STEP_UP_SECONDS`` (a log-in through the form counts); single sign-on users are never
  asked, since they have no password here and their proxy vouches for every request;
- a delegated or short-lived credential (an OAuth2 access token, a JWT access token, a
  Tuleap 24-hour token) issues nothing: what it mints would outlive it;
- a personal access token or a service token may rotate itself, obtain a service token
  and (an administrator's) set a password, but may not create a personal token, an
  offline token or an OAuth2 application.

The proof of a confirmation is a timestamp in the session.
"""

from __future__ import annotations

import time
from collections.abc import MutableMapping
from enum import StrEnum
from typing import Any

from rest_framework import exceptions
from rest_framework.request import Request

from tokenward.accounts.models import User
from tokenward.authn.base import AuthInfo
from tokenward.conf import setting
from tokenward.errors import ErrorCode

SESSION_KEY = "tokenward_step_up"
CONFIRM_PAGE = "/profile/confirm-password/"

BASIC_METHOD = "basic"  # the password itself, on every request
SESSION_METHOD = "session"
# Kinds (as ``AuthInfo.credential_id`` names them) that are lasting and the owner's own.
LASTING_KINDS = frozenset({"personal_token", "service_token"})


class Issuing(StrEnum):
    """What a door is about to issue or change."""

    # The values name actions, not secrets (S105).
    PERSONAL_TOKEN = "personal_token"  # noqa: S105
    ROTATION = "rotation"
    SERVICE_TOKEN = "service_token"  # noqa: S105
    OFFLINE_TOKEN = "offline_token"  # noqa: S105
    OAUTH_APPLICATION = "oauth_application"
    PASSWORD = "password"  # noqa: S105


# What a lasting token may do itself; a rotation only of the token presented. An
# administrator's automation sets passwords through the API with one, as it always has.
_BY_LASTING_TOKEN = frozenset({Issuing.ROTATION, Issuing.SERVICE_TOKEN, Issuing.PASSWORD})


class IssuingRefusedError(Exception):
    """The request's credential may not issue this; a 403 with ``code`` and ``detail``."""

    status_code = 403

    def __init__(self, code: ErrorCode, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def needs_step_up(user: User) -> bool:
    """Return True if ``user`` confirms a password before issuing by session: local accounts."""
    return not user.is_sso


def has_fresh_proof(session: MutableMapping[str, Any] | None, user: User) -> bool:
    """Return True if ``user`` confirmed their password in ``session`` within the window."""
    proof = session.get(SESSION_KEY) if session is not None else None
    if not isinstance(proof, dict) or proof.get("user") != str(user.pk):
        return False
    at = proof.get("at")
    if isinstance(at, bool) or not isinstance(at, int | float):
        return False
    # A proof from the future (a clock set back) is no proof.
    return 0 <= time.time() - at < setting("STEP_UP_SECONDS")


def record_proof(session: MutableMapping[str, Any], user: User) -> None:
    """Remember in ``session`` that ``user`` has just confirmed their password."""
    session[SESSION_KEY] = {"user": str(user.pk), "at": time.time()}


def check_may_issue(
    action: Issuing,
    user: User,
    *,
    method: str,
    credential_id: str | None = None,
    session: MutableMapping[str, Any] | None = None,
    token_id: int | None = None,
) -> None:
    """Raise ``IssuingRefusedError`` unless a request authenticated so may do ``action``.

    ``method`` is the transport (``AuthInfo.method``; ``session`` for the pages),
    ``credential_id`` the ``kind:id`` of the token presented, ``session`` the request's
    session, and ``token_id`` the personal token a rotation replaces.
    """
    if method == BASIC_METHOD:
        return
    if method == SESSION_METHOD and credential_id is None:
        if needs_step_up(user) and not has_fresh_proof(session, user):
            raise IssuingRefusedError(
                ErrorCode.STEP_UP_REQUIRED,
                f"Confirm your password at {CONFIRM_PAGE} first, then do it again: "
                "nothing was changed.",
            )
        return
    kind, _, presented_id = (credential_id or "").partition(":")
    if kind in LASTING_KINDS and action in _BY_LASTING_TOKEN:
        if action is not Issuing.ROTATION:
            return
        if kind == "personal_token" and presented_id == str(token_id):
            return
    raise IssuingRefusedError(ErrorCode.CREDENTIAL_CANNOT_ISSUE, _refusal(kind, action))


def _refusal(kind: str, action: Issuing) -> str:
    if kind in LASTING_KINDS:
        if action is Issuing.ROTATION:
            return "A token can rotate only itself; use your password to rotate another."
        return (
            "A token cannot create a lasting credential; "
            "use your password or the Access Tokens page."
        )
    return (
        "A delegated or short-lived credential (an OAuth2 or JWT access token, a 24-hour "
        "token) cannot issue credentials; use your password."
    )


class IssuingRefused(exceptions.PermissionDenied):
    """DRF's face of an ``IssuingRefusedError``: 403 with its code and sentence."""

    def __init__(self, error: IssuingRefusedError) -> None:
        super().__init__(detail=error.detail, code=str(error.code))


def check_request_may_issue(
    request: Request, action: Issuing, *, token_id: int | None = None
) -> None:
    """Raise ``IssuingRefused`` (403) unless this API request may do ``action``.

    Reads how the pipeline authenticated it (``request.auth``); anything else is refused.
    """
    auth = request.auth
    if not isinstance(auth, AuthInfo):
        auth = AuthInfo(method="unknown")
    try:
        check_may_issue(
            action,
            request.user,
            method=auth.method,
            credential_id=auth.credential_id,
            session=getattr(request._request, "session", None),
            token_id=token_id,
        )
    except IssuingRefusedError as error:
        raise IssuingRefused(error) from None

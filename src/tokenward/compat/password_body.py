"""A login and password in a request body, as Tuleap's and TrialGrid's token endpoints take them.

One place checks them, so the endpoints that trade a password for a token refuse alike (and
a limit on failed attempts has one place to live).
"""

from __future__ import annotations

from django.contrib.auth import authenticate
from rest_framework import serializers
from rest_framework.request import Request

from tokenward.accounts import lockout
from tokenward.accounts.models import User
from tokenward.authn.base import TooManyAttemptsFailed
from tokenward.authn.client import client_info
from tokenward.tokens.serializers import StrictCharField


class PasswordLoginSerializer(serializers.Serializer):
    username = StrictCharField(max_length=150, trim_whitespace=False)
    password = StrictCharField(max_length=4096, trim_whitespace=False)


def user_from_body(request: Request, method: str) -> User | None:
    """Return the user whose login and password the body holds, else None for any refusal.

    Raise a validation error for a missing or malformed field, and ``TooManyAttemptsFailed``
    (429) while the login or the client address is locked out (``accounts.lockout``), before
    any hashing. Unknown logins cost a password hash too (Django's ModelBackend), so timing
    does not tell them from wrong passwords; they count towards the lockout alike.
    ``method`` names the endpoint in the audit log.
    """
    body = PasswordLoginSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    login = body.validated_data["username"]
    client = client_info(request, method, with_origin=False)
    try:
        lockout.enforce(login, client)
    except lockout.LockedOut as locked:
        raise TooManyAttemptsFailed(locked.detail, locked.retry_after) from None
    user = authenticate(request._request, username=login, password=body.validated_data["password"])
    if user is None:
        lockout.record_failure(login, client.address)
        return None
    lockout.reset(login, client.address)
    return user

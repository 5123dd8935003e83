"""A login and password in a request body, as Tuleap's and TrialGrid's token endpoints take them.

One place checks them, so the endpoints that trade a password for a token refuse alike (and
a limit on failed attempts has one place to live).
"""

from __future__ import annotations

from django.contrib.auth import authenticate
from rest_framework import serializers
from rest_framework.request import Request

from tokenward.accounts.models import User
from tokenward.tokens.serializers import StrictCharField


class PasswordLoginSerializer(serializers.Serializer):
    username = StrictCharField(max_length=150, trim_whitespace=False)
    password = StrictCharField(max_length=4096, trim_whitespace=False)


def user_from_body(request: Request) -> User | None:
    """Return the user whose login and password the body holds, else None for any refusal.

    Raise a validation error for a missing or malformed field. Unknown logins cost a password
    hash too (Django's ModelBackend), so timing does not tell them from wrong passwords.
    """
    body = PasswordLoginSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    return authenticate(
        request._request,
        username=body.validated_data["username"],
        password=body.validated_data["password"],
    )

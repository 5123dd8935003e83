"""The user, the credentials and the requests that `make bench` times (after django.setup())."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from knox.models import AuthToken
from rest_framework.authtoken.models import Token

from tokenward.accounts.models import User
from tokenward.accounts.services import create_user
from tokenward.audit.services import ClientInfo
from tokenward.tokens.personal import issue_personal_token


@dataclass(frozen=True)
class Variant:
    """One way of sending the same request, and the user the endpoint must answer with.

    ``reference`` marks a tokenward token as deployed (cache on): the rows the targets are
    about. ``context`` is entered around each batch of this variant.
    """

    label: str
    path: str
    environ: dict[str, str] = field(default_factory=dict)
    user: int | None = None
    reference: bool = False
    context: Callable[[], AbstractContextManager[object]] = nullcontext


def _without_verified_cache() -> AbstractContextManager[object]:
    # Entering and leaving both clear the verified-token cache (setting_changed), so the
    # next tokenward batch starts with one read: one request in a batch, not the median.
    return override_settings(TOKENWARD={**settings.TOKENWARD, "VERIFIED_TOKEN_CACHE_SECONDS": 0})


def variants() -> list[Variant]:
    """Create a user with one credential of each kind; return the variants, the floor first."""
    user = create_user("bench")
    issued = issue_personal_token(user, name="bench", client=ClientInfo(method="bench"))
    tw = issued.plaintext
    drf = Token.objects.create(user=user).key
    _, knox = AuthToken.objects.create(user)
    return [
        Variant("no authentication (floor)", reverse("floor")),
        *_tokenward_variants(user, tw),
        Variant(
            "DRF TokenAuthentication",
            reverse("drf"),
            {"HTTP_AUTHORIZATION": f"Token {drf}"},
            user.pk,
        ),
        Variant(
            "knox TokenAuthentication",
            reverse("knox"),
            {"HTTP_AUTHORIZATION": f"Token {knox}"},
            user.pk,
        ),
    ]


def _tokenward_variants(user: User, token: str) -> list[Variant]:
    path, bearer = reverse("tokenward"), {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    by_transport = [
        ("Authorization: Bearer", path, bearer),
        ("Authorization: Token", path, {"HTTP_AUTHORIZATION": f"Token {token}"}),
        ("X-Auth-AccessKey", path, {"HTTP_X_AUTH_ACCESSKEY": token}),
        ("?access_token=", f"{path}?{urlencode({'access_token': token})}", {}),
    ]
    return [
        *(
            Variant(f"tokenward, {transport}", url, environ, user.pk, reference=True)
            for transport, url, environ in by_transport
        ),
        Variant(
            "tokenward, Bearer, verified-token cache off (extra)",
            path,
            bearer,
            user.pk,
            context=_without_verified_cache,
        ),
    ]

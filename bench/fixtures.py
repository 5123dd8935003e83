"""The user, the credentials and the requests that `make bench` times (after django.setup())."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.test import Client, override_settings
from django.utils import timezone
from knox.models import AuthToken
from oauth2_provider.models import get_access_token_model, get_application_model, set_token_value
from rest_framework.authtoken.models import Token
from rest_framework_simplejwt.tokens import AccessToken as SimpleJwtAccessToken

from bench.urls import GivenUserAuthentication, bench_url
from tokenward.accounts.models import User
from tokenward.accounts.services import create_user
from tokenward.audit.services import ClientInfo
from tokenward.credentials.format import TokenType, generate
from tokenward.tokens.offline import issue_offline_token, refresh_access_token
from tokenward.tokens.personal import issue_personal_token
from tokenward.tokens.service import service_token_for
from tokenward.tokens.session import issue_session_token

FLOOR, TOKEN, OTHER, PEER, EXTRA = "floor", "token", "other", "peer", "extra"
# The peers each tokenward token credential is held to, and the one Basic is held to.
TOKEN_PEERS = ("drf-token", "knox", "dot", "simplejwt")
BASIC_PEERS = ("drf-basic",)
BENCH = ClientInfo(method="bench")


@dataclass(frozen=True)
class Variant:
    """One way of sending the same request, and the user the endpoint must answer with.

    ``group`` says what the row is: the floor, a tokenward token credential (the rows the
    targets are about), another tokenward credential (Basic, the session), a peer, or an
    extra. ``peers`` names the peers' ``key`` it is compared with. ``context`` is entered
    around each batch of this variant.
    """

    key: str
    label: str
    path: str
    environ: dict[str, str] = field(default_factory=dict)
    user: int | None = None
    group: str = TOKEN
    peers: tuple[str, ...] = ()
    context: Callable[[], AbstractContextManager[object]] = nullcontext


def without_verified_cache() -> AbstractContextManager[object]:
    """Turn the verified-token cache off: every tokenward token verify reads its row."""
    # Entering and leaving both clear the cache (setting_changed), so the next tokenward
    # batch starts with one read: one request in a batch, not the median.
    return override_settings(TOKENWARD={**settings.TOKENWARD, "VERIFIED_TOKEN_CACHE_SECONDS": 0})


def variants(login: str = "bench") -> list[Variant]:
    """Create a user with one credential of each kind; return the variants, the floor first."""
    password = secrets.token_urlsafe(16)
    user = create_user(login, password=password)
    GivenUserAuthentication.user = user
    return [
        Variant("floor", "no authentication (floor)", bench_url("floor"), group=FLOOR),
        Variant(
            "floor-query",
            "no authentication, a query string as long as ?token='s (extra: Django's parse of it)",
            f"{bench_url('floor')}?{urlencode({'q': service_token_for(user)})}",
            group=EXTRA,
        ),
        Variant(
            "given-user",
            "DRF authenticator that does no work (extra: DRF's own cost of a user)",
            bench_url("given-user"),
            user=user.pk,
            group=EXTRA,
        ),
        *_personal(user),
        *_other_tokens(user),
        *_ambient(user, password),
        *_peers(user, password),
    ]


def _personal(user: User) -> list[Variant]:
    token = issue_personal_token(user, name="bench", client=BENCH).plaintext
    path, bearer = bench_url("tokenward"), {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    by_transport = [
        ("pat-bearer", "Authorization: Bearer", path, bearer),
        ("pat-token", "Authorization: Token", path, {"HTTP_AUTHORIZATION": f"Token {token}"}),
        ("pat-accesskey", "X-Auth-AccessKey", path, {"HTTP_X_AUTH_ACCESSKEY": token}),
        ("pat-query", "?access_token=", f"{path}?{urlencode({'access_token': token})}", {}),
    ]
    return [
        *(
            Variant(key, f"tokenward PAT, {transport}", url, env, user.pk, peers=TOKEN_PEERS)
            for key, transport, url, env in by_transport
        ),
        Variant(
            "pat-uncached",
            "tokenward PAT, Bearer, verified-token cache off (extra)",
            path,
            bearer,
            user.pk,
            group=EXTRA,
            peers=TOKEN_PEERS,
            context=without_verified_cache,
        ),
    ]


def _other_tokens(user: User) -> list[Variant]:
    path = bench_url("tokenward")
    service = service_token_for(user)
    tuleap = issue_session_token(user, BENCH).plaintext
    offline = issue_offline_token(user, client=BENCH, name="bench").plaintext
    jwt = refresh_access_token(offline, BENCH).value
    oauth = oauth_access_token(user)
    return [
        Variant(
            "service",
            "tokenward service token, ?token= (Targetprocess)",
            f"{path}?{urlencode({'token': service})}",
            user=user.pk,
            peers=TOKEN_PEERS,
        ),
        Variant(
            "tuleap",
            "tokenward 24-hour token, X-Auth-Token + X-Auth-UserId (Tuleap)",
            path,
            {"HTTP_X_AUTH_TOKEN": tuleap, "HTTP_X_AUTH_USERID": str(user.pk)},
            user.pk,
            peers=TOKEN_PEERS,
        ),
        Variant(
            "jwt",
            "tokenward JWT access token (from an offline token), Bearer",
            path,
            {"HTTP_AUTHORIZATION": f"Bearer {jwt}"},
            user.pk,
            peers=TOKEN_PEERS,
        ),
        Variant(
            "oauth",
            "tokenward OAuth2 access token (twa_), Bearer",
            path,
            {"HTTP_AUTHORIZATION": f"Bearer {oauth}"},
            user.pk,
            peers=TOKEN_PEERS,
        ),
    ]


def _ambient(user: User, password: str) -> list[Variant]:
    browser = Client()
    browser.force_login(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"
    return [
        Variant(
            "basic",
            "tokenward Basic (login:password)",
            bench_url("tokenward"),
            {"HTTP_AUTHORIZATION": basic_header(user.login, password)},
            user.pk,
            group=OTHER,
            peers=BASIC_PEERS,
        ),
        Variant(
            "session",
            "tokenward session cookie (GET)",
            bench_url("tokenward"),
            {"HTTP_COOKIE": cookie},
            user.pk,
            group=OTHER,
        ),
    ]


def _peers(user: User, password: str) -> list[Variant]:
    knox = AuthToken.objects.create(user)[1]
    simplejwt = str(SimpleJwtAccessToken.for_user(user))
    return [
        Variant(
            "drf-token",
            "DRF TokenAuthentication",
            bench_url("drf"),
            {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=user).key}"},
            user.pk,
            group=PEER,
        ),
        Variant(
            "drf-basic",
            "DRF BasicAuthentication",
            bench_url("drf-basic"),
            {"HTTP_AUTHORIZATION": basic_header(user.login, password)},
            user.pk,
            group=PEER,
        ),
        Variant(
            "knox",
            "knox TokenAuthentication",
            bench_url("knox"),
            {"HTTP_AUTHORIZATION": f"Token {knox}"},
            user.pk,
            group=PEER,
        ),
        Variant(
            "dot",
            "django-oauth-toolkit OAuth2Authentication",
            bench_url("dot"),
            {"HTTP_AUTHORIZATION": f"Bearer {oauth_access_token(user)}"},
            user.pk,
            group=PEER,
        ),
        Variant(
            "simplejwt",
            "simplejwt JWTAuthentication (HS256)",
            bench_url("simplejwt"),
            {"HTTP_AUTHORIZATION": f"Bearer {simplejwt}"},
            user.pk,
            group=PEER,
        ),
    ]


def basic_header(login: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()


def oauth_access_token(user: User) -> str:
    """Store an access token for ``user`` as DOT does (checksum only) and return it."""
    application = get_application_model().objects.filter(name="bench").first()
    if application is None:
        application = get_application_model().objects.create(
            name="bench",
            user=user,
            client_type="confidential",
            authorization_grant_type="authorization-code",
            redirect_uris="https://bench.example/callback",
        )
    value = generate(TokenType.OAUTH_ACCESS)
    record = get_access_token_model()(
        user=user,
        application=application,
        expires=timezone.now() + timedelta(hours=2),
        scope="read write",
    )
    set_token_value(record, value)
    record.save()
    return value

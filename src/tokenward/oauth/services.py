"""OAuth2 applications and access tokens: the only tokenward code that reads DOT's rows.

DOT stores tokens as SHA-256 checksums only (``COMPLIANT_BCP_RFC9700_TOKEN_STORAGE``), so an
access token is found by the checksum of the presented value. A verified access token is
kept in the verified-token cache for ``VERIFIED_TOKEN_CACHE_SECONDS`` (1 s): DOT revokes by
deleting the row, so deleting an access token (revocation, refresh-token reuse, a grant
withdrawn) drops its entry at once in this process; another server honours it within the
cache's bound, as for every other token.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_refresh_token_model,
)
from oauth2_provider.signals import app_authorized

from tokenward.accounts.models import User
from tokenward.accounts.signals import credentials_changed
from tokenward.audit.models import Action
from tokenward.audit.services import ClientInfo, record_event
from tokenward.authn.client import client_info
from tokenward.credentials import format as token_format
from tokenward.credentials.format import MalformedTokenError, TokenType
from tokenward.errors import CredentialError, ErrorCode
from tokenward.oauth.models import ProjectApplication
from tokenward.oauth.redirects import RedirectUriError, check_redirect_uri
from tokenward.tokens.refusals import audit_refusal, check_live
from tokenward.tokens.verified import VerifiedToken, verified_tokens
from tokenward.tracker.models import Project

KIND = "oauth_access_token"
REFRESH_KIND = "oauth_refresh_token"
GRANT_KIND = "oauth_grant"
APPLICATION_KIND = "oauth_application"
SYSTEM = ClientInfo(method="system")
METHOD = "oauth_token"
CLIENT_TYPES = ("confidential", "public")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


class ApplicationRequestError(ValueError):
    """A registration request names something wrong; ``field`` says which part."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class ApplicationNotPermittedError(PermissionError):
    """The user may not register or see applications of this project."""


@dataclass(frozen=True)
class RegisteredApplication:
    """A new application and its client secret in plaintext (None for public clients)."""

    application: object
    client_secret: str | None


def may_manage(user: User, project: Project | None) -> bool:
    """Return True if ``user`` may register applications for ``project`` (None: site-wide).

    Site administrators may do so for any project or none; a project's leader (its
    "project administrator") for their project.
    """
    if user.is_administrator:
        return True
    return project is not None and project.leader_id == user.pk


def register_application(
    actor: User,
    *,
    name: str,
    redirect_uris: Sequence[str],
    client_type: str,
    project: Project | None,
    client: ClientInfo,
) -> RegisteredApplication:
    """Register an authorization-code application and return it with its secret, audited.

    Raise ``ApplicationNotPermittedError`` or ``ApplicationRequestError``; nothing is
    written then. A public client gets a random secret too, never shown, so that nobody
    can authenticate as it with an empty one.
    """
    if not may_manage(actor, project):
        raise ApplicationNotPermittedError(
            "Only a site administrator or the project's leader may register applications."
        )
    if client_type not in CLIENT_TYPES:
        raise ApplicationRequestError("client_type", "The client type is confidential or public.")
    name = (name or "").strip()
    if not name or len(name) > 255:
        raise ApplicationRequestError(
            "name", "An application needs a name of at most 255 characters."
        )
    if not redirect_uris:
        raise ApplicationRequestError("redirect_uris", "Name at least one redirect URI.")
    for uri in redirect_uris:
        _check_redirect_uri(uri)
    secret = generate_client_secret()
    application = get_application_model()(
        name=name,
        user=actor,
        client_type=client_type,
        authorization_grant_type="authorization-code",  # the only grant we register
        redirect_uris=" ".join(redirect_uris),
        client_secret=secret,
        hash_client_secret=True,
        algorithm="",
    )
    try:
        application.full_clean(exclude=["client_id", "client_secret"])
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise ApplicationRequestError(field, " ".join(messages)) from None
    with transaction.atomic():
        application.save()
        ProjectApplication.objects.create(
            application=application, project=project, registered_by=actor
        )
        record_event(
            Action.ISSUED,
            credential_kind=APPLICATION_KIND,
            credential_id=application.pk,
            client=client,
            actor=actor,
            subject=actor,
        )
    shown = secret if client_type == "confidential" else None
    return RegisteredApplication(application=application, client_secret=shown)


def _check_redirect_uri(uri: str) -> None:
    """Refuse a redirect URI that a browser may read differently from Python
    (``redirects.check_redirect_uri``), and a plain-HTTP one unless it is a loopback one
    (RFC 8252 §7.3, RFC 9700 §4.1.1): over HTTP anywhere else, an authorization code travels
    readable by the network. Custom schemes and HTTPS are left to DOT's own validation."""
    try:
        check_redirect_uri(uri)
    except RedirectUriError as exc:
        raise ApplicationRequestError("redirect_uris", str(exc)) from None
    try:
        parts = urlsplit(uri)
        host = parts.hostname or ""
    except ValueError:
        raise ApplicationRequestError("redirect_uris", "A redirect URI is malformed.") from None
    if parts.scheme.lower() == "http" and host not in LOOPBACK_HOSTS:
        raise ApplicationRequestError(
            "redirect_uris",
            "A redirect URI over plain http must be a loopback one "
            "(127.0.0.1, [::1] or localhost); use https.",
        )


def applications_for(user: User) -> QuerySet:
    """Return the applications ``user`` manages: all for administrators, else their projects'."""
    apps = get_application_model().objects.select_related("tokenward_link__project")
    if not user.is_administrator:
        apps = apps.filter(Q(tokenward_link__project__leader=user))
    return apps.order_by("id")


def verify_oauth_access_token(value: str, client: ClientInfo) -> VerifiedToken:
    """Return the verified access token ``value``. Raise ``CredentialError`` if unusable.

    A malformed value is refused without a database read. Unknown and revoked tokens are
    both "Invalid token." (DOT deletes revoked access tokens); expiry and the owner's
    state are checked like every other token's.
    """
    key = _cache_key(hashlib.sha256(value.encode()).hexdigest())
    entry = verified_tokens.get(key)  # only ever holds well-formed tokens, parsed below
    if entry is None or entry.kind != KIND:
        try:
            token_format.parse(value, TokenType.OAUTH_ACCESS)
        except MalformedTokenError as exc:
            raise CredentialError(ErrorCode.MALFORMED_TOKEN, f"Malformed token. {exc}") from None
        entry = _read_and_check(key, client)
    else:
        try:
            check_live(entry.expires_at, entry.owner)
        except CredentialError as error:
            verified_tokens.discard(key)
            audit_refusal(KIND, entry.token_id, entry.owner, client, error)
            raise
    return entry.with_private_owner()


def _cache_key(checksum: str) -> str:
    return f"oauth:{checksum}"


def _read_and_check(key: str, client: ClientInfo) -> VerifiedToken:
    checksum = key.removeprefix("oauth:")
    try:
        # get(), not first(): first() adds an ORDER BY that costs more than the lookup.
        record = (
            get_access_token_model()
            .objects.select_related("user")
            .get(token_checksum=checksum, user__isnull=False)
        )
    except ObjectDoesNotExist:
        error = CredentialError(ErrorCode.INVALID_TOKEN, "Invalid token.")
        audit_refusal(KIND, None, None, client, error)
        raise error from None
    try:
        check_live(record.expires, record.user)
    except CredentialError as error:
        audit_refusal(KIND, record.pk, record.user, client, error)
        raise
    entry = VerifiedToken(
        kind=KIND,
        token_id=record.pk,
        owner=record.user,
        scopes=frozenset(record.scope.split()),
        expires_at=record.expires,
        last_use_written_at=None,
    )
    verified_tokens.put(key, entry)
    return entry


def _forget_deleted_access_token(sender: Any, instance: Any, **kwargs: Any) -> None:
    """DOT revokes an access token by deleting its row: drop it from this process's cache."""
    if instance.token_checksum:
        verified_tokens.discard(_cache_key(instance.token_checksum))


post_delete.connect(_forget_deleted_access_token, sender=get_access_token_model())


@dataclass(frozen=True)
class Authorization:
    """An application ``user`` has authorized and that still holds a live token of theirs."""

    application_id: int
    client_id: str
    name: str
    scopes: frozenset[str]
    authorized_at: datetime
    last_refreshed_at: datetime


def authorizations_of(user: User) -> list[Authorization]:
    """Return the applications holding a live access or refresh token of ``user``, by name."""
    now = timezone.now()
    found: dict[int, dict[str, Any]] = {}
    live_access = get_access_token_model().objects.filter(user=user, expires__gt=now)
    live_refresh = get_refresh_token_model().objects.filter(user=user, revoked__isnull=True)
    for rows in (
        live_access.values("application_id", "scope", "created", "updated"),
        live_refresh.values("application_id", "created", "updated"),
    ):
        for row in rows:
            entry = found.setdefault(
                row["application_id"],
                {"scopes": set(), "first": row["created"], "last": row["updated"]},
            )
            entry["scopes"].update((row.get("scope") or "").split())
            entry["first"] = min(entry["first"], row["created"])
            entry["last"] = max(entry["last"], row["updated"])
    applications = get_application_model().objects.filter(pk__in=found).only("client_id", "name")
    return sorted(
        (
            Authorization(
                application_id=app.pk,
                client_id=app.client_id,
                name=app.name,
                scopes=frozenset(found[app.pk]["scopes"]),
                authorized_at=found[app.pk]["first"],
                last_refreshed_at=found[app.pk]["last"],
            )
            for app in applications
        ),
        key=lambda authorization: (authorization.name.lower(), authorization.application_id),
    )


def revoke_authorization(
    user: User,
    *,
    application_id: int | None,
    by: User | None,
    client: ClientInfo,
    reason: str = "",
) -> int:
    """Revoke every token ``user`` granted one application (None: every application).

    Refresh tokens are marked revoked and their access tokens deleted, the way DOT revokes;
    access tokens without a refresh token are deleted. Audited per application. Return how
    many tokens ended.
    """
    refresh_model = get_refresh_token_model()
    access_model = get_access_token_model()
    with transaction.atomic():
        refresh = refresh_model.objects.select_for_update().filter(user=user, revoked__isnull=True)
        access = access_model.objects.filter(user=user)
        if application_id is not None:
            refresh = refresh.filter(application_id=application_id)
            access = access.filter(application_id=application_id)
        rows = list(refresh.values_list("pk", "application_id"))
        applications = {app for _pk, app in rows}
        applications.update(access.values_list("application_id", flat=True).distinct())
        revoked = refresh_model.objects.filter(pk__in=[pk for pk, _app in rows]).update(
            revoked=timezone.now(), access_token=None
        )
        deleted, _ = access.delete()
        for app in sorted(a for a in applications if a is not None):
            record_event(
                Action.REVOKED,
                credential_kind=GRANT_KIND,
                credential_id=app,
                client=client,
                actor=by,
                subject=user,
                reason=reason[:40],
            )
    return revoked + deleted


@receiver(credentials_changed)
def revoke_grants_of_new_password(
    sender: type[User], user: User, reasons: frozenset[str], **kwargs: Any
) -> None:
    """A new password revokes every application's tokens (security check 12)."""
    if "password" in reasons:
        revoke_authorization(user, application_id=None, by=None, client=SYSTEM, reason="password")


@dataclass(frozen=True)
class LiveToken:
    """Which live OAuth2 token a presented value is: kind, row id and owner."""

    kind: str
    token_id: int
    owner: User


def live_token(value: str) -> LiveToken | None:
    """Return the live access or unrevoked refresh token ``value`` is, else None."""
    checksum = hashlib.sha256(value.encode()).hexdigest()
    access = (
        get_access_token_model()
        .objects.select_related("user")
        .filter(token_checksum=checksum, user__isnull=False)
        .first()
    )
    if access is not None:
        return LiveToken(KIND, access.pk, access.user)
    refresh = (
        get_refresh_token_model()
        .objects.select_related("user")
        .filter(token_checksum=checksum, revoked__isnull=True)
        .first()
    )
    return None if refresh is None else LiveToken(REFRESH_KIND, refresh.pk, refresh.user)


def revoke_oauth_token(value: str, *, client: ClientInfo, reason: str) -> LiveToken | None:
    """Revoke the live token ``value`` (an unexpired access token or an unrevoked refresh
    token) the way DOT does, audited with ``reason``; return which it was.

    Return None if ``value`` is no live token of ours; nothing changes then. A refresh
    token's revocation deletes its access token too (DOT's ``RefreshToken.revoke``).
    """
    checksum = hashlib.sha256(value.encode()).hexdigest()
    with transaction.atomic():
        # Locked: of two reports of one token, one revokes it and the other finds it gone.
        access = (
            get_access_token_model()
            .objects.select_for_update()
            .select_related("user")
            .filter(token_checksum=checksum, user__isnull=False, expires__gt=timezone.now())
            .first()
        )
        refresh = None
        if access is None:
            refresh = (
                get_refresh_token_model()
                .objects.select_for_update()
                .select_related("user")
                .filter(token_checksum=checksum, revoked__isnull=True)
                .first()
            )
            if refresh is None:
                return None
        row = access or refresh
        token = LiveToken(KIND if access else REFRESH_KIND, row.pk, row.user)
        row.revoke()  # deleting an access token drops its cache entry (post_delete)
        record_token_revoked(token, client, reason=reason[:40])
    return token


def record_token_revoked(token: LiveToken, client: ClientInfo, *, reason: str = "client") -> None:
    """Audit a revoked token: by its client at the RFC 7009 endpoint, unless ``reason`` says
    otherwise (``leaked``)."""
    record_event(
        Action.REVOKED,
        credential_kind=token.kind,
        credential_id=token.token_id,
        client=client,
        subject=token.owner,
        reason=reason,
    )


# The credential each grant type presents at the token endpoint, as the audit log names it.
GRANT_KINDS = {
    "authorization_code": "oauth_authorization_code",
    "refresh_token": REFRESH_KIND,
    "client_credentials": "oauth_client",
}


def record_token_refused(grant_type: str, error: str, client: ClientInfo) -> None:
    """Audit a refused request at the token endpoint: the grant's kind and the RFC 6749
    error, never the code, token or secret it carried."""
    record_event(
        Action.FAILED,
        credential_kind=GRANT_KINDS.get(grant_type, "oauth_grant"),
        client=client,
        reason=error[:64] or "invalid_request",
    )


@receiver(app_authorized)
def record_token_issued(sender: Any, request: Any, token: Any, **kwargs: Any) -> None:
    """Audit every access token the token endpoint issues (code exchange or refresh)."""
    if token.user is None:
        return
    has_meta = isinstance(getattr(request, "META", None), dict)
    record_event(
        Action.ISSUED,
        credential_kind=KIND,
        credential_id=token.pk,
        client=client_info(request, METHOD) if has_meta else ClientInfo(method=METHOD),
        actor=token.user,
        subject=token.user,
    )

"""Offline refresh tokens (``two_``, TargetData) and the JWT access tokens they buy.

The only code that reads or writes offline token rows. An offline token never expires; it
is revoked by its owner or an administrator, and stops working when its owner is
deactivated or loses the API token permission. Every use of an access token checks its
offline token through the verified-token cache: one read per offline token per
``VERIFIED_TOKEN_CACHE_SECONDS`` at most, which is also the bound within which a
revocation on another server is honoured; on this server it takes effect at once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.dispatch import receiver
from django.utils import timezone

from tokenward.accounts.models import User
from tokenward.accounts.policy import check_token_use
from tokenward.accounts.signals import credentials_changed
from tokenward.audit import notifications
from tokenward.audit.models import Action
from tokenward.audit.services import ClientInfo, record_event
from tokenward.credentials import access_jwt
from tokenward.credentials import format as token_format
from tokenward.credentials.digest import token_digest
from tokenward.credentials.format import MalformedTokenError, TokenType
from tokenward.errors import CredentialError, ErrorCode
from tokenward.tokens.errors import TokenRequestError, TokensNotPermittedError
from tokenward.tokens.issuance import save_issued
from tokenward.tokens.models import OfflineToken
from tokenward.tokens.refusals import audit_refusal
from tokenward.tokens.verified import VerifiedToken, verified_tokens

KIND = "offline_token"
ACCESS_KIND = "jwt_access_token"
# A verified JWT in the verified-token cache, keyed by the digest of the whole string.
SIGNED_KIND = "jwt_access_token_signature"
SESSION_PREFIX = "offline-session:"
INVALID_TOKEN = "Invalid token."  # noqa: S105  (a message, not a secret)
MAX_NAME_LENGTH = 100
SYSTEM = ClientInfo(method="system")


@dataclass(frozen=True)
class IssuedOfflineToken:
    """A new offline token's row and its plaintext, which exists nowhere else."""

    record: OfflineToken
    plaintext: str


@dataclass(frozen=True)
class IssuedAccessToken:
    """A signed access token, the offline token that bought it, and when it expires."""

    value: str
    expires_in: int
    offline: OfflineToken


def _cache_key(session_id: str) -> str:
    return f"{SESSION_PREFIX}{session_id}"


def issue_offline_token(owner: User, *, client: ClientInfo, name: str = "") -> IssuedOfflineToken:
    """Create an offline token for ``owner``; return it with its plaintext, audited.

    Raise ``TokensNotPermittedError`` or ``TokenRequestError``; nothing is written then.
    """
    if not owner.can_use_api_tokens:
        raise TokensNotPermittedError("This account may not use API tokens.")
    name = name.strip() if isinstance(name, str) else ""
    if len(name) > MAX_NAME_LENGTH or any(ord(ch) < 32 for ch in name):
        raise TokenRequestError(
            "name", f"A name is at most {MAX_NAME_LENGTH} characters, on one line."
        )
    plaintext = token_format.generate(TokenType.OFFLINE)
    record = OfflineToken(
        owner=owner,
        session_id=uuid.uuid4(),
        name=name,
        digest=token_digest(plaintext),
        last4=plaintext[-4:],
        created_at=timezone.now(),
    )
    save_issued(
        record,
        kind=KIND,
        owner=owner,
        client=client,
        notify=lambda: notifications.offline_token_created(record, client),
    )
    return IssuedOfflineToken(record=record, plaintext=plaintext)


def list_offline_tokens(owner: User) -> QuerySet[OfflineToken]:
    """Return ``owner``'s offline tokens, newest first, revoked ones too."""
    return OfflineToken.objects.filter(owner=owner).order_by("-created_at", "-id")


def find_offline_token(token_id: int) -> OfflineToken | None:
    """Return the offline token with this id, or None if there is none."""
    return OfflineToken.objects.select_related("owner").filter(pk=token_id).first()


def find_offline_token_by_value(value: str) -> OfflineToken | None:
    """Return the offline token whose plaintext is ``value``, revoked or not; None if there is
    none. A malformed value is None without a database read."""
    try:
        token_format.parse(value, TokenType.OFFLINE)
    except MalformedTokenError:
        return None
    return OfflineToken.objects.select_related("owner").filter(digest=token_digest(value)).first()


def revoke_offline_token(
    token: OfflineToken, *, by: User | None, client: ClientInfo, reason: str = ""
) -> bool:
    """Revoke ``token`` and, at once on this server, every access token it bought.

    Return False if it was already revoked (nothing changes then).
    """
    with transaction.atomic():
        changed = OfflineToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=by if by is not None and by.pk else None
        )
        if changed:
            record_event(
                Action.REVOKED,
                credential_kind=KIND,
                credential_id=token.pk,
                client=client,
                actor=by,
                subject=token.owner,
                reason=reason[:40],
            )
    verified_tokens.discard(_cache_key(str(token.session_id)))
    if changed:
        token.refresh_from_db(fields=["revoked_at", "revoked_by"])
    return bool(changed)


def revoke_all_offline_tokens(
    owner: User, *, by: User | None, client: ClientInfo, reason: str = ""
) -> int:
    """Revoke every live offline token of ``owner``; return how many were revoked."""
    live = OfflineToken.objects.select_related("owner").filter(owner=owner, revoked_at__isnull=True)
    return sum(
        revoke_offline_token(token, by=by, client=client, reason=reason) for token in list(live)
    )


@receiver(credentials_changed)
def revoke_offline_tokens_of_new_password(
    sender: type[User], user: User, reasons: frozenset[str], **kwargs: Any
) -> None:
    """A new password ends what the old one bought (security check 12); deactivation does not.

    A deactivated user's tokens already fail on every use, and come back with reactivation.
    """
    if "password" in reasons:
        revoke_all_offline_tokens(user, by=None, client=SYSTEM, reason="password")


def refresh_access_token(value: str, client: ClientInfo) -> IssuedAccessToken:
    """Return a new access token bought with the offline token ``value``.

    Raise ``CredentialError``: malformed (no database read), unknown ("Invalid token."),
    revoked, or its owner may not use tokens. Issue and refusal are audited.
    """
    try:
        token_format.parse(value, TokenType.OFFLINE)
    except MalformedTokenError as exc:
        raise CredentialError(ErrorCode.MALFORMED_TOKEN, f"Malformed token. {exc}") from None
    record = OfflineToken.objects.select_related("owner").filter(digest=token_digest(value)).first()
    if record is None:
        error = CredentialError(ErrorCode.INVALID_TOKEN, INVALID_TOKEN)
        audit_refusal(KIND, None, None, client, error)
        raise error
    try:
        if record.revoked_at is not None:
            raise CredentialError(ErrorCode.TOKEN_REVOKED, "This token has been revoked.")
        check_token_use(record.owner)
    except CredentialError as error:
        audit_refusal(KIND, record.pk, record.owner, client, error)
        raise
    access, _ = access_jwt.mint_access_token(str(record.owner.pk), str(record.session_id))
    now = timezone.now()
    with transaction.atomic():
        OfflineToken.objects.filter(pk=record.pk).update(last_used_at=now)
        record_event(
            Action.ISSUED,
            credential_kind=ACCESS_KIND,
            credential_id=f"{record.pk}",
            client=client,
            actor=record.owner,
            subject=record.owner,
        )
    return IssuedAccessToken(value=access, expires_in=access_jwt.LIFETIME_SECONDS, offline=record)


def verify_access_token(value: str, client: ClientInfo) -> VerifiedToken:
    """Return the verified JWT access token ``value``. Raise ``CredentialError`` if it cannot
    be used: a bad or expired JWT, a revoked offline token, an owner who may not use tokens.

    A JWT whose signature and claims were verified is trusted for the cache period without
    decoding it again; its expiry is checked on every use. The offline token's row is read
    at most once per cache period, and its state and its owner's are checked on every use.
    """
    digest = token_digest(value)
    signed = verified_tokens.get(digest)  # only ever holds JWTs that were verified
    if (
        signed is None
        or signed.kind != SIGNED_KIND
        or signed.session_key is None
        or signed.expires_at is None
    ):
        return _verify_signed(value, digest, client)
    try:
        access_jwt.check_unexpired(signed.expires_at.timestamp())
    except access_jwt.AccessTokenError as exc:
        verified_tokens.discard(digest)
        raise CredentialError(ErrorCode.TOKEN_EXPIRED, str(exc)) from None
    entry = _session(signed.session_key, client)
    if entry.owner.id != signed.owner.id:  # id, not pk: the pk property costs two calls
        raise CredentialError(ErrorCode.INVALID_TOKEN, INVALID_TOKEN)
    return entry.with_private_owner()


def _verify_signed(value: str, digest: str, client: ClientInfo) -> VerifiedToken:
    """Decode ``value`` in full, check its session, and cache it only if it is accepted."""
    try:
        claims = access_jwt.decode_access_token(value)
    except access_jwt.AccessTokenError as exc:
        if exc.expired:
            raise CredentialError(ErrorCode.TOKEN_EXPIRED, str(exc)) from None
        # A forged, altered or foreign token is as unknown as any: "Invalid token."
        raise CredentialError(ErrorCode.INVALID_TOKEN, INVALID_TOKEN) from None
    key = _cache_key(claims.session_id)
    entry = _session(key, client)
    if str(entry.owner.pk) != claims.subject:
        raise CredentialError(ErrorCode.INVALID_TOKEN, INVALID_TOKEN)
    signed = VerifiedToken(
        kind=SIGNED_KIND,
        token_id=entry.token_id,
        owner=entry.owner,
        scopes=None,
        expires_at=datetime.fromtimestamp(claims.expires_at, UTC),
        last_use_written_at=None,
        session_key=key,
    )
    verified_tokens.put(digest, signed)
    return entry.with_private_owner()


def _session(key: str, client: ClientInfo) -> VerifiedToken:
    """Return the offline session ``key`` names, from the cache or its row, checked now."""
    entry = verified_tokens.get(key)
    if entry is None or entry.kind != ACCESS_KIND:
        return _read_session(key, client)
    try:
        check_token_use(entry.owner)
    except CredentialError as error:
        verified_tokens.discard(key)
        audit_refusal(ACCESS_KIND, entry.token_id, entry.owner, client, error)
        raise
    return entry


def _read_session(key: str, client: ClientInfo) -> VerifiedToken:
    try:
        session_id = uuid.UUID(key.removeprefix(SESSION_PREFIX))
        record = OfflineToken.objects.select_related("owner").get(session_id=session_id)
    except (ValueError, OfflineToken.DoesNotExist):
        raise CredentialError(ErrorCode.INVALID_TOKEN, INVALID_TOKEN) from None
    try:
        if record.revoked_at is not None:
            raise CredentialError(
                ErrorCode.TOKEN_REVOKED, "The offline token behind this access token was revoked."
            )
        check_token_use(record.owner)
    except CredentialError as error:
        audit_refusal(ACCESS_KIND, record.pk, record.owner, client, error)
        raise
    entry = VerifiedToken(
        kind=ACCESS_KIND,
        token_id=record.pk,  # the offline token's id: what a revocation names
        owner=record.owner,
        scopes=None,  # an access token carries every right of its owner
        expires_at=None,
        last_use_written_at=None,
    )
    verified_tokens.put(key, entry)
    return entry

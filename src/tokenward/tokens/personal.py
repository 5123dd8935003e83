"""Personal access tokens (``twp_``): the only code that reads or writes their rows.

Issue returns the plaintext once; verification is one indexed read on the digest with the
owner (or a fresh cache entry); revocation keeps the row and says when and by whom.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from tokenward.accounts.models import User
from tokenward.audit import notifications
from tokenward.audit.models import Action
from tokenward.audit.services import ClientInfo, record_event
from tokenward.conf import setting
from tokenward.credentials import format as token_format
from tokenward.credentials.digest import token_digest
from tokenward.credentials.format import MalformedTokenError, TokenType
from tokenward.credentials.scopes import ALL_SCOPES, ScopeError, normalize_scopes
from tokenward.errors import CredentialError, ErrorCode
from tokenward.tokens.errors import TokenNotLiveError, TokenRequestError, TokensNotPermittedError
from tokenward.tokens.issuance import save_issued
from tokenward.tokens.last_use import LastUseRecorder, PendingUse, merge_addresses
from tokenward.tokens.models import PersonalAccessToken
from tokenward.tokens.refusals import audit_refusal, check_live
from tokenward.tokens.verified import VerifiedToken, verified_tokens

KIND = "personal_token"
INVALID_TOKEN = "Invalid token."  # noqa: S105  (a message, not a secret)
MAX_NAME_LENGTH = 100
MAX_DESCRIPTION_LENGTH = 500
ROTATED = "rotated"  # the audit reason of a rotation's revocation and issue


@dataclass(frozen=True)
class IssuedToken:
    """A new token's row and its plaintext, which exists nowhere else."""

    record: PersonalAccessToken
    plaintext: str


def issue_personal_token(
    owner: User,
    *,
    name: str,
    client: ClientInfo,
    actor: User | None = None,
    description: str = "",
    scopes: Iterable[str] = ALL_SCOPES,
    expires_at: datetime | None = None,
) -> IssuedToken:
    """Create a token for ``owner`` and return it with its plaintext, audited and e-mailed.

    ``actor`` is who asks (default: the owner); nobody creates tokens for someone else.
    Raise ``TokensNotPermittedError`` or ``TokenRequestError``; nothing is written then.
    """
    if actor is not None and actor.pk != owner.pk:
        raise TokensNotPermittedError("Nobody can create personal access tokens for another user.")
    if not owner.can_use_api_tokens:
        raise TokensNotPermittedError("This account may not use API tokens.")
    name = _valid_name(name)
    if not isinstance(description, str) or len(description.strip()) > MAX_DESCRIPTION_LENGTH:
        raise TokenRequestError(
            "description", f"A description is at most {MAX_DESCRIPTION_LENGTH} characters."
        )
    try:
        scopes = normalize_scopes(scopes)
    except ScopeError as exc:
        raise TokenRequestError("scopes", str(exc)) from None
    now = timezone.now()
    record = PersonalAccessToken(
        owner=owner,
        name=name,
        description=description.strip(),
        scopes=list(scopes),
        created_at=now,
        expires_at=_valid_expiry(expires_at, now),
    )
    try:
        return _save_new(record, client=client)
    except IntegrityError:
        if not PersonalAccessToken.objects.filter(
            owner=owner, name=name, revoked_at__isnull=True
        ).exists():
            raise
        raise TokenRequestError("name", f"You already have a token named {name!r}.") from None


def rotate_personal_token(
    token: PersonalAccessToken, *, by: User, client: ClientInfo
) -> IssuedToken:
    """Revoke ``token`` and issue its successor in one transaction; return the successor.

    The successor keeps the name, description, scopes and expiry (capped by the server's
    longest lifetime, should that have shrunk since). The old row is locked first, so of
    two rotations of one token exactly one wins. ``by`` is who asks: the owner, or an
    administrator (the caller decides who may). Raise ``TokenNotLiveError`` if the token is
    revoked, expired or gone, ``TokensNotPermittedError`` if its owner may not use API
    tokens; nothing is written then. The old secret is refused from the next request on.
    """
    with transaction.atomic():
        # On SQLite the IMMEDIATE transaction already holds the write lock; no FOR UPDATE.
        old = PersonalAccessToken.objects.select_for_update().filter(pk=token.pk).first()
        if old is None or old.revoked_at is not None:
            raise TokenNotLiveError("This token has been revoked; it cannot be rotated.")
        now = timezone.now()
        if old.expires_at is not None and old.expires_at <= now:
            raise TokenNotLiveError("This token has expired; it cannot be rotated.")
        owner = old.owner
        if not owner.can_use_api_tokens:
            raise TokensNotPermittedError("This account may not use API tokens.")
        # Revoke first: the one-live-token-per-name constraint would refuse the successor.
        revoke_personal_token(old, by=by, client=client, reason=ROTATED)
        successor = PersonalAccessToken(
            owner=owner,
            name=old.name,
            description=old.description,
            scopes=list(old.scopes),
            created_at=now,
            expires_at=_capped_expiry(old.expires_at, now),
        )
        issued = _save_new(successor, client=client, actor=by, reason=ROTATED)
    token.refresh_from_db(fields=["revoked_at", "revoked_by"])
    return issued


def _save_new(
    record: PersonalAccessToken, *, client: ClientInfo, actor: User | None = None, reason: str = ""
) -> IssuedToken:
    """Give ``record`` a fresh secret and save it, audited, its owner e-mailed after commit."""
    plaintext = token_format.generate(TokenType.PERSONAL)
    record.digest = token_digest(plaintext)
    record.last4 = plaintext[-4:]
    save_issued(
        record,
        kind=KIND,
        owner=record.owner,
        client=client,
        notify=lambda: notifications.personal_token_created(record, client),
        actor=actor,
        reason=reason,
    )
    return IssuedToken(record=record, plaintext=plaintext)


def endpoint_token_name() -> str:
    """Return a name for a token minted by TrialGrid's api-token-auth endpoint."""
    return f"endpoint-{secrets.token_hex(4)}"


def verify_personal_token(value: str, client: ClientInfo) -> VerifiedToken:
    """Return the verified token ``value``. Raise ``CredentialError`` if it cannot be used.

    A malformed value is refused without a database read. An unknown token and a wrong
    one are both "Invalid token."; each refusal of a well-formed token is audited.
    """
    digest = token_digest(value)
    entry = verified_tokens.get(digest)  # only ever holds well-formed tokens
    if entry is None or entry.kind != KIND:
        try:
            token_format.parse(value, TokenType.PERSONAL)
        except MalformedTokenError as exc:
            raise CredentialError(ErrorCode.MALFORMED_TOKEN, f"Malformed token. {exc}") from None
        entry = _read_and_check(digest, client)
    else:
        try:
            check_live(entry.expires_at, entry.owner)
        except CredentialError as error:
            verified_tokens.discard(digest)
            _audit_failure(entry.token_id, entry.owner, client, error)
            raise
    _recorder.note(
        entry.token_id,
        last_written=entry.last_use_written_at,
        address=client.address,
        user_agent=client.user_agent,
        method=client.method,
    )
    return entry.with_private_owner()


def _read_and_check(digest: str, client: ClientInfo) -> VerifiedToken:
    try:
        # get(), not first(): first() adds an ORDER BY that costs more than the lookup.
        record = PersonalAccessToken.objects.select_related("owner").get(digest=digest)
    except PersonalAccessToken.DoesNotExist:
        error = CredentialError(ErrorCode.INVALID_TOKEN, INVALID_TOKEN)
        _audit_failure(None, None, client, error)
        raise error from None
    try:
        if record.revoked_at is not None:
            raise CredentialError(ErrorCode.TOKEN_REVOKED, "This token has been revoked.")
        check_live(record.expires_at, record.owner)
    except CredentialError as error:
        _audit_failure(record.pk, record.owner, client, error)
        raise
    entry = VerifiedToken(
        kind=KIND,
        token_id=record.pk,
        owner=record.owner,
        scopes=frozenset(record.scopes),
        expires_at=record.expires_at,
        last_use_written_at=record.last_use_written_at,
    )
    verified_tokens.put(digest, entry)
    return entry


def _audit_failure(
    token_id: int | None, owner: User | None, client: ClientInfo, error: CredentialError
) -> None:
    audit_refusal(KIND, token_id, owner, client, error)


def list_personal_tokens(owner: User | None = None) -> QuerySet[PersonalAccessToken]:
    """Return tokens, newest first: ``owner``'s, or everyone's for ``None``."""
    tokens = PersonalAccessToken.objects.select_related("owner", "revoked_by")
    if owner is not None:
        tokens = tokens.filter(owner=owner)
    return tokens.order_by("-created_at", "-id")


def token_status(token: PersonalAccessToken) -> str:
    """Return ``"revoked"``, ``"expired"`` or ``"active"``: whether ``token`` works now."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= timezone.now():
        return "expired"
    return "active"


def find_personal_token(token_id: int) -> PersonalAccessToken | None:
    """Return the token with this id, or None if there is none."""
    return list_personal_tokens().filter(pk=token_id).first()


def find_personal_token_by_value(value: str) -> PersonalAccessToken | None:
    """Return the token whose plaintext is ``value``, revoked or not; None if there is none.

    A malformed value is None without a database read.
    """
    try:
        token_format.parse(value, TokenType.PERSONAL)
    except MalformedTokenError:
        return None
    tokens = PersonalAccessToken.objects.select_related("owner")
    return tokens.filter(digest=token_digest(value)).first()


def revoke_personal_token(
    token: PersonalAccessToken, *, by: User | None, client: ClientInfo, reason: str = ""
) -> bool:
    """Revoke ``token`` now. Return False if it was already revoked (nothing changes then).

    ``reason`` goes into the audit event (such as ``"rotated"``).
    """
    digest = token.digest
    with transaction.atomic():
        changed = PersonalAccessToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
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
                reason=reason,
            )
    verified_tokens.discard(digest)  # and again at the commit (tokens.verified)
    if changed:
        token.refresh_from_db(fields=["revoked_at", "revoked_by"])
    return bool(changed)


def revoke_all_personal_tokens(owner: User, *, by: User | None, client: ClientInfo) -> int:
    """Revoke every live token of ``owner``; return how many were revoked."""
    live = list(PersonalAccessToken.objects.filter(owner=owner, revoked_at__isnull=True))
    return sum(revoke_personal_token(token, by=by, client=client) for token in live)


def _valid_name(name: str) -> str:
    if not isinstance(name, str):
        raise TokenRequestError("name", "A name is a string.")
    name = name.strip()
    if not name:
        raise TokenRequestError("name", "A token needs a name.")
    if len(name) > MAX_NAME_LENGTH or any(ord(ch) < 32 for ch in name):
        raise TokenRequestError(
            "name", f"A name is at most {MAX_NAME_LENGTH} characters, on one line."
        )
    return name


def _valid_expiry(expires_at: datetime | None, now: datetime) -> datetime | None:
    max_days = setting("PERSONAL_TOKEN_MAX_DAYS")
    latest = now + timedelta(days=max_days) if max_days else None
    if expires_at is None:
        return latest
    if expires_at <= now:
        raise TokenRequestError("expires_at", "The expiry must be in the future.")
    if latest is not None and expires_at > latest:
        raise TokenRequestError(
            "expires_at", f"A token lives at most {max_days} days on this server."
        )
    return expires_at


def _capped_expiry(expires_at: datetime | None, now: datetime) -> datetime | None:
    """Return ``expires_at``, or the server's latest allowed expiry if that comes sooner."""
    max_days = setting("PERSONAL_TOKEN_MAX_DAYS")
    if not max_days:
        return expires_at
    latest = now + timedelta(days=max_days)
    return latest if expires_at is None or expires_at > latest else expires_at


def _write_last_use(token_id: int, use: PendingUse, force: bool) -> datetime | None:
    now = timezone.now()
    with transaction.atomic():
        row = (
            PersonalAccessToken.objects.select_for_update()
            .filter(pk=token_id)
            .values("last_used_at", "last_addresses", "last_use_written_at")
            .first()
        )
        if row is None:
            return None
        written = row["last_use_written_at"]
        interval = timedelta(seconds=_recorder.interval())
        if written is not None and not force and now - written < interval:
            return written
        fields = {
            "last_addresses": merge_addresses(use.addresses, row["last_addresses"]),
            "last_use_written_at": now,
        }
        last, moment = row["last_used_at"], use.moment
        if last is None or moment > last:
            fields |= {
                "last_used_at": moment,
                "last_user_agent": use.user_agent[:256],
                "last_method": use.method,
            }
        PersonalAccessToken.objects.filter(pk=token_id).update(**fields)
    return None


_recorder = LastUseRecorder(_write_last_use)


def last_use_recorder() -> LastUseRecorder:
    """Return the recorder of personal token uses (flushed by the server's hooks)."""
    return _recorder

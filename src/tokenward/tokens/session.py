"""24-hour session tokens (``tws_``, Tuleap's ``/api/tokens``): the only code touching their rows.

A login and password buy one; it is presented with its owner's id and lives 24 hours, unless
it is deleted first or its owner's login, password or activation changes. Verification is
one indexed read on the digest with the owner (or a fresh cache entry).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from tokenward.accounts.models import User
from tokenward.accounts.policy import check_token_use
from tokenward.accounts.signals import credentials_changed
from tokenward.audit.models import Action
from tokenward.audit.services import ClientInfo, record_event
from tokenward.credentials import format as token_format
from tokenward.credentials.digest import token_digest
from tokenward.credentials.format import MalformedTokenError, TokenType
from tokenward.errors import CredentialError, ErrorCode
from tokenward.tokens.issuance import save_issued
from tokenward.tokens.models import SessionToken
from tokenward.tokens.refusals import audit_refusal, check_live
from tokenward.tokens.verified import VerifiedToken, verified_tokens

KIND = "session_token"
LIFETIME = timedelta(hours=24)  # the seed: "A token lasts for 24 hours."
INVALID_TOKEN = "Invalid token."  # noqa: S105  (a message, not a secret)
# Who ends tokens when their owner's credentials change: no person, the server.
SYSTEM = ClientInfo(method="system")


@dataclass(frozen=True)
class IssuedSessionToken:
    """A new session token's row and its plaintext, which exists nowhere else."""

    record: SessionToken
    plaintext: str


def issue_session_token(user: User, client: ClientInfo) -> IssuedSessionToken:
    """Create a token for ``user`` that lives ``LIFETIME``; return it with its plaintext.

    Raise ``AccessDeniedError`` unless ``user``'s API tokens may be used; nothing is
    written then. The row and its audit event are written together or not at all.
    """
    check_token_use(user)
    now = timezone.now()
    plaintext = token_format.generate(TokenType.SESSION)
    record = SessionToken(
        owner=user,
        digest=token_digest(plaintext),
        last4=plaintext[-4:],
        created_at=now,
        expires_at=now + LIFETIME,
    )
    save_issued(record, kind=KIND, owner=user, client=client)
    return IssuedSessionToken(record=record, plaintext=plaintext)


def verify_session_token(value: str, user_id: int, client: ClientInfo) -> VerifiedToken:
    """Return the verified token ``value`` of user ``user_id``. Raise ``CredentialError``
    if it cannot be used.

    A malformed value is refused without a database read. An unknown token and one
    presented with another user's id are both "Invalid token."; each refusal of a
    well-formed token is audited.
    """
    digest = token_digest(value)
    entry = verified_tokens.get(digest)  # only ever holds well-formed tokens
    if entry is None or entry.kind != KIND:
        try:
            token_format.parse(value, TokenType.SESSION)
        except MalformedTokenError as exc:
            raise CredentialError(ErrorCode.MALFORMED_TOKEN, f"Malformed token. {exc}") from None
        entry = _read_and_check(digest, user_id, client)
    else:
        try:
            _check_owner(entry.owner, user_id)
            _check_live(entry)
        except CredentialError as error:
            if error.code != ErrorCode.INVALID_TOKEN:  # a wrong user id says nothing of it
                verified_tokens.discard(digest)
            _audit_failure(entry.token_id, entry.owner, client, error)
            raise
    return entry.with_private_owner()


def _read_and_check(digest: str, user_id: int, client: ClientInfo) -> VerifiedToken:
    try:
        record = SessionToken.objects.select_related("owner").get(digest=digest)
    except SessionToken.DoesNotExist:
        error = CredentialError(ErrorCode.INVALID_TOKEN, INVALID_TOKEN)
        _audit_failure(None, None, client, error)
        raise error from None
    entry = VerifiedToken(
        kind=KIND,
        token_id=record.pk,
        owner=record.owner,
        scopes=None,  # type: ignore[arg-type]  (a session token is not narrowed by scopes)
        expires_at=record.expires_at,
        last_use_written_at=None,
    )
    try:
        # The owner first: with another user's id, an ended token is as unknown as any.
        _check_owner(record.owner, user_id)
        if record.ended_at is not None:
            raise CredentialError(ErrorCode.TOKEN_REVOKED, "This token has been revoked.")
        _check_live(entry)
    except CredentialError as error:
        _audit_failure(record.pk, record.owner, client, error)
        raise
    verified_tokens.put(digest, entry)
    return entry


def _check_owner(owner: User, user_id: int) -> None:
    if owner.id != user_id:  # id, not pk: the pk property costs a call on every request
        raise CredentialError(ErrorCode.INVALID_TOKEN, INVALID_TOKEN)


def _check_live(entry: VerifiedToken) -> None:
    check_live(entry.expires_at, entry.owner)


def _audit_failure(
    token_id: int | None, owner: User | None, client: ClientInfo, error: CredentialError
) -> None:
    audit_refusal(KIND, token_id, owner, client, error)


def find_session_token(value: str) -> SessionToken | None:
    """Return the token whose plaintext is ``value``, ended or not; None if there is none.

    A malformed value is None without a database read.
    """
    try:
        token_format.parse(value, TokenType.SESSION)
    except MalformedTokenError:
        return None
    return SessionToken.objects.select_related("owner").filter(digest=token_digest(value)).first()


def end_session_token(
    record: SessionToken, *, by: User | None, client: ClientInfo, reason: str
) -> bool:
    """End ``record`` now, saying why. Return False if it had ended already (nothing changes)."""
    with transaction.atomic():
        changed = SessionToken.objects.filter(pk=record.pk, ended_at__isnull=True).update(
            ended_at=timezone.now(), end_reason=reason[:40]
        )
        if changed:
            record_event(
                Action.REVOKED,
                credential_kind=KIND,
                credential_id=record.pk,
                client=client,
                actor=by,
                subject=record.owner,
                reason=reason[:40],
            )
    verified_tokens.discard(record.digest)
    if changed:
        record.refresh_from_db(fields=["ended_at", "end_reason"])
    return bool(changed)


def end_all_session_tokens(user: User, *, reason: str, client: ClientInfo) -> int:
    """End every live token of ``user``, by the server; return how many were ended."""
    live = list(
        SessionToken.objects.select_related("owner").filter(
            owner=user, ended_at__isnull=True, expires_at__gt=timezone.now()
        )
    )
    return sum(end_session_token(token, by=None, client=client, reason=reason) for token in live)


@receiver(credentials_changed)
def end_tokens_of_changed_credentials(
    sender: type[User], user: User, reasons: frozenset[str], **kwargs: Any
) -> None:
    """A new login or password, or a deactivation: what bought the tokens is gone."""
    end_all_session_tokens(user, reason=",".join(sorted(reasons)), client=SYSTEM)

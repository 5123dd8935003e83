"""Targetprocess service tokens (``?token=``): issued and verified, never stored.

A service token signs its owner's id, login and password hash, so it ends by itself when
the login or password changes, and its owner's state (inactive, Requester, API tokens off,
the System user without a password) refuses it on use. A verified token is cached for the
verified-token cache's second; any save of its owner drops the entry at once
(``tokens.signals``).
"""

from __future__ import annotations

from tokenward.accounts.models import User
from tokenward.accounts.policy import check_token_use
from tokenward.audit.models import Action
from tokenward.audit.services import ClientInfo, record_event
from tokenward.conf import setting
from tokenward.credentials.digest import token_digest
from tokenward.credentials.format import MalformedTokenError
from tokenward.credentials.service_token import (
    parse_service_token,
    service_token_key,
    sign_service_token,
    signature,
    signatures_match,
)
from tokenward.errors import CredentialError, ErrorCode
from tokenward.tokens.errors import TokensNotPermittedError
from tokenward.tokens.refusals import audit_refusal
from tokenward.tokens.verified import VerifiedToken, verified_tokens

KIND = "service_token"
INVALID_TOKEN = "Invalid token."  # noqa: S105  (a message, not a secret)


def _key() -> bytes:
    return service_token_key(setting("TOKEN_DIGEST_KEY"))


def service_token_for(user: User) -> str:
    """Return ``user``'s service token as of their current login and password."""
    return sign_service_token(user.pk, user.login, user.password, _key())


def obtain_service_token(caller: User, target: User, client: ClientInfo) -> str:
    """Return ``target``'s service token for ``caller``: the target, or an administrator.

    An administrator's request for someone else's token is audited. The owner's state is
    not checked here but on each use, so the System user's token can be obtained before
    its password is set. Raise ``TokensNotPermittedError`` for anyone else.
    """
    if caller.pk != target.pk:
        if not caller.is_administrator:
            raise TokensNotPermittedError("Only administrators obtain other users' tokens.")
        record_event(
            Action.ISSUED,
            credential_kind=KIND,
            credential_id=target.pk,
            client=client,
            actor=caller,
            subject=target,
        )
    return service_token_for(target)


def verify_service_token(value: str, client: ClientInfo) -> VerifiedToken:
    """Return the verified service token ``value``. Raise ``CredentialError`` if it cannot
    be used.

    A malformed value is refused without a database read. An unknown login and a wrong
    signature are both "Invalid token."; each refusal of a well-formed token is audited.
    """
    digest = token_digest(value)
    entry = verified_tokens.get(digest)  # only ever holds well-formed values, parsed below
    if entry is None or entry.kind != KIND:
        try:
            login, given = parse_service_token(value)
        except MalformedTokenError as exc:
            raise CredentialError(ErrorCode.MALFORMED_TOKEN, f"Malformed token. {exc}") from None
        entry = _read_and_check(login, given, client)
        verified_tokens.put(digest, entry)
    else:
        try:
            check_token_use(entry.owner)
        except CredentialError as error:
            verified_tokens.discard(digest)
            _audit_failure(entry.owner, client, error)
            raise
    return entry.with_private_owner()


def _read_and_check(login: str, given: str, client: ClientInfo) -> VerifiedToken:
    key = _key()
    try:
        # get(), not first(): first() adds an ORDER BY; login is unique and indexed.
        owner = User.objects.get(login=login)
    except User.DoesNotExist:
        signature(0, login, "", key)  # the same work as for a known login
        error = CredentialError(ErrorCode.INVALID_TOKEN, INVALID_TOKEN)
        _audit_failure(None, client, error)
        raise error from None
    try:
        if not signatures_match(signature(owner.pk, owner.login, owner.password, key), given):
            # An old token (login or password changed since), or a forged one.
            raise CredentialError(ErrorCode.INVALID_TOKEN, INVALID_TOKEN)
        check_token_use(owner)
    except CredentialError as error:
        _audit_failure(owner, client, error)
        raise
    return VerifiedToken(
        kind=KIND,
        token_id=owner.pk,
        owner=owner,
        scopes=None,  # not narrowed: the owner's full access
        expires_at=None,
        last_use_written_at=None,
    )


def _audit_failure(owner: User | None, client: ClientInfo, error: CredentialError) -> None:
    audit_refusal(KIND, owner.pk if owner is not None else "", owner, client, error)

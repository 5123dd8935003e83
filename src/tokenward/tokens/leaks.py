"""Leaked-token reports: revoke every live token a secret scanner found, and tell its owner.

A secret scanning service (GitHub's secret scanning partner program, or anyone holding the
shared ``LEAK_REPORT_SECRET``) posts the tokens it found in public. Each one that is still
live is revoked through its own service's revoke function, which drops it from the
verified-token cache and writes its audit event (reason ``"leaked"``) in one transaction;
then its owner gets an e-mail. The reply says, per token, only whether it was live: never
whose it was.

A replayed report is harmless: every token it names is revoked already, so it changes
nothing and is answered ``false_positive``. Reports therefore carry no timestamp or nonce.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from tokenward.accounts.models import User
from tokenward.audit import notifications
from tokenward.audit.services import ClientInfo
from tokenward.credentials.format import TokenType, token_type_of
from tokenward.credentials.kinds import KIND_NAMES, recognise
from tokenward.oauth import services as oauth
from tokenward.tokens import offline, personal, session

log = logging.getLogger(__name__)

METHOD = "leak_report"  # the channel, in the audit log
REASON = "leaked"  # the audit reason of every revocation a report causes
TRUE_POSITIVE = "true_positive"
FALSE_POSITIVE = "false_positive"
SIGNATURE_PREFIX = "sha256="
UNKNOWN = "unknown"


@dataclass(frozen=True)
class ReportedToken:
    """One entry of a report: the string found, and what the scanner says about it."""

    token: str
    type: str = ""
    url: str = ""
    source: str = ""


@dataclass(frozen=True)
class Verdict:
    """The answer for one reported token: its SHA-256, its kind, and whether it was live."""

    token_hash: str
    token_type: str
    label: str


@dataclass(frozen=True)
class RevokedLeak:
    """A live token a report revoked, as its owner is told of it: never its secret."""

    owner: User
    description: str
    name: str
    display: str


def signature_matches(body: bytes, header: str | None, secret: str) -> bool:
    """Return True if ``header`` is ``sha256=`` and the hex HMAC-SHA256 of ``body`` under
    ``secret``, compared in constant time."""
    if not header or not header.startswith(SIGNATURE_PREFIX):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest().encode()
    given = header[len(SIGNATURE_PREFIX) :].strip().lower()
    return hmac.compare_digest(expected, given.encode("utf-8", "replace"))


def handle_report(items: Sequence[ReportedToken], client: ClientInfo) -> list[Verdict]:
    """Revoke every live token in ``items``; return a verdict for each, in the same order.

    Each token is revoked in a transaction of its own, so a failure on one keeps the
    revocations before it. A token named twice gets the same verdict twice.
    """
    verdicts: dict[str, Verdict] = {}
    for item in items:
        if item.token not in verdicts:
            verdicts[item.token] = _handle(item, client)
    return [verdicts[item.token] for item in items]


def _handle(item: ReportedToken, client: ClientInfo) -> Verdict:
    named = token_type_of(item.token)
    kind = KIND_NAMES[named] if named is not None else (item.type or UNKNOWN)
    token_hash = hashlib.sha256(item.token.encode()).hexdigest()
    parsed = recognise(item.token)  # a bad checksum: nothing to look up, no database read
    revoked = None if parsed is None else _REVOKERS[parsed.type](parsed.value, client)
    if revoked is None:
        return Verdict(token_hash, kind, FALSE_POSITIVE)
    transaction.on_commit(lambda: notify_owner(revoked, item, client), robust=True)
    return Verdict(token_hash, kind, TRUE_POSITIVE)


def _revoke_personal(value: str, client: ClientInfo) -> RevokedLeak | None:
    token = personal.find_personal_token_by_value(value)
    if token is None or personal.token_status(token) != "active":
        return None
    if not personal.revoke_personal_token(token, by=None, client=client, reason=REASON):
        return None  # a concurrent revocation won
    return RevokedLeak(token.owner, "personal access token", token.name, token.display)


def _revoke_session(value: str, client: ClientInfo) -> RevokedLeak | None:
    token = session.find_session_token(value)
    if token is None or token.ended_at is not None or token.expires_at <= timezone.now():
        return None
    if not session.end_session_token(token, by=None, client=client, reason=REASON):
        return None
    return RevokedLeak(token.owner, "24-hour session token", "", f"tws_…{token.last4}")


def _revoke_offline(value: str, client: ClientInfo) -> RevokedLeak | None:
    token = offline.find_offline_token_by_value(value)
    if token is None or token.revoked_at is not None:
        return None
    # Its JWT access tokens stop working with it: each use checks the offline token.
    if not offline.revoke_offline_token(token, by=None, client=client, reason=REASON):
        return None
    return RevokedLeak(token.owner, "offline refresh token", token.name, token.display)


def _revoke_oauth(value: str, client: ClientInfo) -> RevokedLeak | None:
    token = oauth.revoke_oauth_token(value, client=client, reason=REASON)
    if token is None:
        return None
    what = "OAuth2 access token" if token.kind == oauth.KIND else "OAuth2 refresh token"
    return RevokedLeak(token.owner, what, "", f"{value[:4]}…{value[-4:]}")


_REVOKERS: dict[TokenType, Callable[[str, ClientInfo], RevokedLeak | None]] = {
    TokenType.PERSONAL: _revoke_personal,
    TokenType.SESSION: _revoke_session,
    TokenType.OFFLINE: _revoke_offline,
    TokenType.OAUTH_ACCESS: _revoke_oauth,
    TokenType.OAUTH_REFRESH: _revoke_oauth,
}


def _printable(text: str, limit: int) -> str:
    """``text`` on one line, without control characters, at most ``limit`` characters."""
    return "".join(ch for ch in text if ch.isprintable())[:limit]


def notify_owner(leak: RevokedLeak, item: ReportedToken, client: ClientInfo) -> None:
    """E-mail the owner (``audit.notifications``), with the reported place made printable."""
    notifications.token_leaked(
        leak, _printable(item.url, 2048), _printable(item.source, 100), client
    )

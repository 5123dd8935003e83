"""The only code that writes user rows: create, change password, role, activation, access."""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from tokenward.accounts import sessions
from tokenward.accounts.logins import invisible_character
from tokenward.accounts.lookalikes import clashing_account
from tokenward.accounts.models import SYSTEM_LOGIN, AccountType, Role, User
from tokenward.audit.models import Action
from tokenward.audit.services import CLI, ClientInfo, record_event

ADMIN_LOGIN = "admin"
# What administrators change on an account, besides its login, names and password.
ACCOUNT_FIELDS = ("role", "is_active", "can_use_api_tokens", "account_type")
ACCOUNT_KIND = "account"
PASSWORD_KIND = "password"  # noqa: S105  (an audit kind, not a password)


class AccountError(Exception):
    """A request to change accounts cannot be carried out; the message says why."""


class AccountFieldError(AccountError):
    """A change to one field of an account is refused; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Bootstrap:
    """What the first start created. ``admin_password`` is set only when it was generated."""

    created_admin: bool
    created_system: bool
    admin_password: str | None


def find_user(login: str) -> User:
    """Return the user with this login. Raise ``AccountError`` if there is none.

    A login with a NUL is nobody's, and PostgreSQL refuses NUL in a query: not asked.
    """
    try:
        if "\x00" in login:
            raise User.DoesNotExist
        return User.objects.get(login=login)
    except User.DoesNotExist:
        raise AccountError(f"There is no user with the login {login!r}.") from None


def validate_login(login: str) -> str:
    """Return ``login`` stripped. Raise ``AccountError`` unless Basic can carry it.

    Basic splits at the first colon, so a login never holds one.
    """
    login = login.strip()
    if not login or len(login) > 150 or any(ch.isspace() or ch == ":" for ch in login):
        raise AccountError("A login is 1 to 150 characters, without spaces or colons.")
    hidden = invisible_character(login)
    if hidden is not None:  # named by code point: printed, it would be invisible
        raise AccountError(
            f"A login cannot hold invisible or formatting characters such as U+{ord(hidden):04X}."
        )
    return login


def check_login_free(login: str, *, user: User | None = None) -> None:
    """Raise ``AccountFieldError`` if an account other than ``user`` has ``login`` or a login
    that looks like it (the same after case folding and NFKC, ``accounts.logins``).

    The message names the existing login: only administrators create and rename accounts.
    """
    other = clashing_account(login, exclude=user)
    if other is None:
        return
    if other.login == login:
        raise AccountFieldError("login", f"The login {login!r} is already taken.")
    raise AccountFieldError(
        "login",
        f"The login {login!r} looks like the existing login {other.login!r}: logins must "
        "differ by more than letter case or character width.",
    )


@contextmanager
def claiming_login(login: str, *, user: User | None = None) -> Iterator[None]:
    """Run the save of ``login`` (a new account, or ``user`` renamed) inside this block.

    ``check_login_free`` first; and if another writer took the login or a look-alike between
    that check and the save, the unique ``login_key`` refuses the save, and this raises
    ``AccountFieldError`` naming the winner: never two look-alikes, never a 500.
    """
    check_login_free(login, user=user)
    try:
        with transaction.atomic():
            yield
    except IntegrityError:
        check_login_free(login, user=user)
        raise AccountFieldError("login", f"The login {login!r} is already taken.") from None


def create_user(
    login: str,
    *,
    email: str = "",
    full_name: str = "",
    role: Role | str = Role.USER,
    can_use_api_tokens: bool | None = None,
    account_type: AccountType | str = AccountType.LOCAL,
    password: str | None = None,
    is_active: bool = True,
) -> User:
    """Create and return a user. Raise ``AccountError`` if a field is invalid or taken.

    The API-token permission defaults to on for administrators and users, off for Requesters.
    """
    login = validate_login(login)
    if role not in Role.values:
        raise AccountError(f"The role must be one of: {', '.join(Role.values)}.")
    if account_type not in AccountType.values:
        raise AccountError(f"The account type must be one of: {', '.join(AccountType.values)}.")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise AccountError(f"{email!r} is not a valid e-mail address.") from None
    if can_use_api_tokens is None:
        can_use_api_tokens = role != Role.REQUESTER
    if password is not None and account_type == AccountType.SSO:
        raise AccountError("Single-sign-on accounts have no local password.")
    user = User(
        login=login,
        email=email,
        full_name=full_name,
        role=role,
        can_use_api_tokens=can_use_api_tokens,
        account_type=account_type,
        is_active=is_active,
    )
    if password is not None:
        _validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    with claiming_login(login):
        user.save()
    return user


def set_password(user: User, password: str, *, validate: bool = True) -> None:
    """Set ``user``'s password. Raise ``AccountError`` if it is too weak or not allowed.

    Changing the password ends the user's other sessions (Django's session hash).
    """
    if user.is_sso:
        raise AccountError("Single-sign-on accounts have no local password.")
    if validate:
        _validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])


def set_active(
    user: User, active: bool, *, by: User | None = None, client: ClientInfo = CLI
) -> None:
    """Activate or deactivate ``user`` (the command line), audited as ``update_account`` is.

    Deactivation makes every credential fail at once and ends every web session for good.
    """
    if user.is_system and not active:
        raise AccountError("The System user cannot be deactivated.")
    _apply_changes(user, {"is_active": active}, by=by, client=client)


def check_account_change(user: User, changes: Mapping[str, Any]) -> None:
    """Raise ``AccountFieldError`` if ``changes`` to ``user`` are not allowed.

    The rules every path that changes accounts obeys (API, web pages): the System user stays
    an active, local administrator under its login; and no change leaves the site without
    an active administrator besides the System user, which exists for integrations and has
    no password at first, so that somebody can still log in and administer.
    """
    if user.is_system:
        if changes.get("role", Role.ADMINISTRATOR) != Role.ADMINISTRATOR:
            raise AccountFieldError("role", "The System user is an administrator.")
        if changes.get("is_active") is False:
            raise AccountFieldError("is_active", "The System user cannot be deactivated.")
        if changes.get("account_type", AccountType.LOCAL) != AccountType.LOCAL:
            raise AccountFieldError("account_type", "The System user keeps a local password.")
        if "login" in changes and changes["login"] != user.login:
            raise AccountFieldError("login", "The System user keeps its login.")
        return
    stays_admin = changes.get("role", user.role) == Role.ADMINISTRATOR
    stays_active = changes.get("is_active", user.is_active)
    if user.is_administrator and user.is_active and not (stays_admin and stays_active):
        others = User.objects.filter(role=Role.ADMINISTRATOR, is_active=True, is_system=False)
        if not others.exclude(pk=user.pk).exists():
            field = "role" if not stays_admin else "is_active"
            raise AccountFieldError(
                field,
                "This is the last active administrator: make another account an active "
                "administrator first.",
            )


def update_account(
    user: User, changes: Mapping[str, Any], *, by: User, client: ClientInfo
) -> list[str]:
    """Apply ``changes`` to ``ACCOUNT_FIELDS`` of ``user``; return the names that changed.

    Raise ``AccountFieldError`` for an unknown field, a bad value or a refused change
    (``check_account_change``); nothing is written then. Each changed field is audited as
    a change of the account, with the field's name as the reason.
    """
    for field in changes:
        if field not in ACCOUNT_FIELDS:
            raise AccountFieldError(field, f"{field!r} cannot be changed here.")
    if "role" in changes and changes["role"] not in Role.values:
        raise AccountFieldError("role", f"The role must be one of: {', '.join(Role.values)}.")
    if "account_type" in changes and changes["account_type"] not in AccountType.values:
        raise AccountFieldError(
            "account_type", f"The account type must be one of: {', '.join(AccountType.values)}."
        )
    check_account_change(user, changes)
    return _apply_changes(user, changes, by=by, client=client)


def _apply_changes(
    user: User, changes: Mapping[str, Any], *, by: User | None, client: ClientInfo
) -> list[str]:
    """Write and audit the ``ACCOUNT_FIELDS`` in ``changes`` that differ; return their names.

    A change that takes away what a web session was granted with (``sessions.ending_reason``)
    ends every web session of the account in the same transaction, for good.
    """
    changed = [
        name for name in ACCOUNT_FIELDS if name in changes and changes[name] != getattr(user, name)
    ]
    if not changed:
        return []
    ending = sessions.ending_reason(user, changes)
    with transaction.atomic():
        for name in changed:
            setattr(user, name, changes[name])
        user.save(update_fields=changed)
        for name in changed:
            _record_change(ACCOUNT_KIND, user, by=by, client=client, reason=name)
        if ending:
            sessions.end_web_sessions(user, by=by, client=client, reason=ending)
    return changed


def administer_new_user(*, by: User, client: ClientInfo, **fields: Any) -> User:
    """Create a user as ``create_user`` does, audited as an administrator's change.

    Raise ``AccountError`` like ``create_user``; nothing is written then.
    """
    with transaction.atomic():
        user = create_user(**fields)
        _record_change(ACCOUNT_KIND, user, by=by, client=client, reason="created")
    return user


def administer_password(user: User, password: str, *, by: User, client: ClientInfo) -> None:
    """Set ``user``'s password for them (the System user's among them), validated and audited.

    Raise ``AccountError`` if the password is too weak or ``user`` is a single-sign-on
    account; nothing is written then. ``user``'s sessions and password-derived credentials
    end (``set_password``, ``signals``).
    """
    with transaction.atomic():
        set_password(user, password)
        _record_change(PASSWORD_KIND, user, by=by, client=client, reason="set_by_administrator")


def _record_change(
    kind: str, user: User, *, by: User | None, client: ClientInfo, reason: str
) -> None:
    record_event(
        Action.CHANGED,
        credential_kind=kind,
        credential_id=user.pk,
        client=client,
        actor=by,
        subject=user,
        reason=reason,
    )


def ensure_bootstrap_accounts(admin_password: str | None) -> Bootstrap:
    """Create the administrator and the System user if they do not exist yet.

    The administrator gets ``admin_password``, else a random password returned once so the
    caller can print it. The System user starts with no usable password. Safe to call at
    every start, from several processes at once.
    """
    created_system = _ensure_system_user()
    if User.objects.filter(login=ADMIN_LOGIN).exists():
        return Bootstrap(created_admin=False, created_system=created_system, admin_password=None)
    generated = None
    if not admin_password:
        admin_password = generated = secrets.token_urlsafe(18)
    admin = User(login=ADMIN_LOGIN, full_name="Administrator", role=Role.ADMINISTRATOR)
    admin.set_password(admin_password)
    try:
        with transaction.atomic():
            admin.save()
    except IntegrityError:  # another process created it first
        return Bootstrap(created_admin=False, created_system=created_system, admin_password=None)
    return Bootstrap(created_admin=True, created_system=created_system, admin_password=generated)


def _ensure_system_user() -> bool:
    if User.objects.filter(is_system=True).exists():
        return False
    system = User(login=SYSTEM_LOGIN, full_name="System", role=Role.ADMINISTRATOR, is_system=True)
    system.set_unusable_password()
    try:
        with transaction.atomic():
            system.save()
    except IntegrityError:
        return False
    return True


def _validate_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise AccountError(" ".join(exc.messages)) from None

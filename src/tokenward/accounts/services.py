"""The only code that writes user rows: create, change password, activate, deactivate."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from tokenward.accounts.models import SYSTEM_LOGIN, AccountType, Role, User

ADMIN_LOGIN = "admin"


class AccountError(Exception):
    """A request to change accounts cannot be carried out; the message says why."""


@dataclass(frozen=True)
class Bootstrap:
    """What the first start created. ``admin_password`` is set only when it was generated."""

    created_admin: bool
    created_system: bool
    admin_password: str | None


def find_user(login: str) -> User:
    """Return the user with this login. Raise ``AccountError`` if there is none."""
    try:
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
    return login


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
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise AccountError(f"The login {login!r} is already taken.") from None
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


def set_active(user: User, active: bool) -> None:
    """Activate or deactivate ``user``; deactivation makes every credential fail at once."""
    if user.is_system and not active:
        raise AccountError("The System user cannot be deactivated.")
    user.is_active = active
    user.save(update_fields=["is_active"])


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

"""The user model: login, role, API permission, local or single-sign-on, and the System user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from tokenward.accounts.logins import login_key

SYSTEM_LOGIN = "System"
_SESSION_SALT = "tokenward.accounts.models.User.session_hash"
# Django's own (AbstractBaseUser._get_session_auth_hash), for accounts whose epoch is 0.
_DJANGO_SESSION_SALT = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", "Administrator"
    USER = "user", "User"
    REQUESTER = "requester", "Requester"


class AccountType(models.TextChoices):
    LOCAL = "local", "Local password"
    SSO = "sso", "Single sign-on"


class UserManager(BaseUserManager["User"]):
    def create_user(self, login: str, password: str | None = None, **fields: Any) -> User:
        """Create a user; without a password the account has no usable one."""
        user = self.model(login=login, **fields)
        user.set_password(password) if password else user.set_unusable_password()
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(login=username)


class User(AbstractBaseUser):
    login = models.CharField(max_length=150, unique=True)
    # The digest of the login folded (``accounts.logins``): unique, so no two accounts have
    # logins that look alike, whatever writes at once. Empty only for accounts that already
    # clashed with an older one when the key was added (migration 0004); see ``lookalikes``.
    # NULL, not "": unique indexes let many NULLs through, and only those rows lack a key.
    login_key = models.CharField(max_length=64, unique=True, null=True, editable=False)  # noqa: DJ001
    email = models.EmailField(blank=True)
    full_name = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.USER)
    is_active = models.BooleanField(default=True)
    can_use_api_tokens = models.BooleanField(default=True)
    account_type = models.CharField(
        max_length=10, choices=AccountType.choices, default=AccountType.LOCAL
    )
    is_system = models.BooleanField(default=False, editable=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Bumped when the account loses the rights its web sessions had (accounts.services): every
    # session made before then ends, in every process, and stays ended (see _session_hash).
    session_epoch = models.PositiveIntegerField(default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "login"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            # There is exactly one System user, and it is always an administrator.
            models.UniqueConstraint(
                fields=["is_system"], condition=Q(is_system=True), name="one_system_user"
            ),
            models.CheckConstraint(
                condition=Q(is_system=False) | Q(role="administrator"),
                name="system_user_is_administrator",
            ),
        ]

    def __str__(self) -> str:
        return self.login

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, keeping ``login_key`` in step with a new or changed login.

        A row whose login is unchanged keeps its key, an empty one too (a clash kept from
        before the key existed): only a rename gives it one, or refuses the look-alike.
        """
        loaded = getattr(self, "_loaded_credentials", (None,))[0]
        if self._state.adding or (loaded is not None and loaded != self.login):
            self.login_key = login_key(self.login)
            fields = kwargs.get("update_fields")
            if fields is not None and "login" in fields:
                kwargs["update_fields"] = {*fields, "login_key"}
        super().save(*args, **kwargs)

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any) -> User:
        """Load a user, remembering what its credentials depend on (see ``signals``)."""
        user = super().from_db(db, field_names, values)
        user._loaded_credentials = user.credential_basis()
        return user

    def credential_basis(self) -> tuple[str, str, bool]:
        """What derived credentials depend on: login, password hash, active."""
        deferred = self.get_deferred_fields()
        return tuple(  # type: ignore[return-value]
            None if name in deferred else getattr(self, name)
            for name in ("login", "password", "is_active")
        )

    def get_session_auth_hash(self) -> str:
        """Return what a web session must hold to stay valid (checked on every request)."""
        return self._session_hash(secret=None)

    def get_session_auth_fallback_hash(self) -> Iterator[str]:
        """The same, under each of ``SECRET_KEY_FALLBACKS`` (Django's key rotation)."""
        for secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_hash(secret=secret)

    def _session_hash(self, *, secret: str | None) -> str:
        """An HMAC of the password and the session epoch; nothing for an inactive account.

        A session stays valid while both are what they were at log-in, so a new password or a
        bumped epoch ends every other session, and an inactive account has none: Django's
        ``get_user`` flushes a session whose hash differs, on every page and in the API.
        Epoch 0 gives Django's own hash, so sessions made before epochs existed stay valid.
        """
        if not self.is_active:
            return ""  # Django treats an empty hash as never valid
        salt, value = (
            (_DJANGO_SESSION_SALT, self.password)
            if not self.session_epoch
            else (_SESSION_SALT, f"{self.session_epoch}:{self.password}")
        )
        return salted_hmac(salt, value, secret=secret, algorithm="sha256").hexdigest()

    @property
    def is_administrator(self) -> bool:
        return self.role == Role.ADMINISTRATOR

    @property
    def is_requester(self) -> bool:
        return self.role == Role.REQUESTER

    @property
    def is_sso(self) -> bool:
        return self.account_type == AccountType.SSO

    @property
    def name(self) -> str:
        """The display name: the full name, else the login."""
        return self.full_name or self.login

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.login


class SiteSettings(models.Model):
    """The one row of site-wide settings that administrators change at run time.

    Read and written only through ``tokenward.accounts.site``.
    """

    # None: no administrator has chosen yet, and TOKENWARD["LOGIN_FORM_ENABLED"] applies.
    login_form_enabled = models.BooleanField(null=True, default=None)
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name_plural = "site settings"

    def __str__(self) -> str:
        return "site settings"


class PasswordFailureCounter(models.Model):
    """Failed password attempts for one account, one account from one client address, or one
    client address, in its current window.

    Read and written only through ``tokenward.accounts.lockout``. ``key`` is a keyed digest
    (HMAC-SHA256) of the account (its id, or the login as typed) or of the address, never the
    value itself: the
    login is whatever an attacker typed (any length, any characters, often someone else's
    password typed in the wrong field), and the table must not list who was attacked to
    anyone who reads a database dump without the key.
    """

    key = models.CharField(max_length=64, unique=True)
    # The window is fixed: it starts at its first failure and lasts LOCKOUT_WINDOW_SECONDS.
    window_start = models.DateTimeField(db_index=True)
    count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.count} failures since {self.window_start:%Y-%m-%d %H:%M:%S}"

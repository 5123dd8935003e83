"""Rows of stored tokens: only a digest and the last four characters of each secret."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class PersonalAccessToken(models.Model):
    """A personal access token (``twp_``): many per user, each named, scoped, revocable."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="personal_tokens"
    )
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=500, blank=True)
    digest = models.CharField(max_length=64, unique=True)
    last4 = models.CharField(max_length=4)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    # The last five client addresses, most recent first, and the last user agent.
    last_addresses = models.JSONField(default=list)
    last_user_agent = models.CharField(max_length=256, blank=True)
    last_method = models.CharField(max_length=40, blank=True)
    # When last use was last written: writes are at most one per interval (last_use.py).
    last_use_written_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # When ``tokenward maintain`` claimed the expiry notice: set once, by a conditional
    # update, so that of several servers running it only one sends the e-mail.
    expiry_notice_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # A revoked token's name may be used again.
            models.UniqueConstraint(
                fields=["owner", "name"],
                condition=Q(revoked_at__isnull=True),
                name="personal_token_name_per_owner",
            )
        ]

    def __str__(self) -> str:
        return f"personal token {self.pk} ({self.name})"

    @property
    def display(self) -> str:
        """How the token is shown after its creation: the prefix and its last characters."""
        return f"twp_…{self.last4}"


class SessionToken(models.Model):
    """A 24-hour session token (``tws_``) from Tuleap's ``POST /api/tokens``; one per login."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="session_tokens"
    )
    digest = models.CharField(max_length=64, unique=True)
    last4 = models.CharField(max_length=4)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    # Why it ended: "deleted", or what changed about the owner ("password", "login", ...).
    end_reason = models.CharField(max_length=40, blank=True)

    def __str__(self) -> str:
        return f"session token {self.pk}"


class OfflineToken(models.Model):
    """An offline refresh token (``two_``, TargetData): never expires, buys JWT access tokens.

    ``session_id`` is the ``sid`` claim of the access tokens it buys (and their
    ``session_state``), so their use can check that it still stands.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="offline_tokens"
    )
    session_id = models.UUIDField(unique=True)
    name = models.CharField(max_length=100, blank=True)
    description = models.CharField(max_length=500, blank=True)
    digest = models.CharField(max_length=64, unique=True)
    last4 = models.CharField(max_length=4)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    def __str__(self) -> str:
        return f"offline token {self.pk}"

    @property
    def display(self) -> str:
        """How the token is shown after its creation: the prefix and its last characters."""
        return f"two_…{self.last4}"

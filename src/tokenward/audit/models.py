"""Audit events: one row per issue, revocation or failed use of a credential, or its change."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Action(models.TextChoices):
    ISSUED = "issued", "Issued"
    REVOKED = "revoked", "Revoked"
    FAILED = "failed", "Failed use"
    # An administrator changed an account or a site setting that credentials depend on.
    CHANGED = "changed", "Changed"


class AuditEvent(models.Model):
    """Who (``actor``) did what (``action``) to whose (``subject``) credential, and how."""

    at = models.DateTimeField(db_index=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    credential_kind = models.CharField(max_length=40)
    # The credential's id, never its secret, digest or last characters.
    credential_id = models.CharField(max_length=64, blank=True)
    # The transport or channel: access_token_query, bearer, api, cli, web, ...
    method = models.CharField(max_length=40)
    # An error code for failures (token_revoked, ...), else empty.
    reason = models.CharField(max_length=40, blank=True)
    address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=256, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["subject", "-at"], name="audit_subject_at")]

    def __str__(self) -> str:
        return f"{self.action} {self.credential_kind} {self.credential_id}"

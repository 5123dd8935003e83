"""Which project an OAuth2 application was registered for: a link beside DOT's own model."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ProjectApplication(models.Model):
    """An OAuth2 application and the project whose leader (or a site administrator) manages it.

    A link table rather than a swapped ``OAUTH2_PROVIDER_APPLICATION_MODEL``: swapping must
    happen before DOT's first migration and ties every DOT upgrade to our model.
    """

    application = models.OneToOneField(
        "oauth2_provider.Application", on_delete=models.CASCADE, related_name="tokenward_link"
    )
    project = models.ForeignKey(
        "tracker.Project",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="oauth_applications",
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.application_id} → {self.project_id}"


class RedeemedCode(models.Model):
    """An authorization code already exchanged, and the refresh token family it started.

    django-oauth-toolkit deletes a grant when its code is exchanged, so a second exchange
    could not tell a replay from a code that never existed. This row can: a replay revokes
    the family (RFC 6749 §4.1.2). Only the code's SHA-256 checksum is kept.
    """

    code_checksum = models.CharField(max_length=64, unique=True)
    application = models.ForeignKey(
        "oauth2_provider.Application", on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+"
    )
    token_family = models.UUIDField(null=True)
    redeemed_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"code of application {self.application_id} redeemed at {self.redeemed_at}"

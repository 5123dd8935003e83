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

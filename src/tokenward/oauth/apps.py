"""The OAuth2 provider app."""

from __future__ import annotations

from django.apps import AppConfig


class OAuthConfig(AppConfig):
    name = "tokenward.oauth"
    label = "tokenward_oauth"
    verbose_name = "OAuth2 provider"

    def ready(self) -> None:
        from tokenward.oauth import services  # noqa: F401  (registers its signal receivers)

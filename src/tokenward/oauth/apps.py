"""The OAuth2 provider app."""

from __future__ import annotations

from django.apps import AppConfig


class OAuthConfig(AppConfig):
    name = "tokenward.oauth"
    label = "tokenward_oauth"
    verbose_name = "OAuth2 provider"

"""Django app configuration for authentication."""

from django.apps import AppConfig


class AuthnConfig(AppConfig):
    name = "tokenward.authn"
    label = "authn"

    def ready(self) -> None:
        from tokenward import config  # noqa: F401  (registers the settings-reset receiver)

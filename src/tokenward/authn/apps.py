"""Django app configuration for authentication."""

from django.apps import AppConfig


class AuthnConfig(AppConfig):
    name = "tokenward.authn"
    label = "authn"

    def ready(self) -> None:
        from tokenward import metrics
        from tokenward.authn import openapi  # noqa: F401  (registers the schema extension)

        metrics.configure()  # the pipeline's flag, read once here rather than per request

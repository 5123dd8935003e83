"""Django app configuration for authentication."""

from django.apps import AppConfig


class AuthnConfig(AppConfig):
    name = "tokenward.authn"
    label = "authn"

    def ready(self) -> None:
        from tokenward import metrics
        from tokenward.authn import openapi  # noqa: F401  (registers the schema extension)
        from tokenward.redaction import redact_every_handler

        metrics.configure()  # the pipeline's flag, read once here rather than per request
        redact_every_handler()  # logging is configured by now: Django's, ours, gunicorn's

from django.apps import AppConfig


class TokensConfig(AppConfig):
    name = "tokenward.tokens"
    label = "tokens"
    verbose_name = "Tokens"

    def ready(self) -> None:
        from tokenward.tokens import checks, offline, session, signals  # noqa: F401  (registers them)

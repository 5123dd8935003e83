"""Django settings, configured from the environment (see README, "Configuration")."""

from __future__ import annotations

import os

import dj_database_url

from tokenward.datadir import data_dir, protect_sqlite_database, read_or_create_key


def _env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def _env_number(name: str, default: int | None = None) -> int | str | None:
    """Return the variable as a number, else ``default`` if it is unset; a bad value is kept
    for the system checks to report."""
    value = os.environ.get(name, "").strip()
    return int(value) if value.isdigit() else (value or default)


DATA_DIR = data_dir()
SECRET_KEY = read_or_create_key("secret_key", "TOKENWARD_SECRET_KEY")
DEBUG = _env_bool("TOKENWARD_DEBUG", False)
ALLOWED_HOSTS = _env_list("TOKENWARD_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = _env_list("TOKENWARD_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "strawberry_django",
    "tokenward.accounts",
    "tokenward.authn",
    "tokenward.tracker",
    "tokenward.tokens",
    "tokenward.audit",
    "tokenward.web",
    "oauth2_provider",
    "tokenward.oauth",
]

MIDDLEWARE = [
    # First: a database outage anywhere below becomes a 503 with Retry-After.
    "tokenward.web.unavailable.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "tokenward.web.security.ContentSecurityPolicyMiddleware",
    "tokenward.authn.middleware.QueryCredentialMiddleware",
    "tokenward.authn.middleware.DeprecatedCredentialMiddleware",
    # Before anything reads a cookie, a form or the database: NUL is a 500 on PostgreSQL.
    "tokenward.web.nul_bytes.NulByteMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tokenward.web.sso.SingleSignOnMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "tokenward.urls"
WSGI_APPLICATION = "tokenward.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{DATA_DIR / 'tokenward.sqlite3'}",
        conn_max_age=int(os.environ.get("TOKENWARD_DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# CONN_HEALTH_CHECKS: a persistent connection that broke (the database restarted) is dropped
# at its next use and a new one opened, so the server recovers without a restart.
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # An unreachable database answers 503 within seconds, not after the system's TCP timeout.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    protect_sqlite_database(str(DATABASES["default"]["NAME"]))  # 0600, -wal and -shm too
    # WAL lets several gunicorn workers read while one writes; a busy timeout instead of
    # "database is locked" errors under concurrent writes.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

if redis_url := os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "OPTIONS": {"socket_timeout": 1, "socket_connect_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "accounts.User"
# The login form and Basic refuse inactive accounts themselves; an inactive account's session
# ends on its next request, on every page and in the API (User.get_session_auth_hash).
# Single sign-on logs in only active SSO accounts named by a trusted proxy (web/sso.py).
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.AllowAllUsersModelBackend",
    "tokenward.web.sso.SingleSignOnBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("login", "full_name", "email")},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:profile"
LOGOUT_REDIRECT_URL = "web:login"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Behind a TLS-terminating proxy set TOKENWARD_HTTPS=true: cookies become Secure and HSTS is sent.
HTTPS = _env_bool("TOKENWARD_HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise serves from the app folders (finders)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = False

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TOKENWARD = {
    # Token digests are keyed apart from SECRET_KEY: rotating one leaves the other alone.
    "TOKEN_DIGEST_KEY": read_or_create_key("token_key", "TOKENWARD_TOKEN_KEY"),
    "PERSONAL_TOKEN_MAX_DAYS": _env_number("TOKENWARD_PERSONAL_TOKEN_MAX_DAYS"),
    "QUERY_STRING_CREDENTIALS": _env_bool("TOKENWARD_QUERY_STRING_CREDENTIALS", True),
    "PUBLIC_URL": os.environ.get("TOKENWARD_PUBLIC_URL", ""),
    "SSO_HEADER": os.environ.get("TOKENWARD_SSO_HEADER", "").strip(),
    "SSO_TRUSTED_PROXIES": _env_list("TOKENWARD_SSO_TRUSTED_PROXIES", ""),
    "TRUSTED_PROXIES": _env_list("TOKENWARD_TRUSTED_PROXIES", ""),
    "LOGIN_FORM_ENABLED": _env_bool("TOKENWARD_LOGIN_FORM_ENABLED", True),
    "STEP_UP_SECONDS": _env_number("TOKENWARD_STEP_UP_SECONDS") or 600,
    # Failed passwords allowed per account from one address, per account, and per client
    # address in one fixed window.
    "LOCKOUT_ACCOUNT_FAILURES": _env_number("TOKENWARD_LOCKOUT_ACCOUNT_FAILURES", 10),
    "LOCKOUT_ACCOUNT_TOTAL_FAILURES": _env_number("TOKENWARD_LOCKOUT_ACCOUNT_TOTAL_FAILURES", 100),
    "LOCKOUT_ADDRESS_FAILURES": _env_number("TOKENWARD_LOCKOUT_ADDRESS_FAILURES", 50),
    "LOCKOUT_WINDOW_SECONDS": _env_number("TOKENWARD_LOCKOUT_WINDOW_SECONDS", 900),
    # The secret that signs leaked-token reports; empty: the endpoint is off.
    "LEAK_REPORT_SECRET": os.environ.get("TOKENWARD_LEAK_REPORT_SECRET", "").strip(),
    # Prometheus metrics at /metrics, off by default; the scrapers' bearer token.
    "METRICS_ENABLED": _env_bool("TOKENWARD_METRICS", False),
    "METRICS_TOKEN": os.environ.get("TOKENWARD_METRICS_TOKEN", "").strip(),
    # Expiry notices, unused-token expiry and retention (``tokenward maintain``).
    "EXPIRY_NOTICE_DAYS": _env_number("TOKENWARD_EXPIRY_NOTICE_DAYS", 7),
    "UNUSED_TOKEN_DAYS": _env_number("TOKENWARD_UNUSED_TOKEN_DAYS", 365),
    "RETENTION_DAYS": _env_number("TOKENWARD_RETENTION_DAYS", 90),
    "MAINTENANCE_BATCH_SIZE": _env_number("TOKENWARD_MAINTENANCE_BATCH_SIZE", 500),
}

EMAIL_BACKEND = os.environ.get(
    "TOKENWARD_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = os.environ.get("TOKENWARD_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("TOKENWARD_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("TOKENWARD_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("TOKENWARD_EMAIL_PASSWORD", "")
EMAIL_TIMEOUT = 10  # seconds; a slow mail server must not hold a request for long
EMAIL_USE_TLS = _env_bool("TOKENWARD_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("TOKENWARD_EMAIL_FROM", "tokenward <tokenward@localhost>")

# OAuth2 provider (django-oauth-toolkit 3.4): authorization code with PKCE (S256) and rotating
# refresh tokens only. Applications are registered with the "authorization-code" grant, which
# is the only one the registration API and page create (tokenward/oauth/services.py).
# Named explicitly: migrations that reference a swappable model read this setting.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER = {
    "SCOPES": {
        "read": "Read your projects and stories",
        "write": "Change your projects and stories",
    },
    "DEFAULT_SCOPES": ["read"],
    "PKCE_REQUIRED": True,
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    "REFRESH_TOKEN_EXPIRE_SECONDS": 30 * 24 * 3600,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ACCESS_TOKEN_GENERATOR": "tokenward.oauth.generators.access_token",
    "REFRESH_TOKEN_GENERATOR": "tokenward.oauth.generators.refresh_token",
    "OAUTH2_VALIDATOR_CLASS": "tokenward.oauth.validators.TokenwardOAuth2Validator",
    # RFC 9700 gates: no implicit or password grant, no "plain" PKCE, no tokens in the
    # query string, and only SHA-256 checksums of tokens at rest (the token column is blank).
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "REQUEST_APPROVAL_PROMPT": "force",
    # ``tokenward maintain`` calls the toolkit's clear_expired(): it deletes this many rows
    # per statement, so that the tables are never locked for long (a bad value, which the
    # system checks report, falls back to 500 here).
    "CLEAR_EXPIRED_TOKENS_BATCH_SIZE": (
        _batch if isinstance(_batch := TOKENWARD["MAINTENANCE_BATCH_SIZE"], int) and _batch else 500
    ),
    "CLEAR_EXPIRED_TOKENS_BATCH_INTERVAL": 0,
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["tokenward.authn.pipeline.PipelineAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "tokenward.compat.renderers.XMLRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "tokenward.compat.parsers.JSONParser",
        "tokenward.compat.parsers.XMLParser",
        "rest_framework.parsers.FormParser",
    ],
    "EXCEPTION_HANDLER": "tokenward.authn.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "tokenward API",
    "DESCRIPTION": "The tracker API that tokenward protects, and its credential endpoints.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "tokenward.authn.openapi.document_refusals",
        "tokenward.oauth.openapi.add_token_endpoints",
    ],
}

# Error reports (the ADMINS mail, the debug page) leave out every credential of the request.
DEFAULT_EXCEPTION_REPORTER = "tokenward.redaction.CredentialExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "tokenward.redaction.CredentialReporterFilter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "tokenward.redaction.RedactingFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("TOKENWARD_LOG_LEVEL", "INFO")},
    "loggers": {
        # Django logs every 4xx with the full path; paths may carry query-string credentials.
        # Filtered here, not per handler, so the ADMINS mail's subject is redacted too.
        "django.request": {"level": "ERROR", "filters": ["redact"]},
        "django.server": {"level": "ERROR"},
        # oauthlib logs request tokens and codes at DEBUG ("Validating refresh token twr_…").
        "oauthlib": {"level": "INFO"},
    },
}

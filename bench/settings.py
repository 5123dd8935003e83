"""Settings for `make bench`: tokenward's own plus the peers, on a throw-away database."""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta

# A fresh data folder per run, set before tokenward's settings read it: its own server keys
# and its own SQLite file, never the developer's database (DATABASE_URL is overridden too).
# bench.run removes the folder when it is done, and points "default" at PostgreSQL for the
# second half of the run (bench.databases).
BENCH_DIR = tempfile.mkdtemp(prefix="tokenward-bench-")
os.environ["TOKENWARD_DATA_DIR"] = BENCH_DIR
os.environ["DATABASE_URL"] = f"sqlite:///{BENCH_DIR}/bench.sqlite3"

# The star import is the point: every production setting, middleware included, then our extras.
from tokenward.settings import *  # noqa: E402, F403

INSTALLED_APPS = [*INSTALLED_APPS, "rest_framework.authtoken", "knox"]  # noqa: F405
ROOT_URLCONF = "bench.urls"
DEBUG = False
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Issuing a token may send an e-mail; keep it off the console.
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# The query-string transports are measured, so they must be on whatever the environment says.
TOKENWARD = {**TOKENWARD, "QUERY_STRING_CREDENTIALS": True}  # noqa: F405
# No expiry, like the other tokens here, so nothing to renew (knox still lists the user's
# tokens on every request to delete expired ones: its second query).
REST_KNOX = {"TOKEN_TTL": None, "AUTO_REFRESH": False}
# simplejwt as its README sets it up (HS256 with the secret key), with a lifetime that
# outlasts the run: its default is five minutes.
SIMPLE_JWT = {"ACCESS_TOKEN_LIFETIME": timedelta(hours=2)}
# django-oauth-toolkit is tokenward's own settings (OAUTH2_PROVIDER, tokens stored as SHA-256
# checksums only): DOT's OAuth2Authentication looks tokens up by that checksum as well.

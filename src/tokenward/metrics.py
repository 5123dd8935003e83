"""Prometheus metrics: authentication outcomes and verification time, served at ``/metrics``.

Off by default. The pipeline reads one module-level flag, ``enabled``, on every request and
does nothing more while it is False; it is set from ``TOKENWARD['METRICS_ENABLED']`` at
start-up (``authn.apps``) and again whenever the settings change. Under ``tokenward serve``
each gunicorn worker writes its samples to ``PROMETHEUS_MULTIPROC_DIR`` and the scrape adds
them up; a single process (tests, ``runserver``) uses prometheus_client's default registry.
"""

from __future__ import annotations

import hmac
import os
import shutil
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, multiprocess
from prometheus_client.exposition import choose_encoder
from rest_framework.exceptions import APIException

from tokenward.conf import setting  # imported first: its settings reset runs before ours
from tokenward.errors import ErrorCode

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
# The method label of a request refused for carrying two explicit credentials.
MULTIPLE = "multiple"
# The outcome label of a failure that is not an API error (a database outage, a bug).
ERROR = "error"
SUCCESS = "success"
SAFE = ("GET", "HEAD")

AUTHENTICATIONS = Counter(
    "tokenward_authentications",
    "Authentication attempts, by transport (method) and outcome: success or the error code.",
    ("method", "outcome"),
)
# From a cached token (~10 µs) to a password hash (0.1-0.5 s by design).
BUCKETS = (
    0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
)  # fmt: skip
AUTHENTICATION_SECONDS = Histogram(
    "tokenward_authentication_seconds",
    "Time spent verifying the credential of one request, by transport.",
    ("method",),
    buckets=BUCKETS,
)

# Read by the pipeline on every request: a plain module global, not a setting lookup.
enabled: bool = False


def configure() -> None:
    """Turn recording on or off from ``TOKENWARD['METRICS_ENABLED']``."""
    global enabled
    enabled = setting("METRICS_ENABLED") is True


@receiver(setting_changed)
def _reconfigure(*, setting: str, **kwargs: Any) -> None:
    if setting == "TOKENWARD":
        configure()


def outcome_of(exc: BaseException) -> str:
    """Return the outcome label of a refusal: the error ``code`` clients see, else "error"."""
    if isinstance(exc, APIException):
        codes = exc.get_codes()
        return codes if isinstance(codes, str) else str(ErrorCode.INVALID)
    return ERROR


def record(method: str, outcome: str, seconds: float) -> None:
    """Count one authentication by ``method`` with ``outcome`` and observe its duration."""
    AUTHENTICATIONS.labels(method, outcome).inc()
    AUTHENTICATION_SECONDS.labels(method).observe(seconds)


def metrics_view(request: HttpRequest) -> HttpResponse:
    """Serve the metrics to a scraper holding the metrics token; 404 while metrics are off.

    A plain Django view, outside the API's authentication pipeline (its requests are not
    authentications to count). Only GET and HEAD: it changes nothing, so it needs no CSRF
    exemption.
    """
    if not enabled:
        raise Http404
    if request.method not in SAFE:
        return HttpResponseNotAllowed(SAFE)
    if not _authorized(request.META.get("HTTP_AUTHORIZATION", "")):
        return _unauthorized(bool(request.META.get("HTTP_AUTHORIZATION")))
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    response = HttpResponse(encoder(_registry()), content_type=content_type)
    response.headers["Cache-Control"] = "no-store"
    return response


def _authorized(header: str) -> bool:
    """Return True if ``header`` is ``Bearer <METRICS_TOKEN>``; with no token set, never."""
    expected = setting("METRICS_TOKEN")
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not expected or not isinstance(expected, str):
        return False
    # Bytes: compare_digest refuses a str with non-ASCII characters, which a client may send.
    return hmac.compare_digest(presented.strip().encode(), expected.encode())


def _unauthorized(presented: bool) -> JsonResponse:
    if presented:
        detail, code = "The metrics token is missing or wrong.", ErrorCode.INVALID_TOKEN
        challenge = 'Bearer realm="tokenward-metrics", error="invalid_token"'
    else:
        detail, code = "The metrics need a bearer token.", ErrorCode.NOT_AUTHENTICATED
        challenge = 'Bearer realm="tokenward-metrics"'
    response = JsonResponse({"detail": detail, "code": str(code)}, status=401)
    response.headers["WWW-Authenticate"] = challenge
    return response


def _registry() -> CollectorRegistry:
    """Return what to expose: every worker's files under gunicorn, else this process."""
    if os.environ.get(MULTIPROCESS_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def prepare_multiprocess_dir(name: str) -> Path | None:
    """Give gunicorn's workers an empty folder for their samples, if metrics are on.

    The folder is ``<data folder>/prometheus/<name>`` (one per server, so two servers on one
    data folder never mix or wipe each other's files), emptied because samples left by a
    previous run would be added to this one's. ``PROMETHEUS_MULTIPROC_DIR`` is set in this
    process's environment, which gunicorn and its workers inherit. Return the folder, or
    None while metrics are off.
    """
    if setting("METRICS_ENABLED") is not True:
        return None
    folder = Path(settings.DATA_DIR) / "prometheus" / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(mode=0o700, parents=True)
    os.environ[MULTIPROCESS_ENV] = str(folder)
    return folder

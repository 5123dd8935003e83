"""Prometheus metrics at ``/metrics``: off by default, behind a bearer token when on, counting
every authentication by transport and outcome and timing it, added up across gunicorn workers.
"""

from __future__ import annotations

import logging
import os
import secrets
import subprocess
import threading
from collections import Counter

import httpx
import pytest
from django.core import checks
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import basic_header
from tests.live_server import (
    TOKENWARD,
    Server,
    free_port,
    server_env,
    start,
    throwaway_database,
    worker_pids,
)
from tests.lockout import ACCOUNT_LIMIT
from tokenward import metrics
from tokenward.audit.services import CLI
from tokenward.tokens.personal import revoke_personal_token

ME = "/api/users/me"
COUNTER = "tokenward_authentications"
HISTOGRAM = "tokenward_authentication_seconds"
# Failed Basic logins come from an address of their own: no other test's failures count.
GUESSER = "198.51.100.77"


def new_metrics_token() -> str:
    return secrets.token_urlsafe(32)  # 43 characters


@pytest.fixture
def metrics_token(settings) -> str:
    """Turn metrics on with a fresh token; the ``settings`` fixture turns them off again."""
    token = new_metrics_token()
    settings.TOKENWARD = {**settings.TOKENWARD, "METRICS_ENABLED": True, "METRICS_TOKEN": token}
    return token


def scrape(client, token: str, **headers):
    return client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}", **headers)


def counts(text: str) -> dict[tuple[str, str], float]:
    """Return the counter's samples in an exposition as {(method, outcome): count}."""
    return {
        (s.labels["method"], s.labels["outcome"]): s.value
        for family in text_string_to_metric_families(text)
        if family.name == COUNTER
        for s in family.samples
        if s.name == f"{COUNTER}_total"
    }


def observations(text: str) -> dict[str, tuple[float, float]]:
    """Return the histogram's {method: (count, sum)} in an exposition."""
    found: dict[str, list[float]] = {}
    for family in text_string_to_metric_families(text):
        if family.name != HISTOGRAM:
            continue
        for s in family.samples:
            if s.name in (f"{HISTOGRAM}_count", f"{HISTOGRAM}_sum"):
                index = 0 if s.name.endswith("_count") else 1
                found.setdefault(s.labels["method"], [0.0, 0.0])[index] = s.value
    return {method: (count, total) for method, (count, total) in found.items()}


def recorded_samples() -> list[tuple]:
    """Every sample the two authentication metrics hold in this process."""
    return [
        (s.name, tuple(sorted(s.labels.items())), s.value)
        for metric in (metrics.AUTHENTICATIONS, metrics.AUTHENTICATION_SECONDS)
        for family in metric.collect()
        for s in family.samples
    ]


def delta(after: dict, before: dict) -> dict:
    return {
        key: value - before.get(key, 0)
        for key, value in after.items()
        if value != before.get(key, 0)
    }


# --- Off by default ------------------------------------------------------------------------


@pytest.mark.django_db
def test_off_by_default_metrics_answer_404_like_any_unknown_path_and_record_nothing(
    api, as_token, make_token, member
):
    assert metrics.enabled is False
    token = make_token(member)
    before = recorded_samples()

    assert as_token(token.plaintext).get(ME).status_code == 200
    assert api.get(ME, HTTP_AUTHORIZATION=basic_header(member.login, "wrong")).status_code == 401
    response = scrape(api, new_metrics_token())
    unknown = api.get("/no-such-page", HTTP_AUTHORIZATION="Bearer x")

    assert response.status_code == 404
    assert Client().post("/metrics").status_code == 404
    assert (response.content, response["Content-Type"]) == (
        unknown.content,
        unknown["Content-Type"],
    )
    assert recorded_samples() == before


# --- Configuration -------------------------------------------------------------------------


def metrics_errors() -> dict[str, str]:
    return {e.id: e.msg for e in checks.run_checks() if e.id.startswith("tokenward.E04")}


@pytest.mark.parametrize(
    ("enabled", "token", "check_id"),
    [
        (True, "", "tokenward.E041"),
        (True, "short-" + "x" * 20, "tokenward.E043"),
        (True, "has spaces " + "x" * 32, "tokenward.E042"),
        (True, "é" * 40, "tokenward.E042"),
        ("yes", "x" * 40, "tokenward.E040"),
    ],
)
def test_bad_metrics_settings_are_system_check_errors_that_never_show_the_token(
    settings, enabled, token, check_id
):
    settings.TOKENWARD = {**settings.TOKENWARD, "METRICS_ENABLED": enabled, "METRICS_TOKEN": token}

    errors = metrics_errors()

    assert list(errors) == [check_id]
    assert not token or token not in errors[check_id]


@pytest.mark.parametrize("enabled", [False, True])
def test_good_metrics_settings_pass_the_checks(settings, enabled):
    settings.TOKENWARD = {
        **settings.TOKENWARD,
        "METRICS_ENABLED": enabled,
        "METRICS_TOKEN": new_metrics_token() if enabled else "",
    }
    assert metrics_errors() == {}


def test_serve_with_metrics_on_and_no_token_stops_before_starting(tmp_path):
    env = server_env(tmp_path / "data", {"TOKENWARD_METRICS": "true"})
    done = subprocess.run(
        [str(TOKENWARD), "serve", "--host", "127.0.0.1", "--port", str(free_port())],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )

    assert done.returncode == 1
    assert "tokenward.E041" in done.stderr and "TOKENWARD_METRICS_TOKEN" in done.stderr
    assert "Traceback" not in done.stderr
    assert "serving on" not in done.stdout


def test_serve_prepares_an_empty_folder_for_the_workers_samples(settings, tmp_path, monkeypatch):
    settings.DATA_DIR = tmp_path
    settings.TOKENWARD = {**settings.TOKENWARD, "METRICS_ENABLED": False}
    monkeypatch.delenv(metrics.MULTIPROCESS_ENV, raising=False)
    assert metrics.prepare_multiprocess_dir("8000") is None
    assert not (tmp_path / "prometheus").exists()

    stale = tmp_path / "prometheus" / "8000" / "counter_12345.db"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"left by the last run")
    settings.TOKENWARD = {**settings.TOKENWARD, "METRICS_ENABLED": True}
    folder = metrics.prepare_multiprocess_dir("8000")

    assert folder == stale.parent
    assert list(folder.iterdir()) == []
    assert (folder.stat().st_mode & 0o777) == 0o700
    assert os.environ[metrics.MULTIPROCESS_ENV] == str(folder)


# --- The endpoint --------------------------------------------------------------------------


@pytest.mark.django_db
def test_no_token_is_401_with_a_bearer_challenge(api, metrics_token):
    response = api.get("/metrics")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="tokenward-metrics"'
    assert response.json() == {
        "detail": "The metrics need a bearer token.",
        "code": "not_authenticated",
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header",
    [
        "Bearer wrong",
        "Bearer {token}x",
        "Bearer {short}",
        "Bearer ",
        "Basic {token}",
        "Token {token}",
        "{token}",
        "Bearer \u00e9{token}",
    ],
)
def test_a_wrong_token_is_401_invalid_token(api, metrics_token, header):
    sent = header.format(token=metrics_token, short=metrics_token[:-1])
    response = api.get("/metrics", HTTP_AUTHORIZATION=sent)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="tokenward-metrics", error="invalid_token"'
    assert response.json() == {
        "detail": "The metrics token is missing or wrong.",
        "code": "invalid_token",
    }
    assert metrics_token not in response.content.decode()


@pytest.mark.django_db
def test_the_right_token_gets_the_text_exposition(api, metrics_token):
    response = scrape(api, metrics_token)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    assert response["Cache-Control"] == "no-store"
    text = response.content.decode()
    assert f"# TYPE {COUNTER}_total counter" in text or f"# TYPE {COUNTER} counter" in text
    assert f"# TYPE {HISTOGRAM} histogram" in text
    assert metrics_token not in text


@pytest.mark.django_db
def test_openmetrics_scrapers_get_openmetrics(api, metrics_token):
    response = scrape(api, metrics_token, HTTP_ACCEPT="application/openmetrics-text; version=1.0.0")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/openmetrics-text")
    assert response.content.decode().endswith("# EOF\n")


@pytest.mark.django_db
def test_only_get_and_head_are_allowed(api, metrics_token):
    authorization = {"HTTP_AUTHORIZATION": f"Bearer {metrics_token}"}

    assert api.post("/metrics", **authorization).status_code == 403  # CSRF comes first
    assert Client().post("/metrics", **authorization).status_code == 405
    assert Client().delete("/metrics", **authorization).status_code == 405
    head = api.head("/metrics", **authorization)
    assert (head.status_code, head.content) == (200, b"")


# --- What is counted -----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.usefixtures("small_limits", "hashes")
def test_outcomes_are_counted_by_transport_and_code_and_timed(
    api, as_token, make_token, make_user, member, metrics_token, caplog
):
    caplog.set_level(logging.DEBUG)
    before = scrape(api, metrics_token).content.decode()
    guesser = make_user(f"guess{secrets.token_hex(3)}")
    live = make_token(member)
    revoked = make_token(member)
    revoke_personal_token(revoked.record, by=None, client=CLI)

    def basic(password: str):
        header = basic_header(guesser.login, password)
        return api.get(ME, HTTP_AUTHORIZATION=header, REMOTE_ADDR=GUESSER)

    assert as_token(live.plaintext).get(ME).status_code == 200
    assert as_token(revoked.plaintext).get(ME).json()["code"] == "token_revoked"
    for _ in range(ACCOUNT_LIMIT):
        assert basic("not-the-password").json()["code"] == "invalid_credentials"
    assert basic(guesser.raw_password).status_code == 429  # locked out
    both = api.get(ME, HTTP_AUTHORIZATION=f"Bearer {live.plaintext}", HTTP_X_AUTH_ACCESSKEY="x")
    assert both.json()["code"] == "invalid_request"
    assert api.get("/api/projects").status_code in (200, 401)  # no credential: not counted

    after = scrape(api, metrics_token).content.decode()

    assert delta(counts(after), counts(before)) == {
        ("bearer", "success"): 1,
        ("bearer", "token_revoked"): 1,
        ("basic", "invalid_credentials"): ACCOUNT_LIMIT,
        ("basic", "too_many_attempts"): 1,
        ("multiple", "invalid_request"): 1,
    }
    observed, observed_before = observations(after), observations(before)
    for method, requests in {"bearer": 2, "basic": ACCOUNT_LIMIT + 1, "multiple": 1}.items():
        count, seconds = observed[method]
        count_before, seconds_before = observed_before.get(method, (0.0, 0.0))
        assert count - count_before == requests
        assert 0 < seconds - seconds_before < 10
    for secret in (metrics_token, live.plaintext, revoked.plaintext, guesser.raw_password):
        assert secret not in caplog.text
        assert secret not in after


@pytest.mark.django_db
def test_turning_metrics_off_stops_counting(settings, api, as_token, make_token, member):
    token = make_token(member)
    settings.TOKENWARD = {
        **settings.TOKENWARD,
        "METRICS_ENABLED": True,
        "METRICS_TOKEN": new_metrics_token(),
    }
    assert metrics.enabled is True
    settings.TOKENWARD = {**settings.TOKENWARD, "METRICS_ENABLED": False}
    before = recorded_samples()

    assert as_token(token.plaintext).get(ME).status_code == 200

    assert metrics.enabled is False
    assert recorded_samples() == before


# --- Several workers -----------------------------------------------------------------------


@pytest.mark.live
def test_the_counts_of_every_gunicorn_worker_add_up(tmp_path):
    token = new_metrics_token()
    password = f"pw-{secrets.token_urlsafe(12)}"
    extra = {"TOKENWARD_METRICS": "true", "TOKENWARD_METRICS_TOKEN": token}
    with throwaway_database("metrics") as url:
        if url:
            extra["DATABASE_URL"] = url
        server = start(tmp_path / "data", password, extra, workers=2)
        try:
            sent, response, refused = _spread_over_both_workers(server, token, password)
        finally:
            server.stop()

    assert set(sent) == {200}
    assert response.status_code == 200
    assert counts(response.text) == {("basic", "success"): sent[200]}
    assert observations(response.text)["basic"][0] == sent[200]
    assert refused.status_code == 401
    assert token not in server.output()
    assert password not in server.output()


def _spread_over_both_workers(
    server: Server, token: str, password: str
) -> tuple[Counter, httpx.Response, httpx.Response]:
    """Send Basic requests until both workers have served some; then scrape, right and wrong."""
    folder = server.data_dir / "prometheus" / server.url.rsplit(":", 1)[1]
    pids = worker_pids(server)
    assert len(pids) == 2
    sent: Counter[int] = Counter()
    lock = threading.Lock()

    def client() -> None:
        with httpx.Client(base_url=server.url, timeout=10) as http:
            for _ in range(10):
                # A new connection each time, so either worker may take it.
                reply = http.get(
                    ME,
                    headers={
                        "Authorization": basic_header("admin", password),
                        "Connection": "close",
                    },
                )
                with lock:
                    sent[reply.status_code] += 1

    # Bounded: at most 3 rounds of 4 x 10 requests, until both workers have served some.
    for _ in range(3):
        threads = [threading.Thread(target=client) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        writers = {int(p.stem.rsplit("_", 1)[1]) for p in folder.glob("counter_*.db")}
        if writers == set(pids):
            break
    assert writers == set(pids), f"only {writers} of {pids} served a request"
    response = server.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    refused = server.get("/metrics", headers={"Authorization": "Bearer wrong"})
    return sent, response, refused

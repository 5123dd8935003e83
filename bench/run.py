"""Run `make bench`: time every variant in one process, print the table, write results.md."""

from __future__ import annotations

import gc
import os
import random
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

import django

if TYPE_CHECKING:
    from django.test import Client

    from bench.fixtures import Variant

# Many short batches: the variants share the machine's changing load more evenly.
ROUNDS = 120
BATCH = 40
WARMUP = 300
SEED = 2025
RESULTS = Path(__file__).with_name("results.md")


def main() -> None:
    """Set up a throw-away database, measure, report; remove the database whatever happens."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    django.setup()
    from django.conf import settings
    from django.db import connections

    try:
        report = _measure_and_render()
    finally:
        connections.close_all()
        shutil.rmtree(settings.BENCH_DIR, ignore_errors=True)
    RESULTS.write_text(report, encoding="utf-8")
    print(report)
    print(f"(written to {RESULTS})")


def _measure_and_render() -> str:
    # Imported here: they need django.setup() first.
    from django.core.management import call_command
    from django.test import Client

    from bench import fixtures, report

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    variants = fixtures.variants()
    client = Client()
    for variant in variants:
        with variant.context():
            _check(client, variant)
            _send(client, variant, WARMUP)
    queries = {v.label: _count_queries(client, v) for v in variants}
    times = _interleaved(client, variants)
    results = [report.Measured(v, times[v.label], queries[v.label]) for v in variants]
    return report.render(results, rounds=ROUNDS, batch=BATCH, seconds=time.perf_counter() - started)


def _interleaved(client: Client, variants: list[Variant]) -> dict[str, list[list[int]]]:
    """Return each variant's per-request times by round; a round runs each once, shuffled."""
    # Shuffling only spreads noise evenly over the variants; nothing here is secret.
    rng = random.Random(SEED)
    times: dict[str, list[list[int]]] = {v.label: [] for v in variants}
    for _ in range(ROUNDS):
        order = list(variants)
        rng.shuffle(order)
        for variant in order:
            gc.collect()  # a collection belongs to no variant in particular
            # The test client reconnects close_old_connections on every request and Django keeps
            # a finalizer per connection, for good: frozen, they do not slow later collections.
            gc.freeze()
            with variant.context():
                times[variant.label].append(_send(client, variant, BATCH))
    return times


def _send(client: Client, variant: Variant, count: int) -> list[int]:
    """Send ``count`` requests; return their times in ns. Raise if one is not answered 200."""
    get, clock, path, environ = client.get, time.perf_counter_ns, variant.path, variant.environ
    times = []
    for _ in range(count):
        start = clock()
        response = get(path, **environ)
        times.append(clock() - start)
        if response.status_code != 200:
            raise SystemExit(f"{variant.label}: {response.status_code} {response.content!r}")
    return times


def _check(client: Client, variant: Variant) -> None:
    """Refuse to time a variant that does not answer as the user it authenticates."""
    body = client.get(variant.path, **variant.environ).json()
    if body != {"ok": True, "user": variant.user}:
        raise SystemExit(f"{variant.label}: expected user {variant.user}, got {body}")


def _count_queries(client: Client, variant: Variant) -> int:
    """Return the queries of one request sent right after another (caches warm)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with variant.context():
        _send(client, variant, 1)
        with CaptureQueriesContext(connection) as captured:
            _send(client, variant, 1)
    return len(captured)


if __name__ == "__main__":
    main()

"""Run `make bench`: time every variant in one process, print the report, write docs/.

``python -m bench.run`` measures on SQLite, then on PostgreSQL where it answers;
``--scale`` adds the 1,000 against 1,000,000 personal tokens comparison on PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from pathlib import Path

import django

DOCS = Path(__file__).resolve().parent.parent / "docs"


def main() -> None:
    """Set up throw-away databases, measure, report; remove them whatever happens."""
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("--scale", action="store_true", help="add the 1M-token scale check")
    args = parser.parse_args()
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    django.setup()
    from django.conf import settings
    from django.db import connections

    from bench import chart, report

    started = time.perf_counter()
    try:
        runs, skipped, scale = _measure_all(with_scale=args.scale)
    finally:
        connections.close_all()
        shutil.rmtree(settings.BENCH_DIR, ignore_errors=True)
    text = report.render(runs, skipped, scale, time.perf_counter() - started)
    (DOCS / "benchmarks.md").write_text(text, encoding="utf-8")
    chart.draw(runs, DOCS / "benchmarks.png")
    print(text)
    print(f"(written to {DOCS / 'benchmarks.md'} and {DOCS / 'benchmarks.png'})")


def _measure_all(*, with_scale: bool):
    # Imported here: they need django.setup() first.
    from django.core.management import call_command

    from bench import databases, fixtures, scale
    from bench.measure import measure

    call_command("migrate", verbosity=0)
    runs = [measure(databases.describe(), fixtures.variants())]
    print(f"== {runs[0].database}: {runs[0].seconds:.0f} s", flush=True)
    skipped, scale_lines = [], []
    reason = databases.postgres_unavailable()
    if reason is not None:
        skipped.append(f"PostgreSQL skipped: nothing usable at {databases.PG_URL} ({reason}).")
        print(f"== {skipped[-1]}", flush=True)
        return runs, skipped, scale_lines
    _forget_process_state()
    with databases.postgres(f"bench_tokenward_{os.getpid()}"):
        runs.append(measure(databases.describe(), fixtures.variants()))
        print(f"== {runs[-1].database}: {runs[-1].seconds:.0f} s", flush=True)
        _forget_process_state()
    if with_scale:
        scale_lines = scale.run()
    return runs, skipped, scale_lines


def _forget_process_state() -> None:
    """Write pending last uses to the database they belong to; drop caches of its rows."""
    from django.contrib.contenttypes.models import ContentType

    from tokenward.tokens.personal import last_use_recorder
    from tokenward.tokens.verified import verified_tokens

    last_use_recorder().flush_all()
    last_use_recorder().reset()
    verified_tokens.clear()
    ContentType.objects.clear_cache()


if __name__ == "__main__":
    main()

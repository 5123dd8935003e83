"""Scale: an uncached personal token verify with 1,000 and with 1,000,000 tokens stored.

Two throw-away PostgreSQL databases, filled with COPY; the verifies alternate between them
in shuffled rounds (the default alias is switched before each batch), with the
verified-token cache off so that each verify is the indexed read on the digest.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import random
import statistics
import time
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from bench import databases, fixtures
from tokenward.audit.services import ClientInfo
from tokenward.tokens.models import PersonalAccessToken
from tokenward.tokens.personal import issue_personal_token, verify_personal_token

SIZES = (1_000, 1_000_000)
ROUNDS = 40
BATCH = 50
SEED = 2025
CLIENT = ClientInfo(method="bench", address="127.0.0.1", user_agent="bench")


def run() -> list[str]:
    """Fill, measure, drop; return the Markdown section with its PASS or FAIL line."""
    from bench.report import SCALE_TARGET

    reason = databases.postgres_unavailable()
    if reason is not None:
        return ["", f"Scale check skipped: PostgreSQL unavailable ({reason})."]
    started = time.perf_counter()
    prepared, fill_seconds = {}, {}
    names = {size: f"bench_tokenward_{os.getpid()}_{size}" for size in SIZES}
    with databases.postgres(names[SIZES[0]]) as small, databases.postgres(names[SIZES[1]]) as big:
        for size, database in zip(SIZES, (small, big), strict=True):
            databases.use_default(database)
            begun = time.perf_counter()
            prepared[size] = (database, _fill(size))
            fill_seconds[size] = time.perf_counter() - begun
            print(f"== scale: {size:,} tokens stored in {fill_seconds[size]:.0f} s", flush=True)
        with fixtures.without_verified_cache():
            medians = _interleaved(prepared)
        databases.use_default(big)
        plan = _plan()
    ratio = medians[SIZES[1]] / medians[SIZES[0]]
    verdict = "PASS" if ratio <= SCALE_TARGET else "FAIL"
    return [
        "",
        "## Scale (PostgreSQL)",
        "",
        f"An uncached personal token verify (`verify_personal_token`, verified-token cache "
        f"off: the indexed read on the digest, with its owner), {ROUNDS} rounds x {BATCH} "
        f"verifies per table size, alternating in shuffled order between two databases. "
        f"Filling took {fill_seconds[SIZES[0]]:.0f} s and {fill_seconds[SIZES[1]]:.0f} s "
        f"(COPY); the whole scale check {time.perf_counter() - started:.0f} s.",
        "",
        "| personal tokens stored | median verify µs | x 1,000 tokens |",
        "| ---: | ---: | ---: |",
        *(
            f"| {size:,} | {medians[size]:.1f} | {medians[size] / medians[SIZES[0]]:.3f} |"
            for size in SIZES
        ),
        "",
        f"Plan of the lookup with {SIZES[1]:,} tokens: `{plan}`.",
        "",
        f"- {verdict} verify with {SIZES[1]:,} tokens ≤ {SCALE_TARGET}x with {SIZES[0]:,}: "
        f"{ratio:.3f}x.",
    ]


def _fill(size: int) -> str:
    """Store ``size`` personal tokens, one of them usable; return its plaintext."""
    user = fixtures.create_user(f"scale{size}")
    token = issue_personal_token(user, name="measured", client=fixtures.BENCH).plaintext
    fields = [f for f in PersonalAccessToken._meta.concrete_fields if not f.primary_key]
    template = PersonalAccessToken(
        owner=user, name="", digest="", last4="0000", scopes=["read"], created_at=timezone.now()
    )
    fixed = {f.column: _text(getattr(template, f.attname)) for f in fields}
    columns = ", ".join(f'"{f.column}"' for f in fields)
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        copy_sql = f'COPY "{PersonalAccessToken._meta.db_table}" ({columns}) FROM STDIN'
        with cursor.copy(copy_sql) as copy:
            for i in range(size - 1):
                row = dict(fixed, name=f"filler-{i}", digest=_digest(i))
                copy.write_row([row[f.column] for f in fields])
        cursor.execute(f'ANALYZE "{PersonalAccessToken._meta.db_table}"')
    stored = PersonalAccessToken.objects.count()
    if stored != size:
        raise SystemExit(f"scale: expected {size} tokens, found {stored}")
    return token


def _plan() -> str:
    """Return the scans in PostgreSQL's plan for the verify's read."""
    query = PersonalAccessToken.objects.select_related("owner").filter(digest=_digest(0))
    scans = [line.strip(" ->") for line in query.explain().splitlines() if "Scan" in line]
    return "; ".join(scan.split("  (")[0] for scan in scans)


def _digest(i: int) -> str:
    return hashlib.sha256(f"filler-{i}".encode()).hexdigest()


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list | dict):
        return json.dumps(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value)


def _interleaved(prepared: dict[int, tuple[dict[str, Any], str]]) -> dict[int, float]:
    rng = random.Random(SEED)
    times: dict[int, list[int]] = {size: [] for size in prepared}
    for _ in range(ROUNDS):
        order = list(prepared)
        rng.shuffle(order)
        for size in order:
            database, token = prepared[size]
            databases.use_default(database)
            verify_personal_token(token, CLIENT)  # connect, and one untimed read
            gc.collect()
            clock = time.perf_counter_ns
            for _ in range(BATCH):
                start = clock()
                verify_personal_token(token, CLIENT)
                times[size].append(clock() - start)
    return {size: statistics.median(t) / 1000 for size, t in times.items()}

"""Time every variant on the current default database, and count its queries and writes."""

from __future__ import annotations

import gc
import os
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.test import Client

from bench.fixtures import Variant

# Many short batches: the variants share the machine's changing load more evenly.
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "100"))
BATCH = 40
WARMUP = 200
SEED = 2025
# A variant slower than this per request (a password hash) is sent once per round, not
# BATCH times: its ratio is large and its time would otherwise dominate the run.
SLOW_NS = 5_000_000
WRITES = ("INSERT", "UPDATE", "DELETE")
# What django.test.Client leaves behind on every request, for good: each Signal.connect() of a
# long-lived receiver registers a weakref.finalize that outlives the disconnect (three per
# request). The test client's, not tokenward's: counted apart from the other growth.
CLIENT_LEFTOVERS = frozenset({"finalize", "finalize._Info", "ReferenceType", "method"})


@dataclass(frozen=True)
class Measured:
    """A variant's per-request times (ns) by round, its first request, queries and writes.

    ``run_queries``: over the timed rounds; ``run_writes``: over the whole run, from the
    variant's first request.
    """

    variant: Variant
    rounds: list[list[int]]
    first_ns: int
    run_queries: int
    run_writes: int
    sent: int  # every request of the run, first and warm-up ones included

    @property
    def times(self) -> list[int]:
        return [t for batch in self.rounds for t in batch]

    @property
    def median_us(self) -> float:
        return statistics.median(self.times) / 1000

    @property
    def requests(self) -> int:
        return sum(len(batch) for batch in self.rounds)


@dataclass(frozen=True)
class Run:
    """One database's results: the variants, floor first, and what the run cost."""

    database: str
    results: list[Measured]
    seconds: float
    rss_before_kib: int
    rss_after_kib: int
    requests: int
    grown: Counter[str]  # Python objects alive after the timed rounds, not before, by type

    @property
    def leftovers(self) -> int:
        """The test client's share of ``grown``."""
        return sum(n for name, n in self.grown.items() if name in CLIENT_LEFTOVERS)

    @property
    def other_growth(self) -> list[tuple[str, int]]:
        """Every other type that grew, most first."""
        return [(k, n) for k, n in self.grown.most_common() if k not in CLIENT_LEFTOVERS]


class StatementCounter:
    """Count statements, and writes among them, per variant (``connection.execute_wrapper``)."""

    def __init__(self) -> None:
        self.current = ""
        self.queries: Counter[str] = Counter()
        self.writes: Counter[str] = Counter()

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context):
        self.queries[self.current] += 1
        if sql.lstrip()[:6].upper() in WRITES:
            self.writes[self.current] += 1
        return execute(sql, params, many, context)


def rss_kib() -> int:
    """Return this process's resident set size in KiB."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def measure(database: str, variants: list[Variant]) -> Run:
    """Warm every variant up, then time them all in shuffled rounds; count as it goes."""
    client, counter = Client(), StatementCounter()
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        first, batch, untimed = {}, {}, {}
        for variant in variants:
            counter.current = variant.key
            with variant.context():
                first[variant.key] = _check(client, variant)
                slow = first[variant.key] > SLOW_NS and _send(client, variant, 1)[0] > SLOW_NS
                batch[variant.key] = 1 if slow else BATCH
                warmup = 2 if slow else WARMUP
                _send(client, variant, warmup)
            # The check, the second look at a slow one, the warm-up.
            untimed[variant.key] = 1 + (first[variant.key] > SLOW_NS) + warmup
        # Queries per request over the timed rounds; writes over the whole run, warm-up and
        # first requests included: the last-use writer's first write of a token is one.
        counter.queries.clear()
        objects_before, rss_before = _objects(), rss_kib()
        times = _interleaved(client, variants, batch, counter)
        objects_after, rss_after = _objects(), rss_kib()
    results = [
        Measured(
            v,
            times[v.key],
            first[v.key],
            counter.queries[v.key],
            counter.writes[v.key],
            untimed[v.key] + sum(len(batch) for batch in times[v.key]),
        )
        for v in variants
    ]
    requests = sum(r.requests for r in results)
    seconds = time.perf_counter() - started
    grown = objects_after - objects_before
    grown["list"] -= sum(len(rounds) for rounds in times.values())  # the bench's own results
    return Run(database, results, seconds, rss_before, rss_after, requests, grown)


def _objects() -> Counter[str]:
    """Return the live objects the collector tracks, by type name, after a full collection."""
    gc.unfreeze()  # frozen objects are invisible to gc.get_objects()
    gc.collect()
    return Counter(type(o).__qualname__ for o in gc.get_objects())


def _interleaved(
    client: Client, variants: list[Variant], batch: dict[str, int], counter: StatementCounter
) -> dict[str, list[list[int]]]:
    """Return each variant's per-request times by round; a round runs each once, shuffled."""
    # Shuffling only spreads noise evenly over the variants; nothing here is secret.
    rng = random.Random(SEED)
    times: dict[str, list[list[int]]] = {v.key: [] for v in variants}
    for _ in range(ROUNDS):
        order = list(variants)
        rng.shuffle(order)
        for variant in order:
            gc.collect()  # a collection belongs to no variant in particular
            # The test client reconnects close_old_connections on every request and Django keeps
            # a finalizer per connection, for good: frozen, they do not slow later collections.
            gc.freeze()
            counter.current = variant.key
            with variant.context():
                times[variant.key].append(_send(client, variant, batch[variant.key]))
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


def _check(client: Client, variant: Variant) -> int:
    """Refuse to time a variant that does not answer as the user it authenticates.

    Return the time of this first request in ns (nothing cached yet).
    """
    start = time.perf_counter_ns()
    response = client.get(variant.path, **variant.environ)
    elapsed = time.perf_counter_ns() - start
    body = response.json()
    if body != {"ok": True, "user": variant.user}:
        raise SystemExit(f"{variant.label}: expected user {variant.user}, got {body}")
    return elapsed

"""The results of `make bench` as Markdown tables, with the targets checked against them."""

from __future__ import annotations

import math
import os
import platform
import statistics
from importlib.metadata import version

from bench import fixtures
from bench.measure import BATCH, ROUNDS, Measured, Run
from tokenward.conf import setting

FLOOR_TARGET = 1.15  # every tokenward token credential at most this many times the floor
PEER_TARGETS = {"drf-token": 3.0, "knox": 5.0, "dot": 5.0}  # peer median / tokenward median
BASIC_TARGET = 100.0  # DRF BasicAuthentication / tokenward Basic, after the first request
SCALE_TARGET = 1.1  # uncached verify with 1,000,000 tokens / with 1,000
BLOCKS = 10  # the rounds are cut into this many runs to show how far a ratio moves


def spread(mine: Measured, floor: Measured) -> str:
    """Return the middle half of the ratios to the floor over ``BLOCKS`` runs of rounds."""
    ratios = [
        statistics.median(a) / statistics.median(b)
        for a, b in zip(_blocks(mine.rounds), _blocks(floor.rounds), strict=True)
    ]
    q1, _, q3 = statistics.quantiles(ratios, n=4)
    return f"{q1:.2f} to {q3:.2f}"


def _blocks(rounds: list[list[int]]) -> list[list[int]]:
    size = -(-len(rounds) // BLOCKS)
    return [
        [t for batch in rounds[i : i + size] for t in batch] for i in range(0, len(rounds), size)
    ]


def render(runs: list[Run], skipped: list[str], scale: list[str], seconds: float) -> str:
    """Return the whole Markdown report: one table and verdicts per database."""
    lines = [
        "# tokenward authentication benchmark",
        "",
        f"{_environment()}; `make bench` took {seconds:.0f} s in all.",
        "",
        f"One process. Per database, {ROUNDS} rounds; in each round every variant runs once, "
        f"in shuffled order, as a batch of {BATCH} requests (1 for a variant slower than 5 ms "
        "per request: the password hashes). Every request goes through `django.test.Client` "
        "and the full middleware stack to the same small DRF view; times are per-request "
        "medians after a warm-up, so after the first request. Absolute times are noise on a "
        "shared machine: read the ratios, taken within one run. *x floor, middle half*: the "
        f"rounds are cut into {BLOCKS} blocks, and each block's median divided by the floor's "
        "over the same rounds; the column gives the middle half of those ratios. *faster "
        "than*: the peer's median divided by this row's. *queries/req*: statements per request "
        "over the timed rounds; *writes in run*: INSERT, UPDATE and DELETE statements from the "
        "variant's first request to the end of the run, warm-up included "
        "(`connection.execute_wrapper`), and *writes/req* the same divided by every request "
        "of the variant in the run.",
        "",
        "![per-request medians](benchmarks.png)",
        "",
    ]
    for run in runs:
        lines += _table(run)
    lines += [f"- {reason}" for reason in skipped]
    lines += [*scale, "", *_notes(), ""]
    return "\n".join(lines)


def _table(run: Run) -> list[str]:
    floor = run.results[0]
    by_key = {r.variant.key: r for r in run.results}
    lines = [
        f"## {run.database}",
        "",
        "| variant | median µs | x floor | x floor, middle half | faster than | queries/req "
        "| writes in run | writes/req |",
        "| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |",
    ]
    for r in run.results:
        faster = ", ".join(
            f"{by_key[p].variant.key} {by_key[p].median_us / r.median_us:.1f}x"
            for p in r.variant.peers
        )
        lines.append(
            f"| {r.variant.label} | {r.median_us:.1f} | {r.median_us / floor.median_us:.2f} "
            f"| {spread(r, floor)} | {faster} | {r.run_queries / r.requests:.3f} "
            f"| {r.run_writes} | {r.run_writes / r.sent:.5f} |"
        )
    minutes = run.seconds / 60
    grew = (run.rss_after_kib - run.rss_before_kib) / 1024
    lines += [
        "",
        f"{run.requests} timed requests in {run.seconds:.0f} s (warm-up included). "
        f"RSS before the timed requests {run.rss_before_kib / 1024:.1f} MiB, after "
        f"{run.rss_after_kib / 1024:.1f} MiB ({grew:+.1f} MiB), almost all of it what "
        "`django.test.Client` keeps per request (three `weakref.finalize` records of signal "
        "receivers, never freed while the receiver lives; the floor alone shows it).",
        "",
        *verdicts(run, minutes),
        "",
    ]
    return lines


def verdicts(run: Run, minutes: float) -> list[str]:
    """Return one PASS or FAIL line per target, for this database."""
    floor = run.results[0].median_us
    by_key = {r.variant.key: r for r in run.results}
    tokens = [r for r in run.results if r.variant.group == fixtures.TOKEN]
    where = run.database
    lines = []
    for r in tokens:
        ratio = r.median_us / floor
        lines.append(
            _line(
                ratio <= FLOOR_TARGET,
                f"{where}: {r.variant.key} ≤ {FLOOR_TARGET}x the floor",
                f"{ratio:.3f}x",
            )
        )
    worst = max(tokens, key=lambda r: r.median_us)
    for peer, target in PEER_TARGETS.items():
        met = sum(by_key[peer].median_us / r.median_us >= target for r in tokens)
        whole = by_key[peer].median_us / worst.median_us
        cost = (by_key[peer].median_us - floor) / max(worst.median_us - floor, 1e-9)
        # The most any authentication could reach here: the endpoint with none at all.
        ceiling = by_key[peer].median_us / floor
        lines.append(
            _line(
                whole >= target,
                f"{where}: every token credential ≥ {target:g}x faster than {peer}",
                f"{met} of {len(tokens)} met; slowest ({worst.variant.key}) {whole:.2f}x per "
                f"request, {cost:.1f}x on the cost above the floor; the floor itself (no "
                f"authentication) is {ceiling:.2f}x faster",
            )
        )
    basic, peer = by_key["basic"], by_key["drf-basic"]
    ratio = peer.median_us / basic.median_us
    lines.append(
        _line(
            ratio >= BASIC_TARGET,
            f"{where}: Basic ≥ {BASIC_TARGET:g}x faster than DRF BasicAuthentication after the "
            "first request",
            f"{ratio:.1f}x (tokenward Basic median {basic.median_us:.0f} µs, first request "
            f"{basic.first_ns / 1e6:.1f} ms; DRF {peer.median_us / 1000:.1f} ms)",
        )
    )
    pats = [r for r in run.results if r.variant.key.startswith("pat-")]
    personal, uses = sum(r.run_writes for r in pats), sum(r.requests for r in pats)
    bound = math.floor(minutes) + 1
    lines.append(
        _line(
            personal <= bound,
            f"{where}: at most one write per token per minute",
            f"the personal access token, used in {uses} "
            f"timed requests over {minutes:.1f} min, was written {personal} times (bound {bound}); "
            f"every other token: {_other_writes(run)}",
        )
    )
    others = run.other_growth
    grown = sum(n for _, n in others)
    top = ", ".join(f"{name} {n:+d}" for name, n in others[:5]) or "none"
    lines.append(
        _line(
            grown <= run.requests // 100,
            f"{where}: memory stays flat (Python objects alive after the timed requests, apart "
            "from the test client's leftovers, at most one per 100 requests)",
            f"{grown:+d} objects over {run.requests} requests (most: {top}); the test client "
            f"left {run.leftovers:+d} signal finalizers, and RSS moved "
            f"{(run.rss_after_kib - run.rss_before_kib) / 1024:+.1f} MiB",
        )
    )
    return lines


def _other_writes(run: Run) -> str:
    others = [r for r in run.results if not r.variant.key.startswith("pat-") and r.run_writes]
    if not others:
        return "no writes"
    return ", ".join(f"{r.variant.key} {r.run_writes}" for r in others)


def _line(ok: bool, target: str, measured: str) -> str:
    return f"- {'PASS' if ok else 'FAIL'} {target}: {measured}."


def _notes() -> list[str]:
    seconds = setting("VERIFIED_TOKEN_CACHE_SECONDS")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return [
        f"tokenward keeps a verified token in process for {seconds} s "
        "(`VERIFIED_TOKEN_CACHE_SECONDS`), so a token row is read about once a second, not per "
        "request; the cache-off row reads it on every request. The peers run as their "
        "documentation sets them up: DRF's authtoken, knox without expiry, "
        "django-oauth-toolkit on tokenward's own `OAUTH2_PROVIDER` settings (tokens stored as "
        "SHA-256 checksums, which DOT's lookup uses as well), simplejwt with HS256 and the "
        "secret key. Passwords use the production hasher (Argon2). "
        f"Load average (1, 5, 15 min) at the end of the run: {load}.",
    ]


def _environment() -> str:
    packages = ", ".join(
        f"{name} {version(dist)}"
        for name, dist in [
            ("Django", "Django"),
            ("DRF", "djangorestframework"),
            ("knox", "django-rest-knox"),
            ("DOT", "django-oauth-toolkit"),
            ("simplejwt", "djangorestframework-simplejwt"),
        ]
    )
    return (
        f"Python {platform.python_version()}, {packages}, "
        f"{os.cpu_count()} CPUs ({platform.machine()})"
    )

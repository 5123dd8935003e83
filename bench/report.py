"""The results of `make bench` as one Markdown table, with the targets checked against it."""

from __future__ import annotations

import os
import platform
import statistics
from dataclasses import dataclass
from importlib.metadata import version

from bench.fixtures import Variant
from tokenward.conf import setting

FLOOR_TARGET = 1.2  # tokenward token median at most this many times the floor
RIVAL_TARGET = 2.0  # DRF TokenAuthentication and knox at least this many times tokenward
BLOCKS = 10  # the rounds are cut into this many runs to show how far a ratio moves


@dataclass(frozen=True)
class Measured:
    """A variant's per-request times (ns), one list per round, and one warm request's queries."""

    variant: Variant
    rounds: list[list[int]]
    queries: int

    @property
    def times(self) -> list[int]:
        return [t for batch in self.rounds for t in batch]

    @property
    def median_us(self) -> float:
        return statistics.median(self.times) / 1000

    def spread(self, floor: Measured) -> str:
        """Return the middle half of the ratios to the floor over ``BLOCKS`` runs of rounds.

        Each block compares the variant with the floor over the same rounds, so the same load.
        """
        ratios = [
            statistics.median(mine) / statistics.median(theirs)
            for mine, theirs in zip(_blocks(self.rounds), _blocks(floor.rounds), strict=True)
        ]
        q1, _, q3 = statistics.quantiles(ratios, n=4)
        return f"{q1:.2f} to {q3:.2f}"


def _blocks(rounds: list[list[int]]) -> list[list[int]]:
    size = -(-len(rounds) // BLOCKS)
    return [
        [t for batch in rounds[i : i + size] for t in batch] for i in range(0, len(rounds), size)
    ]


def render(results: list[Measured], *, rounds: int, batch: int, seconds: float) -> str:
    """Return the Markdown report. ``results[0]`` is the floor."""
    floor = results[0].median_us
    pooled = [t for r in results if r.variant.reference for t in r.times]
    reference = statistics.median(pooled) / 1000
    lines = [
        "# tokenward authentication benchmark",
        "",
        f"{_environment()}. {rounds} rounds x {batch} requests per variant, variants shuffled "
        f"in each round; {seconds:.0f} s in all. Every request goes through `django.test.Client` "
        "and the full middleware stack to the same DRF view; times are per-request medians. "
        f"For the spread, the rounds are cut into {BLOCKS} blocks and each block's median is "
        "divided by the floor's over the same rounds; the column gives the middle half of those "
        "ratios: how far a shorter run's ratio can move on this machine.",
        "",
        "| variant | median µs | over floor µs | x floor | x floor, middle half of blocks "
        "| x tokenward token | DB queries |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        m = r.median_us
        lines.append(
            f"| {r.variant.label} | {m:.1f} | {m - floor:+.1f} | {m / floor:.2f} "
            f"| {r.spread(results[0])} | {m / reference:.2f} | {r.queries} |"
        )
    lines += ["", *_verdicts(results, floor, reference), "", *_notes(), ""]
    return "\n".join(lines)


def _notes() -> list[str]:
    seconds = setting("VERIFIED_TOKEN_CACHE_SECONDS")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return [
        f"tokenward keeps a verified token in process for {seconds} s "
        "(`VERIFIED_TOKEN_CACHE_SECONDS`), so its token rows read the row about once a second, "
        "not per request; the cache-off row reads it on every request. "
        f"Load average (1, 5, 15 min) at the end of the run: {load}; "
        "other processes on the machine slow every variant, the interleaving spreads them evenly.",
    ]


def _verdicts(results: list[Measured], floor: float, reference: float) -> list[str]:
    tokenward = [r for r in results if r.variant.reference]
    within = [r for r in tokenward if r.median_us / floor <= FLOOR_TARGET]
    worst = max(tokenward, key=lambda r: r.median_us)
    lines = [
        f"tokenward token median, all four transports pooled: {reference:.1f} µs "
        f"({reference / floor:.2f}x the floor).",
        "",
        f"- tokenward token ≤ {FLOOR_TARGET}x the floor: pooled {reference / floor:.3f}x, "
        f"{_met(reference / floor <= FLOOR_TARGET)}; {len(within)} of {len(tokenward)} "
        f"transports within it (slowest: {worst.variant.label}, "
        f"{worst.median_us / floor:.3f}x).",
    ]
    for r in results:
        if r.variant.label.startswith(("DRF", "knox")):
            ratio = r.median_us / reference
            lines.append(
                f"- {r.variant.label} ≥ {RIVAL_TARGET}x tokenward token: "
                f"{_met(ratio >= RIVAL_TARGET)} ({ratio:.3f}x)."
            )
    return lines


def _met(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _environment() -> str:
    packages = ", ".join(
        f"{name} {version(dist)}"
        for name, dist in [
            ("Django", "Django"),
            ("DRF", "djangorestframework"),
            ("knox", "django-rest-knox"),
        ]
    )
    return (
        f"Python {platform.python_version()}, {packages}, SQLite, "
        f"{os.cpu_count()} CPUs ({platform.machine()})"
    )

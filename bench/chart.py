"""The bar chart of docs/benchmarks.png: per-request medians, one bar per database."""

from __future__ import annotations

from pathlib import Path

from bench import fixtures
from bench.measure import Run

COLOURS = {
    fixtures.FLOOR: "#888888",
    fixtures.TOKEN: "#1f77b4",
    fixtures.OTHER: "#6baed6",
    fixtures.EXTRA: "#9ecae1",
    fixtures.PEER: "#d62728",
}


def draw(runs: list[Run], path: Path) -> None:
    """Write a horizontal bar chart of the medians (log scale: the password hashes)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    variants = [r.variant for r in runs[0].results]
    height = 0.8 / len(runs)
    figure, axes = plt.subplots(figsize=(10, 0.45 * len(variants) * len(runs) + 1.5))
    for i, run in enumerate(runs):
        medians = [r.median_us for r in run.results]
        offsets = [n + i * height for n in range(len(variants))]
        bars = axes.barh(
            offsets,
            medians,
            height=height,
            color=[COLOURS[v.group] for v in variants],
            alpha=1.0 if i == 0 else 0.6,
            hatch=None if i == 0 else "//",
            label=run.database,
        )
        floor = medians[0]
        axes.bar_label(
            bars, labels=[f"{m:,.0f} µs ({m / floor:.2f}x)" for m in medians], fontsize=7, padding=2
        )
    axes.set_yticks([n + height * (len(runs) - 1) / 2 for n in range(len(variants))])
    axes.set_yticklabels([v.label for v in variants], fontsize=8)
    axes.invert_yaxis()
    axes.set_xscale("log")
    longest = max(r.median_us for run in runs for r in run.results)
    axes.set_xlim(right=longest * 8)  # room for the labels
    axes.set_xlabel("median µs per request, full middleware stack (log scale); x = ratio to floor")
    axes.set_title("tokenward vs DRF, knox, django-oauth-toolkit, simplejwt (in process)")
    axes.legend(loc="lower right", fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)

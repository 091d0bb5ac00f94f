"""The PNG charts of ``docs/benchmarks.md``, drawn with matplotlib.

One function per chart, each given its step's part of the results JSON and
the file to write; :mod:`bench.report` decides which are drawn and where.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.report_format import label


def _plt() -> Any:
    # Imported here: matplotlib is the ``bench`` extra, slow to import, and
    # needs its headless backend chosen before pyplot is loaded.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 9, "figure.dpi": 110})
    return plt


def chart_build(b: dict[str, Any], path: Path) -> None:
    """Articles per second of every engine's build, on a log scale."""
    plt = _plt()
    names = list(b["median"])
    values = [b["median"][n]["articles_per_s"] for n in names]
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(names) + 1.2))
    colors = ["#c0392b" if n.startswith("newsindex") else "#7f8c8d" for n in names]
    ax.barh([label(n) for n in names], values, color=colors)
    ax.set_xscale("log")
    ax.invert_yaxis()
    for y, v in enumerate(values):
        ax.text(v, y, f" {v:,.0f}", va="center")
    ax.set_xlabel("articles per second (log scale; median of runs)")
    ax.set_title(f"Build throughput, {b['articles']:,} articles")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def chart_latency(lat: dict[str, Any], path: Path) -> None:
    """p50, p95 and p99 of every engine, short and headline queries."""
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), sharey=True)
    for ax, qset in zip(axes, ("short", "headline"), strict=True):
        bars = []
        for name, report in lat["engines"].items():
            for mode, tag in (("with_snippets", "+snip"), ("without_snippets", "")):
                if mode in report[qset]:
                    bars.append((f"{name}{tag}", report[qset][mode]["median"]))
        xs = range(len(bars))
        for i, (pct, color) in enumerate(
            (("p50_ms", "#2980b9"), ("p95_ms", "#f39c12"), ("p99_ms", "#c0392b"))
        ):
            ax.bar(
                [x + (i - 1) * 0.27 for x in xs],
                [b[1][pct] for b in bars],
                width=0.27,
                color=color,
                label=pct[:3],
            )
        ax.set_xticks(list(xs), [b[0] for b in bars], rotation=40, ha="right")
        ax.set_yscale("log")
        ax.set_title(f"{qset} queries, top 10")
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("milliseconds (log scale)")
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def chart_relevance(rel: dict[str, Any], path: Path) -> None:
    """MRR@10 of every engine on every set, tuning and test splits apart."""
    plt = _plt()
    sets = rel["sets"]
    engines = list(next(iter(sets.values())).keys())
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, split in zip(axes, ("tuning", "test"), strict=True):
        keys = [k for k in sets if (k.endswith("/test")) == (split == "test")]
        width = 0.8 / len(engines)
        for i, name in enumerate(engines):
            ax.bar(
                [x + (i - len(engines) / 2 + 0.5) * width for x in range(len(keys))],
                [sets[k].get(name, {}).get("mrr@10", 0) for k in keys],
                width=width,
                label=name,
            )
        ax.set_xticks(
            range(len(keys)), [k.split("/")[0] for k in keys], rotation=20, ha="right"
        )
        ax.set_ylim(0.5, 1.0)
        ax.set_title(f"MRR@10, {split} splits")
        ax.grid(axis="y", alpha=0.3)
    axes[1].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def chart_growth(g: dict[str, Any], path: Path) -> None:
    """Throughput, index size, memory and latency against corpus size."""
    plt = _plt()
    fig, axes = plt.subplots(2, 2, figsize=(10, 7))
    panels = (
        ("articles/s", lambda f: f["build"]["median"]["articles_per_s"]),
        ("index MB", lambda f: f["build"]["median"]["index_mb"]),
        ("peak RSS MB (tree)", lambda f: f["build"]["median"]["tree_peak_rss_mb"]),
        (
            "short query p50 ms",
            lambda f: f["latency"]["short"].get(
                "with_snippets", f["latency"]["short"]["without_snippets"]
            )["median"]["p50_ms"],
        ),
    )
    engines = {n for s in g["scales"].values() for n in s["engines"]}
    for ax, (title, get) in zip(axes.flat, panels, strict=True):
        for name in sorted(engines):
            points = [
                (s["corpus"]["articles"], get(s["engines"][name]))
                for s in g["scales"].values()
                if name in s["engines"]
            ]
            ax.plot([p[0] for p in points], [p[1] for p in points], "o-", label=name)
        ax.set_title(title)
        ax.set_xlabel("articles")
        ax.xaxis.set_major_formatter(lambda x, _: f"{x / 1000:.0f}k")
        ax.grid(alpha=0.3)
        ax.set_ylim(bottom=0)
    axes[0][0].legend()
    fig.suptitle("Cost against corpus size (CLICK-ID replicated)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)

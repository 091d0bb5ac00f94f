"""The targets of the benchmark issue: one row each, and how they are read.

A row is the words the page shows, then a :class:`~bench.report_verdicts.Spec`:
the bound, how to read the measured value from the results JSON, how to show
it. A step's rows are judged only when the results hold that step. Targets
whose bound is itself measured (the best baseline's MRR@10, PySastrawi's
accuracy) get a row per test set or treebank found, from a function of the
results. The verdicts and the table: :mod:`bench.report_verdicts`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from bench.report_format import build_label, number, set_label
from bench.report_verdicts import (
    MB,
    MS,
    RATIO,
    SCORE,
    Read,
    Spec,
    Target,
    at_least,
    at_most,
)

# -- reading the results -----------------------------------------------------------


def _dig(found: Mapping[str, Any], *keys: str) -> Any:
    """The value at ``keys``, or ``None`` where one of them is missing.

    An engine or a figure missing from a step's results was not measured
    (a step run with fewer engines); the target then says so.
    """
    for key in keys[:-1]:
        found = found.get(key, {})
    return found.get(keys[-1])


def _whoosh_ratio(name: str) -> Read:
    return lambda build: build["seconds_ratio_to_whoosh"].get(name)


def _naive_speedup(name: str) -> Read:
    """How many times faster ``name`` builds than uncached Whoosh + PySastrawi."""

    def read(build: dict[str, Any]) -> float | None:
        naive = _dig(build["median"], "whoosh-sastrawi-naive", "seconds")
        own = _dig(build["median"], name, "seconds")
        return naive / own if naive and own else None

    return read


def _peak_rss(name: str, key: str) -> Read:
    return lambda build: _dig(build["median"], name, key)


def _latency(qset: str, percentile: str) -> Read:
    path = ("newsindex", qset, "with_snippets", "median", percentile)
    return lambda latency: _dig(latency["engines"], *path)


def _to_tantivy(qset: str) -> Read:
    """newsindex's p50 with snippets over tantivy's (its SnippetGenerator)."""

    def read(latency: dict[str, Any]) -> float | None:
        path = (qset, "with_snippets", "median", "p50_ms")
        own = _dig(latency["engines"], "newsindex", *path)
        theirs = _dig(latency["engines"], "tantivy", *path)
        return own / theirs if own and theirs else None

    return read


def _snippet_cost(qset: str) -> Read:
    return lambda latency: _dig(
        latency["engines"], "newsindex", qset, "snippet_ratio_p50"
    )


def _mrr(key: str) -> Read:
    return lambda relevance: _dig(relevance["sets"], key, "newsindex", "mrr@10")


def _paired_mrr(key: str, baseline: str) -> Read:
    return lambda relevance: relevance["newsindex_vs"][key][baseline]["newsindex_mrr10"]


def _accuracy(bank: str) -> Read:
    return lambda stemming: stemming["treebanks"][bank]["accuracy"]["newsindex"]


def _step(main: dict[str, Any] | None, step: str) -> Any:
    """The main run's results of ``step``, or ``None`` when it did not run."""
    return main[step] if main and step in main else None


@attrs.frozen
class Scales:
    """newsindex at the smallest and the largest scale of the growth run."""

    first: dict[str, Any]
    last: dict[str, Any]
    low: str
    tag: str


def _scales(growth: dict[str, Any] | None) -> Scales | None:
    """newsindex at both ends of the growth run, if it ran at two scales."""
    if not growth:
        return None
    scales = growth["scales"]
    top, low = max(scales, key=int), min(scales, key=int)
    first = scales[low]["engines"].get("newsindex")
    last = scales[top]["engines"].get("newsindex")
    if not (first and last and top != low):
        return None
    return Scales(
        first, last, low, f"{last['build']['runs'][0]['articles']:,} articles"
    )


def _path(found: dict[str, Any], keys: tuple[str, ...]) -> Any:
    # No default: ``_scales`` found newsindex at both ends, and a growth
    # measurement always holds these figures, so a missing one is a bad file.
    for key in keys:
        found = found[key]
    return found


def _growth(*keys: str) -> Read:
    """The value at ``keys``, at the largest scale over at the smallest."""
    return lambda scales: _path(scales.last, keys) / _path(scales.first, keys)


def _largest(*keys: str) -> Read:
    return lambda scales: _path(scales.last, keys)


# -- the targets -------------------------------------------------------------------

_NAIVE = "naive time extrapolated"

BUILD = {
    "Build, newsindex all cores / plain Whoosh": at_most(
        "0.55", RATIO, _whoosh_ratio("newsindex-parallel")
    ),
    "Build, newsindex 1 process / plain Whoosh": at_most(
        "1.0", RATIO, _whoosh_ratio("newsindex")
    ),
    f"Build, naive uncached Whoosh / {build_label('newsindex')}": at_least(
        "7", RATIO, _naive_speedup("newsindex"), _NAIVE
    ),
    f"Build, naive uncached Whoosh / {build_label('newsindex-parallel')}": at_least(
        "7", RATIO, _naive_speedup("newsindex-parallel"), _NAIVE
    ),
    # The second round's goals (within reach of compiled engines).
    "Cold build, all cores / plain Whoosh, second round": at_most(
        "0.15", RATIO, _whoosh_ratio("newsindex-parallel")
    ),
    "Cold build, 1 process / plain Whoosh, second round": at_most(
        "0.25", RATIO, _whoosh_ratio("newsindex")
    ),
    f"Peak RSS, 25k articles, {build_label('newsindex')}": at_most(
        "400",
        MB,
        _peak_rss("newsindex", "peak_rss_mb"),
        "articles preloaded by the harness",
    ),
    f"Peak RSS, 25k articles, {build_label('newsindex-ingest')}": at_most(
        "400",
        MB,
        _peak_rss("newsindex-ingest", "peak_rss_mb"),
        "streamed from the files",
    ),
    f"Peak RSS, 25k articles, {build_label('newsindex-parallel')}": at_most(
        "400",
        MB,
        _peak_rss("newsindex-parallel", "tree_peak_rss_mb"),
        "parent + workers, articles preloaded by the harness",
    ),
    f"Peak RSS, 25k articles, {build_label('newsindex-ingest-parallel')}": at_most(
        "400",
        MB,
        _peak_rss("newsindex-ingest-parallel", "tree_peak_rss_mb"),
        "parent + workers, streamed from the files",
    ),
}
LATENCY = {
    "Latency with snippets, short, p50": at_most("10", MS, _latency("short", "p50_ms")),
    "Latency with snippets, short, p99": at_most("50", MS, _latency("short", "p99_ms")),
    "Latency with snippets, headline, p50": at_most(
        "30", MS, _latency("headline", "p50_ms")
    ),
    "Latency with snippets, headline, p99": at_most(
        "150", MS, _latency("headline", "p99_ms")
    ),
    "Short queries with snippets, p50 / tantivy's, second round": at_most(
        "5", RATIO, _to_tantivy("short")
    ),
    "Headlines with snippets, p50 / tantivy's, second round": at_most(
        "5", RATIO, _to_tantivy("headline")
    ),
    "Snippets' cost, short (p50 with / without)": at_most(
        "1.30", RATIO, _snippet_cost("short")
    ),
    "Snippets' cost, headline (p50 with / without)": at_most(
        "1.30", RATIO, _snippet_cost("headline")
    ),
}


def growth_targets(scales: Scales) -> dict[str, Spec]:
    """The growth run's targets, named for its largest and smallest scale."""
    at, low = f"at {scales.tag}", f"at {scales.low}x"
    short_p50 = ("latency", "short", "with_snippets", "median", "p50_ms")
    return {
        f"Growth, build throughput {at} / {low}": at_least(
            "0.75", RATIO, _growth("build", "median", "articles_per_s")
        ),
        f"Growth, build throughput {at} / {low}, second round": at_least(
            "0.9", RATIO, _growth("build", "median", "articles_per_s")
        ),
        f"Growth, peak RSS {at}": Spec(
            "≤ 1 GiB",
            1024,
            at_most=True,
            read=_largest("build", "median", "tree_peak_rss_mb"),
            show=MB.show,
            note="parent + workers",
        ),
        f"Growth, short-query p50 {at} / {low}": at_most(
            "3", RATIO, _growth(*short_p50), "with snippets"
        ),
    }


RELEVANCE = {
    f"MRR@10, {set_label('clickid/test')}": at_least(
        "0.82", SCORE, _mrr("clickid/test")
    ),
    f"MRR@10, {set_label('facqa/test')}": at_least("0.83", SCORE, _mrr("facqa/test")),
    f"MRR@10, {set_label('indosum/test')}": at_least(
        "0.95", SCORE, _mrr("indosum/test")
    ),
}


def baseline_targets(relevance: dict[str, Any]) -> dict[str, Spec]:
    """newsindex's MRR@10 on each test set against the baseline that did best.

    Judged on the same queries (plain Whoosh runs a subset of the long sets):
    the baseline whose paired difference is worst.
    """
    out = {}
    for key, rows in relevance["sets"].items():
        if not key.endswith("/test") or "newsindex" not in rows:
            continue
        paired = relevance["newsindex_vs"].get(key, {})
        if not paired:
            continue
        worst = min(paired, key=lambda n: paired[n]["mrr10_diff"])
        diff = paired[worst]
        theirs = diff["newsindex_mrr10"] - diff["mrr10_diff"]
        subset = (
            f", on its {diff['queries']:,} queries"
            if diff["queries"] != rows["newsindex"].get("queries", diff["queries"])
            else ""
        )
        note = (
            f"paired difference {diff['mrr10_diff']:+.3f}, 95% CI "
            f"[{diff['ci95'][0]:+.3f}, {diff['ci95'][1]:+.3f}]"
        )
        out[f"MRR@10 ≥ every baseline, {set_label(key)}"] = Spec(
            f"≥ {theirs:.3f} ({worst}{subset})",
            theirs,
            at_most=False,
            read=_paired_mrr(key, worst),
            show=SCORE.show,
            note=note,
        )
    return out


def stemming_targets(stemming: dict[str, Any]) -> dict[str, Spec]:
    """The analyzer's accuracy on each treebank against PySastrawi's."""
    out = {}
    for bank, row in stemming["treebanks"].items():
        if "/" in bank:
            continue
        theirs = row["accuracy"]["pysastrawi"]
        out[f"Stemming accuracy, {bank} (indexed tokens)"] = Spec(
            f"≥ PySastrawi {theirs:.4f}",
            theirs,
            at_most=False,
            read=_accuracy(bank),
            show=lambda v: number(v, 4),
        )
    return out


Rows = Mapping[str, Spec] | Callable[[Any], Mapping[str, Spec]]

#: The targets in the page's order: the part of the results each step's rows
#: read ("growth": newsindex at both ends of the growth run), and the rows.
TARGETS: tuple[tuple[str, Rows], ...] = (
    ("build", BUILD),
    ("latency", LATENCY),
    ("growth", growth_targets),
    ("relevance", RELEVANCE),
    ("relevance", baseline_targets),
    ("stemming", stemming_targets),
)


def targets(main: dict[str, Any] | None, growth: dict[str, Any] | None) -> list[Target]:
    """Every target of the issue that the results can speak to."""
    out: list[Target] = []
    for step, rows in TARGETS:
        found = _scales(growth) if step == "growth" else _step(main, step)
        if found is None:
            continue
        specs = rows(found) if callable(rows) else rows
        out += [spec.judge(what, found) for what, spec in specs.items()]
    return out

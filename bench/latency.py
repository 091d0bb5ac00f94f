"""Query latency of newsindex and of the baselines, with and without snippets.

Searches the indexes of the build benchmark (25,420 CLICK-ID and IndoSum
articles, titles and bodies), top 10, with two query sets:

* ``headline``: the first ``--count`` CLICK-ID development headlines;
* ``short``: ``--count`` keyword queries of 2-4 words made from CLICK-ID
  development headlines and articles by :func:`bench.common.short_queries`.

Each engine runs in its own subprocess. After one warm-up pass over a set
(it loads the stemmer and fills the analyzer's cache with the words of the
result pages, as a long-running server's would be), ``--passes`` timed
passes follow; an engine that makes snippets (newsindex, tantivy) runs each
query with and without them, interleaved, so both modes see the same
conditions. Reported per set and mode: p50/p95/p99/mean of each pass, their
medians over the passes, and each query's median time.

Usage: ``python -m bench.latency [--count 1000] [--passes 3] [--engines a,b]``
(builds the indexes first), or ``--indexes DIR`` to search the indexes that
``python -m bench.build --keep DIR`` left.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.baselines import Searcher, get_engine
from bench.common import data_dir, percentiles, queries, ratio, run_measured
from bench.common import short_queries as make_short_queries
from newsindex import Analyzer

ENGINES = (
    "newsindex",
    "whoosh",
    "tantivy",
    "tantivy-stemmed",
    "bm25s-stemmed",
)
#: Where each engine's index comes from in the build benchmark's output
#: (newsindex is searched as a bulk load with all cores leaves it).
INDEX_OF = {"newsindex": "newsindex-parallel"}
#: Engines too slow for repeated passes over every query: (warm-up queries,
#: passes). Whoosh takes about 0.2 s per headline query here.
SLOW = {"whoosh": (100, 1)}
MODES = {True: "with_snippets", False: "without_snippets"}


def query_sets(count: int) -> dict[str, list[dict[str, Any]]]:
    """The two query sets, ``count`` queries each (records with qid and query)."""
    return {
        "headline": queries("clickid", "dev", count),
        "short": make_short_queries("clickid", "dev", count, Analyzer()),
    }


def _summary(times: list[list[float]]) -> dict[str, Any]:
    """Percentiles of each pass, their medians, and each query's median."""
    each = [percentiles(t) for t in times]
    per_query = [statistics.median(ts) * 1000 for ts in zip(*times, strict=True)]
    return {
        "passes": each,
        "median": {k: round(statistics.median(p[k] for p in each), 3) for k in each[0]},
        "per_query_ms": [round(t, 3) for t in per_query],
    }


def measure(
    searcher: Searcher,
    texts: list[str],
    passes: int,
    snippets: bool,
    warmup: int | None = None,
) -> dict[str, Any]:
    """Time every query ``passes`` times, after a warm-up pass, per mode.

    ``warmup`` limits the warm-up pass to the first queries.
    """
    modes = (True, False) if snippets else (False,)
    for text in texts[:warmup]:
        searcher.search(text, 10, modes[0])
    times = {mode: [[] for _ in range(passes)] for mode in modes}
    clock = time.perf_counter
    for n in range(passes):
        for text in texts:
            for mode in modes:
                started = clock()
                searcher.search(text, 10, mode)
                times[mode][n].append(clock() - started)
    report: dict[str, Any] = {
        "queries": len(texts),
        "passes": passes,
        "warmup": min(len(texts), warmup or len(texts)),
    }
    for mode in modes:
        report[MODES[mode]] = _summary(times[mode])
    if snippets:
        with_, without = (report[MODES[m]] for m in (True, False))
        extra = [
            a - b
            for a, b in zip(with_["per_query_ms"], without["per_query_ms"], strict=True)
        ]
        report["snippet_cost_median_ms"] = round(statistics.median(extra), 3)
        report["snippet_ratio_p50"] = ratio(
            with_["median"]["p50_ms"], without["median"]["p50_ms"]
        )
        report["snippet_ratio_p99"] = ratio(
            with_["median"]["p99_ms"], without["median"]["p99_ms"]
        )
    return report


def measure_one(name: str, folder: Path, query_file: Path, passes: int) -> None:
    """Measure one engine here and print its report (runs in the subprocess)."""
    engine = get_engine(name)
    texts = json.loads(query_file.read_text(encoding="utf-8"))
    searcher = engine.open(folder)
    warmup, passes = SLOW.get(name, (None, passes))
    report = {
        name_: measure(searcher, qs, passes, engine.snippets, warmup)
        for name_, qs in texts.items()
    }
    searcher.close()
    print(json.dumps(report))


def compare(
    engines: tuple[str, ...], indexes: Path, count: int, passes: int
) -> dict[str, Any]:
    """Every engine on the same queries, each in its own subprocess."""
    sets = query_sets(count)
    texts = {name: [q["query"] for q in qs] for name, qs in sets.items()}
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="nxbench-") as tmp:
        query_file = Path(tmp) / "queries.json"
        query_file.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
        for name in engines:
            folder = indexes / INDEX_OF.get(name, name)
            args = ["bench.latency", "--one", name, "--index", str(folder)]
            args += ["--queries", str(query_file), "--passes", str(passes)]
            report, rss = run_measured(args)
            report["searcher_peak_rss_mb"] = round(rss, 1)
            results[name] = report
            print(
                f"latency {name}: "
                + ", ".join(
                    f"{s} p50 {report[s][m]['median']['p50_ms']:.2f} ms ({m[:-9]})"
                    for s in texts
                    for m in MODES.values()
                    if m in report[s]
                ),
                file=sys.stderr,
                flush=True,
            )
    return {
        "queries": {name: len(qs) for name, qs in texts.items()},
        # The ids of the queries, in the order of per_query_ms (their text
        # is the shared data's, which stays out of the repository).
        "qids": {name: [q["qid"] for q in qs] for name, qs in sets.items()},
        "passes": passes,
        "k": 10,
        "engines": results,
        "p50_ratio_to_tantivy": _ratios(results, "tantivy"),
        "p50_ratio_to_whoosh": _ratios(results, "whoosh"),
    }


def _ratios(results: dict[str, Any], base: str) -> dict[str, Any]:
    """Each engine's p50 (no snippets) over ``base``'s, per query set."""
    if base not in results:
        return {}
    out: dict[str, Any] = {}
    for name, report in results.items():
        out[name] = {
            s: ratio(
                report[s]["without_snippets"]["median"]["p50_ms"],
                results[base][s]["without_snippets"]["median"]["p50_ms"],
            )
            for s in ("headline", "short")
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--indexes", type=Path, help="indexes of bench.build --keep")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--queries", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    data_dir()
    if args.one:
        measure_one(args.one, args.index, args.queries, args.passes)
        return
    engines = tuple(args.engines.split(","))
    if args.indexes:
        report = compare(engines, args.indexes, args.count, args.passes)
    else:
        from bench.build import run_one

        with tempfile.TemporaryDirectory(prefix="nxbench-") as tmp:
            for name in {INDEX_OF.get(e, e) for e in engines}:
                run_one(name, os.cpu_count() or 2, None, Path(tmp))
            report = compare(engines, Path(tmp), args.count, args.passes)
    report.pop("qids")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()

"""Build cost of newsindex and of the baselines, in the same run.

Every engine of :mod:`bench.baselines` indexes the same 25,420 articles
(CLICK-ID and IndoSum, titles and bodies; see
:func:`bench.common.build_articles`). Each build runs in a fresh subprocess
(cold caches, its own memory): the articles are read first, then the clock
runs from creating the index to its last commit. Reported per run: seconds,
articles/s, MB of text/s, index size on disk, and peak resident memory: the
process's own ``ru_maxrss``, its largest worker's, and the sampled peak of
the whole process tree (what a multi-process build needs at once). The
articles held in memory (about 80 MB) count in every engine's figure.

``whoosh-sastrawi-naive`` stems every token anew, so a full build would take
many minutes: it is timed on an evenly spaced subset (``--naive-subset``
articles) and its seconds are extrapolated linearly by text size, marked as
such; its index size and memory are the subset's.

The engines run interleaved, ``--repeat`` times each; the report gives the
median of each figure and its ratio to the median plain Whoosh build.

Usage: ``python -m bench.build [--repeat 3] [--engines a,b] [--jobs N]``;
``--keep DIR`` leaves each engine's last index in ``DIR/<engine>`` (the
latency benchmark searches them).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.baselines import get_engine
from bench.common import (
    BUILD_CORPORA,
    CORPORA,
    build_articles,
    data_dir,
    dir_bytes,
    median,
    peak_rss_mb,
    ratio,
    run_measured,
    text_bytes,
)

#: newsindex's bulk load from the files (``newsindex index``): the articles
#: are read as they are indexed, so its peak memory is the library's own.
INGEST = "newsindex-ingest"
#: The same on all cores (``newsindex index --jobs N``): the issue's parallel
#: build, whose workers are the tree's other processes.
INGEST_PARALLEL = "newsindex-ingest-parallel"
#: The engines built by default, the baseline of the ratios first.
ENGINES = (
    "whoosh",
    "newsindex",
    "newsindex-parallel",
    INGEST,
    INGEST_PARALLEL,
    "whoosh-sastrawi-naive",
    "tantivy",
    "tantivy-stemmed",
    "bm25s-stemmed",
)
#: Engines built once, in the last round (a memory figure more than a time).
ONCE = frozenset({INGEST, INGEST_PARALLEL})
#: Engines timed on a subset and extrapolated.
SUBSET_ENGINES = frozenset({"whoosh-sastrawi-naive"})
BASELINE = "whoosh"
FIGURES = (
    "seconds",
    "articles_per_s",
    "text_mb_per_s",
    "index_mb",
    "peak_rss_mb",
    "tree_peak_rss_mb",
    "harness_rss_mb",
)


def build_once(name: str, target: Path, jobs: int, subset: int | None) -> None:
    """Build one index here and print its figures (runs in the subprocess)."""
    if name in (INGEST, INGEST_PARALLEL):
        _ingest_once(name, target, jobs if name == INGEST_PARALLEL else 1)
        return
    engine = get_engine(name, jobs)
    full = build_articles()
    docs = build_articles(subset) if subset else full
    # What the harness holds before the build (interpreter, imports, the
    # articles): part of every engine's peak.
    before = peak_rss_mb()["self_mb"]
    started = time.perf_counter()
    engine.build(docs, target)
    seconds = time.perf_counter() - started
    rss = peak_rss_mb()
    nbytes = text_bytes(docs)
    report = _figures(name, docs, nbytes, seconds, target, rss, before)
    report.update(
        corpus_articles=len(full), corpus_text_mb=round(text_bytes(full) / 1e6, 2)
    )
    if subset:
        scale = text_bytes(full) / nbytes
        report.update(
            extrapolated=True,
            measured_seconds=seconds,
            seconds=seconds * scale,
            # A small index's fixed overhead does not scale: no estimate.
            index_mb=None,
            subset_index_mb=report["index_mb"],
        )
    print(json.dumps(report))


def _figures(
    name: str,
    docs: list[Any],
    nbytes: int,
    seconds: float,
    target: Path,
    rss: dict[str, float],
    before: float,
) -> dict[str, Any]:
    """The figures of one build; ``rss`` was read as soon as it ended."""
    return {
        "engine": name,
        "articles": len(docs),
        "text_mb": round(nbytes / 1e6, 2),
        "seconds": seconds,
        "articles_per_s": len(docs) / seconds,
        "text_mb_per_s": nbytes / 1e6 / seconds,
        "index_mb": dir_bytes(target) / 1e6,
        "peak_rss_mb": rss["self_mb"],
        "children_peak_rss_mb": rss["children_mb"],
        "harness_rss_mb": before,
    }


def _ingest_once(name: str, target: Path, jobs: int) -> None:
    """``newsindex index`` of the JSON Lines files: nothing is held in advance."""
    from newsindex import NewsIndex, ingest

    paths = [data_dir() / CORPORA[c][0] for c in BUILD_CORPORA]
    before = peak_rss_mb()["self_mb"]
    started = time.perf_counter()
    ingest(NewsIndex.create(target), paths, jobs=jobs)
    seconds = time.perf_counter() - started
    rss = peak_rss_mb()  # before loading the articles to count them
    docs = build_articles()
    nbytes = text_bytes(docs)
    report = _figures(name, docs, nbytes, seconds, target, rss, before)
    report.update(
        corpus_articles=len(docs),
        corpus_text_mb=round(nbytes / 1e6, 2),
    )
    print(json.dumps(report))


def run_one(name: str, jobs: int, subset: int | None, keep: Path | None) -> dict:
    """Build once in a subprocess; return its figures with the tree's peak RSS."""
    with tempfile.TemporaryDirectory(prefix="nxbench-") as tmp:
        target = Path(tmp) / "index"
        target.mkdir()
        args = ["bench.build", "--one", name, "--jobs", str(jobs)]
        args += ["--target", str(target)]
        if subset:
            args += ["--subset", str(subset)]
        report, tree_peak = run_measured(args)
        report["tree_peak_rss_mb"] = tree_peak
        if keep is not None:
            shutil.rmtree(keep / name, ignore_errors=True)
            keep.mkdir(parents=True, exist_ok=True)
            shutil.move(str(target), keep / name)
    return report


def compare(
    engines: tuple[str, ...],
    repeat: int,
    jobs: int,
    naive_subset: int,
    keep: Path | None = None,
) -> dict[str, Any]:
    """Interleaved repeated builds of every engine, with medians and ratios."""
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in engines}
    for round_ in range(repeat):
        last = round_ == repeat - 1
        for name in engines:
            if name in ONCE and not last:
                continue
            subset = naive_subset if name in SUBSET_ENGINES else None
            report = run_one(name, jobs, subset, keep if last else None)
            runs[name].append(report)
            print(
                f"build {name}: {report['seconds']:.1f} s"
                + (" (extrapolated)" if subset else ""),
                file=sys.stderr,
                flush=True,
            )
    medians = {
        name: {
            f: round(median(values), 3) if None not in values else None
            for f in FIGURES
            for values in [[r[f] for r in rs]]
        }
        for name, rs in runs.items()
    }
    base = medians.get(BASELINE, {}).get("seconds", 0.0)
    tantivy = medians.get("tantivy", {}).get("seconds", 0.0)
    first = runs[engines[0]][0]
    return {
        "articles": first["corpus_articles"],
        "text_mb": first["corpus_text_mb"],
        "repeat": repeat,
        "jobs": jobs,
        "naive_subset": naive_subset,
        "baseline": BASELINE,
        "runs": runs,
        "median": medians,
        "seconds_ratio_to_whoosh": {
            name: ratio(m["seconds"], base) for name, m in medians.items()
        },
        "seconds_ratio_to_tantivy": {
            name: ratio(m["seconds"], tantivy) for name, m in medians.items()
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--naive-subset", type=int, default=1000)
    parser.add_argument("--keep", type=Path, help="keep the last indexes here")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--target", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--subset", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    data_dir()
    if args.one:
        build_once(args.one, args.target, args.jobs, args.subset)
        return
    engines = tuple(args.engines.split(","))
    report = compare(engines, args.repeat, args.jobs, args.naive_subset, args.keep)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()

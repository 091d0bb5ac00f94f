"""Relevance of newsindex and of every baseline, on the same queries.

For each query set of ``../shared/data`` (body-only indexes, as the data
README prescribes), reports MRR@10, Recall@10 and Recall@100 on the tuning
split and on the test split, separately:

* ``clickid``: a publisher's headline finds its article (the first
  ``--limit`` queries of each split; ``dev`` is the tuning split);
* ``indosum``: a truncated lower-case headline slug finds its article;
* ``facqa``: a question finds its passage (``valid`` is the tuning split);
* ``clickid-short``, ``indosum-short``: 2-4 word keyword queries made from
  headlines whose words the article writes in another form (see
  :func:`bench.common.short_queries`);
* ``clickid-titled``: the setting of use, every CLICK-ID article indexed
  with its title, and 2-4 typed keywords from a title, a body, or both
  (``keywords-title``, ``keywords-body``, ``keywords-mixed``; see
  :mod:`bench.keywords`).

Every engine of :mod:`bench.baselines` indexes the same articles and runs the
same query texts, top 100; the test splits are for reporting only. Against
each baseline the report gives newsindex's difference in reciprocal rank
(cut at 10) with a paired bootstrap 95% interval, so that a difference can
be told from noise. ``whoosh-sastrawi`` stands for the naive build too: with
or without a cache the terms, hence the rankings, are the same. Plain
Whoosh runs only the first 300 queries of each CLICK-ID and IndoSum split
(:data:`SLOW`); its comparison with newsindex is on those queries.

The indexes are built and searched in subprocesses, ``--workers`` at a time
(relevance does not depend on timing, so they may share the cores).

Usage: ``python -m bench.relevance [--limit 1000] [--sets clickid,indosum,facqa]
[--engines a,b] [--workers 2]``; ``--cap N`` cuts every other set to its first
``N`` queries too (for trial runs).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from bench.baselines import Searcher, analyzer, get_engine
from bench.common import DEV_SPLIT, articles, data_dir, queries, short_queries
from bench.keywords import make_sets
from newsindex._evaluation import DEPTH, Evaluation, JudgedQuery

TEST_SPLIT = {"clickid": "test", "indosum": "test", "facqa": "test"}
#: Keyword queries per set and split in the titled setting.
KEYWORDS = 1_000
ENGINES = (
    "newsindex",
    "whoosh",
    "whoosh-sastrawi",
    "tantivy",
    "tantivy-stemmed",
    "bm25s-stemmed",
)
#: Engines built and searched in one subprocess (they share the analyzer's
#: cache, so the text is stemmed once for both stemmed baselines).
GROUPS = (
    ("whoosh",),
    ("whoosh-sastrawi",),
    ("newsindex",),
    ("tantivy", "tantivy-stemmed", "bm25s-stemmed"),
)
CORPORA = ("clickid", "indosum", "facqa", "clickid-titled")
#: Engines too slow for every headline and slug query (plain Whoosh takes
#: about 0.35 s per CLICK-ID headline at depth 100, its index holding every
#: Indonesian function word): they run the first this many of each split.
SLOW = {"whoosh": 300}


def judged(records: list[dict[str, Any]]) -> list[JudgedQuery]:
    return [
        JudgedQuery(r["qid"], r["query"], frozenset(r["relevant"]), r["split"])
        for r in records
    ]


def query_sets(corpus: str, limit: int | None) -> dict[str, list[JudgedQuery]]:
    """The query sets of one corpus, keyed ``<set>/<split>``."""
    if corpus == "clickid-titled":
        return {
            f"keywords-{name}/{split}": judged(qs)
            for split in ("dev", "test")
            for name, qs in make_sets(analyzer(), KEYWORDS, split).items()
        }
    dev, test = DEV_SPLIT[corpus], TEST_SPLIT[corpus]
    sets = {
        f"{corpus}/{dev}": judged(queries(corpus, dev, limit)),
        f"{corpus}/{test}": judged(queries(corpus, test, limit)),
    }
    if corpus in ("clickid", "indosum"):
        for split in ("dev", "test"):
            sets[f"{corpus}-short/{split}"] = judged(
                short_queries(corpus, split, min(limit or 1000, 1000), analyzer())
            )
    return sets


def evaluate(searcher: Searcher, qs: list[JudgedQuery]) -> Evaluation:
    """Search every query, top :data:`DEPTH`, and score the rankings."""
    import time

    ranks: list[tuple[str, int | None]] = []
    started = time.perf_counter()
    for q in qs:
        ids = searcher.search(q.query, DEPTH)
        rank = next((i + 1 for i, d in enumerate(ids) if d in q.relevant), None)
        ranks.append((q.qid, rank))
    seconds = time.perf_counter() - started
    n = len(ranks) or 1
    found = [r for _, r in ranks if r is not None]
    return Evaluation(
        len(ranks),
        sum(1 / r for r in found if r <= 10) / n,
        sum(1 for r in found if r <= 10) / n,
        len(found) / n,
        tuple(ranks),
        seconds,
    )


def run_group(names: tuple[str, ...], corpus: str, limit: int | None) -> None:
    """Build and evaluate engines on one corpus; print JSON (in the subprocess)."""
    if corpus == "clickid-titled":
        docs = articles("clickid", titles=True)
    else:
        docs = articles(corpus, titles=False)
    sets = query_sets(corpus, limit)
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="nxbench-") as tmp:
        for name in names:
            engine = get_engine(name, jobs=1, store=False)
            folder = Path(tmp) / name
            folder.mkdir()
            engine.build(docs, folder)
            searcher = engine.open(folder)
            out[name] = {}
            for set_name, qs in sets.items():
                cap = SLOW.get(name)
                short = ("facqa", f"{corpus}-short", "keywords")
                if cap and not set_name.startswith(short):
                    qs = qs[:cap]
                result = evaluate(searcher, qs)
                row = result.to_dict()
                # Reciprocal ranks cut at 10, for the paired comparison.
                row["rr10"] = [
                    round(1 / r, 4) if r and r <= 10 else 0 for _, r in result.ranks
                ]
                out[name][set_name] = row
            searcher.close()
    print(json.dumps(out))


def _paired(ours: list[float], theirs: list[float], seed: int = 11) -> dict:
    """Mean difference of reciprocal ranks with a paired bootstrap 95% interval."""
    diff = np.asarray(ours) - np.asarray(theirs)
    rng = np.random.default_rng(seed)
    means = rng.choice(diff, size=(2000, len(diff))).mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return {
        "queries": len(diff),
        "newsindex_mrr10": round(float(np.mean(ours)), 4),
        "mrr10_diff": round(float(diff.mean()), 4),
        "ci95": [round(float(low), 4), round(float(high), 4)],
    }


def compare(
    engines: tuple[str, ...],
    corpora: tuple[str, ...],
    limit: int | None,
    workers: int,
    cap: int | None = None,
) -> dict[str, Any]:
    """Every engine on every query set; metrics, and newsindex against each."""
    from bench.common import run_measured

    tasks = []
    for corpus in corpora:
        for group in GROUPS:
            names = tuple(n for n in group if n in engines)
            if names:
                tasks.append((names, corpus))
    # Longest first: CLICK-ID's Whoosh indexes dominate.
    order = {"clickid": 0, "clickid-titled": 1, "indosum": 2, "facqa": 3}
    tasks.sort(key=lambda t: (order.get(t[1], 3), t[0][0] != "whoosh"))

    def run(task: tuple[tuple[str, ...], str]) -> dict[str, Any]:
        names, corpus = task
        args = ["bench.relevance", "--one", ",".join(names), "--sets", corpus]
        if limit:
            args += ["--limit", str(limit)]
        if cap:
            args += ["--cap", str(cap)]
        report, _ = run_measured(args)
        report.pop("load", None)  # the tasks share the machine on purpose
        print(f"relevance {corpus}: {', '.join(names)} done", file=sys.stderr)
        return report

    metrics: dict[str, dict[str, Any]] = {}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for report in pool.map(run, tasks):
            for name, sets in report.items():
                for set_name, row in sets.items():
                    metrics.setdefault(set_name, {})[name] = row
    paired: dict[str, Any] = {}
    for set_name, rows in metrics.items():
        if "newsindex" not in rows:
            continue
        ours = rows["newsindex"]["rr10"]
        paired[set_name] = {
            # A capped engine ran the first queries of the set: compare on those.
            name: _paired(ours[: len(row["rr10"])], row["rr10"])
            for name, row in rows.items()
            if name != "newsindex"
        }
    for rows in metrics.values():
        for row in rows.values():
            del row["rr10"]
    ordered = dict(sorted(metrics.items()))
    return {
        "limit_clickid": limit,
        "limit_others": cap,
        "depth": DEPTH,
        "sets": ordered,
        "newsindex_vs": dict(sorted(paired.items())),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--limit", type=int, default=1000, help="queries per CLICK-ID split"
    )
    parser.add_argument("--sets", default=",".join(CORPORA))
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cap", type=int, help="queries per split of other sets")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    data_dir()
    corpora = tuple(args.sets.split(","))
    if args.one:
        limit = args.limit if corpora[0] == "clickid" else args.cap
        run_group(tuple(args.one.split(",")), corpora[0], limit)
        return
    report = compare(
        tuple(args.engines.split(",")), corpora, args.limit, args.workers, args.cap
    )
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()

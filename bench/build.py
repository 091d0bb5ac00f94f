"""Build time of newsindex against a plain Whoosh index, in the same run.

Each build runs in a fresh subprocess (cold caches, its own peak memory):

* ``whoosh``: Whoosh with its StandardAnalyzer (regex tokens, lower case,
  English stopwords; no stemming), title and body indexed and stored, the
  other fields as ID/STORED -- the floor cost of Whoosh itself;
* ``newsindex``: ``NewsIndex.add_many(articles)`` with the default analyzer
  (PySastrawi, cached), one process;
* ``newsindex-jobs``: the same with ``jobs`` worker processes.

Usage: ``python -m bench.build [--corpus clickid] [--repeat 3] [--jobs 2]``.
Prints one JSON object: raw seconds per run, medians, ratios to the median
Whoosh build, index sizes and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import REPO, articles, data_dir


def _build_whoosh(corpus: str, target: Path) -> None:
    from whoosh import fields, index
    from whoosh.analysis import StandardAnalyzer

    docs = articles(corpus)
    started = time.perf_counter()
    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=fields.TEXT(stored=True, analyzer=StandardAnalyzer()),
        body=fields.TEXT(stored=True, analyzer=StandardAnalyzer()),
        source=fields.ID(stored=True),
        category=fields.ID(stored=True),
        url=fields.STORED(),
    )
    ix = index.create_in(str(target), schema)
    writer = ix.writer(limitmb=256)
    for a in docs:
        writer.add_document(
            id=a.id,
            title=a.title,
            body=a.body,
            source=a.source,
            category=a.category,
            url=a.url,
        )
    writer.commit()
    _report(started, len(docs), docs, target)


def _build_newsindex(corpus: str, target: Path, jobs: int) -> None:
    from newsindex import NewsIndex

    docs = articles(corpus)
    started = time.perf_counter()
    index = NewsIndex.create(target)
    index.add_many(docs, jobs=jobs)
    assert index.count() == len({a.id for a in docs})
    _report(started, len(docs), docs, target)


def _report(started: float, count: int, docs: list[Any], target: Path) -> None:
    seconds = time.perf_counter() - started
    megabytes = sum(len(a.title) + len(a.body) for a in docs) / 1e6
    size = sum(p.stat().st_size for p in target.iterdir() if p.is_file())
    rss = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    print(
        json.dumps(
            {
                "seconds": seconds,
                "articles": count,
                "articles_per_s": count / seconds,
                "text_mb_per_s": megabytes / seconds,
                "index_mb": size / 1e6,
                "peak_rss_mb": rss / 1024,
            }
        )
    )


def run_one(kind: str, corpus: str, jobs: int) -> dict[str, Any]:
    """Build once in a subprocess and return its report."""
    with tempfile.TemporaryDirectory(prefix="nxbench-") as tmp:
        target = Path(tmp) / "index"
        target.mkdir()
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.build",
                "--one",
                kind,
                "--corpus",
                corpus,
                "--jobs",
                str(jobs),
                "--target",
                str(target),
            ],
            cwd=REPO,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return json.loads(out.strip().splitlines()[-1])


def compare(corpus: str, repeat: int, jobs: int) -> dict[str, Any]:
    """Interleaved repeated builds of every kind, with medians and ratios."""
    kinds = {"whoosh": 1, "newsindex": 1, f"newsindex-jobs{jobs}": jobs}
    runs: dict[str, list[dict[str, Any]]] = {k: [] for k in kinds}
    for _ in range(repeat):
        for kind, n in kinds.items():
            base = kind.split("-")[0]
            runs[kind].append(run_one(base, corpus, n))
            print(f"{kind}: {runs[kind][-1]['seconds']:.1f} s", file=sys.stderr)
    medians = {k: statistics.median(r["seconds"] for r in v) for k, v in runs.items()}
    return {
        "corpus": corpus,
        "repeat": repeat,
        "runs": runs,
        "median_seconds": {k: round(v, 2) for k, v in medians.items()},
        "ratio_to_whoosh": {
            k: round(v / medians["whoosh"], 3) for k, v in medians.items()
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="clickid")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--target", help=argparse.SUPPRESS)
    args = parser.parse_args()
    data_dir()
    if args.one == "whoosh":
        _build_whoosh(args.corpus, Path(args.target))
    elif args.one == "newsindex":
        _build_newsindex(args.corpus, Path(args.target), args.jobs)
    else:
        print(json.dumps(compare(args.corpus, args.repeat, args.jobs), indent=1))


if __name__ == "__main__":
    main()

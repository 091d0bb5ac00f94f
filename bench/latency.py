"""Query latency of newsindex, with and without snippets.

Builds the CLICK-ID corpus (titles included, as a news site would) into a
temporary index, then runs, top 10:

* the first ``--count`` development headline queries, and
* ``--count`` short keyword queries (2-4 words) made from development
  headlines by :func:`bench.common.short_queries`,

after a warm-up pass over the same queries, each twice in the same process,
interleaved: with snippets and without. Prints p50/p95/p99 per set and mode,
and the median cost of snippets.

Usage: ``python -m bench.latency [--count 1000]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import articles, data_dir, percentiles, queries, short_queries
from newsindex import NewsIndex


def measure(index: NewsIndex, texts: list[str]) -> dict[str, Any]:
    """Latency with and without snippets, interleaved query by query."""
    with_snippets, without = [], []
    # Warm-up: one pass loads the stemmer and fills the analyzer's cache with
    # the words of the result pages, as a long-running server's would be.
    for text in texts:
        index.search(text, limit=10)
    for text in texts:
        for snippets, sink in ((True, with_snippets), (False, without)):
            started = time.perf_counter()
            index.search(text, limit=10, snippets=snippets)
            sink.append(time.perf_counter() - started)
    extra = [a - b for a, b in zip(with_snippets, without, strict=True)]
    return {
        "queries": len(texts),
        "with_snippets": percentiles(with_snippets),
        "without_snippets": percentiles(without),
        "snippet_cost_median_ms": round(statistics.median(extra) * 1000, 2),
        "snippet_cost_ratio": round(
            statistics.median(with_snippets) / statistics.median(without), 3
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()
    data_dir()
    with tempfile.TemporaryDirectory(prefix="nxbench-") as tmp:
        index = NewsIndex.create(Path(tmp) / "index")
        index.add_many(articles("clickid"), jobs=2)
        headlines = [q["query"] for q in queries("clickid", "dev", args.count)]
        short = [
            q["query"]
            for q in short_queries("clickid", "dev", args.count, index.analyzer)
        ]
        report = {
            "corpus": "clickid (titles and bodies)",
            "articles": index.count(),
            "headline": measure(index, headlines),
            "short": measure(index, short),
        }
        index.close()
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()

"""What each part of the ranking adds, on the development splits only.

Builds body-only newsindex indexes of FacQA, IndoSum and CLICK-ID (as
:mod:`bench.relevance` does) and prints MRR@10 for BM25F alone, with
proximity and lead, and with coordination too (the defaults), as the
Markdown table of the README's "Ranking and relevance" section. Test splits
are never read here.

Usage: ``python -m bench.ablation [--clickid 1000]``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from bench.common import data_dir, queries, records, short_queries
from newsindex import Analyzer, Article, NewsIndex, Ranking

RANKINGS = {
    "BM25F alone": Ranking(coordination=0, proximity=0, lead=0),
    "+ proximity, lead": Ranking(coordination=0),
    "+ coordination (the defaults)": Ranking(),
}


def build(corpus: str, folder: Path) -> Path:
    """A body-only index of ``corpus`` (titles dropped, as the queries are)."""
    path = folder / corpus
    index = NewsIndex.create(path)
    with index.writer() as writer:
        for record in records(corpus):
            writer.add(Article.from_dict({**record, "title": None}))
    index.close()
    return path


def mrr_at_10(path: Path, judged: list[dict[str, Any]], ranking: Ranking) -> float:
    """Mean reciprocal rank of each query's relevant article in the top 10."""
    index = NewsIndex.open(path, ranking=ranking)
    total = 0.0
    for query in judged:
        ids = [
            h.id for h in index.search(query["query"], limit=10, snippets=False).hits
        ]
        relevant = query["relevant"][0]
        if relevant in ids:
            total += 1 / (ids.index(relevant) + 1)
    index.close()
    return total / len(judged)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ablation")
    parser.add_argument("--clickid", type=int, default=1000, help="dev headlines")
    args = parser.parse_args()
    data_dir()
    analyzer = Analyzer()
    sets = {
        "FacQA valid": ("facqa", queries("facqa", "valid")),
        "IndoSum slug dev": ("indosum", queries("indosum", "dev")),
        "CLICK-ID dev": ("clickid", queries("clickid", "dev", args.clickid)),
        "short, CLICK-ID dev": (
            "clickid",
            short_queries("clickid", "dev", 1000, analyzer),
        ),
        "short, IndoSum dev": (
            "indosum",
            short_queries("indosum", "dev", 1000, analyzer),
        ),
    }
    with tempfile.TemporaryDirectory(prefix="nxablation-") as tmp:
        paths = {c: build(c, Path(tmp)) for c in ("facqa", "indosum", "clickid")}
        print("| ranking | " + " | ".join(sets) + " |")
        print("|---" * (len(sets) + 1) + "|")
        for name, ranking in RANKINGS.items():
            row = [mrr_at_10(paths[c], judged, ranking) for c, judged in sets.values()]
            print(f"| {name} | " + " | ".join(f"{x:.3f}" for x in row) + " |")
        print("queries: " + ", ".join(f"{k} {len(v[1])}" for k, v in sets.items()))


if __name__ == "__main__":
    main()

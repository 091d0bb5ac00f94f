"""What each part of the ranking adds, in both settings, on development splits.

*Body-only*: FacQA, IndoSum and CLICK-ID indexed without titles, with the
public queries (made from titles, as the data README prescribes) and the
short queries of :func:`bench.common.short_queries`. *Titles indexed* (the
setting of use): every CLICK-ID article with its title, and the keyword sets
of :mod:`bench.keywords` (2-4 typed words from the title, the body, or both).
Prints MRR@10 as the Markdown table of the README's "Ranking and relevance"
section: BM25F alone, with proximity and lead, with coordination too (the
defaults), and the defaults with each changed choice undone. Test splits are
never read here.

Usage: ``python -m bench.ablation [--clickid 1000] [--keywords 1000]``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from bench.common import data_dir, queries, records, short_queries
from bench.keywords import make_sets
from newsindex import Analyzer, Article, NewsIndex, Ranking

RANKINGS = {
    "BM25F alone": Ranking(coordination=0, proximity=0, lead=0),
    "+ proximity, lead": Ranking(coordination=0),
    "+ coordination (the defaults)": Ranking(),
    "defaults, title weight 2 (before)": Ranking(title_weight=2.0),
    "defaults, lead for titled articles too (before)": Ranking(lead_with_title=True),
}


def build(corpus: str, folder: Path, *, titles: bool) -> Path:
    """An index of ``corpus``, with its titles or body-only."""
    path = folder / f"{corpus}-{'titled' if titles else 'body'}"
    index = NewsIndex.create(path)
    with index.writer() as writer:
        for record in records(corpus):
            if not titles:
                record = {**record, "title": None}
            writer.add(Article.from_dict(record))
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
    parser.add_argument("--keywords", type=int, default=1000, help="per keyword set")
    args = parser.parse_args()
    data_dir()
    analyzer = Analyzer()
    keywords = make_sets(analyzer, args.keywords, "dev")
    sets = {
        "FacQA valid": ("facqa", False, queries("facqa", "valid")),
        "IndoSum slug dev": ("indosum", False, queries("indosum", "dev")),
        "CLICK-ID dev": ("clickid", False, queries("clickid", "dev", args.clickid)),
        "short, CLICK-ID dev": (
            "clickid",
            False,
            short_queries("clickid", "dev", 1000, analyzer),
        ),
        "short, IndoSum dev": (
            "indosum",
            False,
            short_queries("indosum", "dev", 1000, analyzer),
        ),
        **{
            f"titled: {name} words": ("clickid", True, judged)
            for name, judged in keywords.items()
        },
    }
    with tempfile.TemporaryDirectory(prefix="nxablation-") as tmp:
        needed = {(corpus, titles) for corpus, titles, _ in sets.values()}
        paths = {
            (corpus, titles): build(corpus, Path(tmp), titles=titles)
            for corpus, titles in sorted(needed)
        }
        print("| ranking | " + " | ".join(sets) + " |")
        print("|---" * (len(sets) + 1) + "|")
        for name, ranking in RANKINGS.items():
            row = [
                mrr_at_10(paths[corpus, titles], judged, ranking)
                for corpus, titles, judged in sets.values()
            ]
            print(f"| {name} | " + " | ".join(f"{x:.3f}" for x in row) + " |")
        print("queries: " + ", ".join(f"{k} {len(v[2])}" for k, v in sets.items()))


if __name__ == "__main__":
    main()

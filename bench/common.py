"""Shared helpers for the benchmarks: data locations, corpora, query sets.

The data lives beside the repository in ``../shared/data`` (override with
``NEWSINDEX_DATA``); it is never copied into the repository. When it is
missing, :func:`data_dir` exits with a clear message.
"""

from __future__ import annotations

import json
import os
import random
import re
import statistics
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from newsindex import Analyzer, Article

REPO = Path(__file__).resolve().parents[1]

#: corpus name -> (articles file, queries file, query filter)
CORPORA = {
    "clickid": ("clickid/articles.jsonl", "clickid/queries.jsonl", "headline"),
    "indosum": (
        "indosum/articles.jsonl",
        "indosum/queries.jsonl",
        "title_slug_truncated",
    ),
    "facqa": ("facqa/passages.jsonl", "facqa/queries.jsonl", None),
}
#: The split each corpus is tuned on.
DEV_SPLIT = {"clickid": "dev", "indosum": "dev", "facqa": "valid"}


def data_dir() -> Path:
    """The shared data folder, or exit with a message saying it is missing."""
    path = Path(os.environ.get("NEWSINDEX_DATA", REPO.parent / "shared" / "data"))
    if not (path / "clickid" / "articles.jsonl").exists():
        sys.exit(
            f"benchmark data not found at {path}: these benchmarks read the "
            "shared corpora (set NEWSINDEX_DATA to their folder)"
        )
    return path


def records(corpus: str) -> Iterator[dict[str, Any]]:
    """The raw JSON records of a corpus's articles."""
    with open(data_dir() / CORPORA[corpus][0], encoding="utf-8") as lines:
        for line in lines:
            yield json.loads(line)


def articles(corpus: str, *, titles: bool = True) -> list[Article]:
    """A corpus as Articles; ``titles=False`` drops titles (the body-only task)."""
    out = []
    for record in records(corpus):
        if not titles:
            record["title"] = None
        out.append(Article.from_dict(record))
    return out


def queries(corpus: str, split: str, limit: int | None = None) -> list[dict[str, Any]]:
    """Judged queries of one split, in file order."""
    kind = CORPORA[corpus][2]
    out = []
    with open(data_dir() / CORPORA[corpus][1], encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if record["split"] != split:
                continue
            if kind and record.get("query_type", kind) != kind:
                continue
            out.append(record)
            if limit and len(out) >= limit:
                break
    return out


_WORD = re.compile(r"[^\W\d_]+")


def short_queries(
    corpus: str, split: str, count: int, analyzer: Analyzer, seed: int = 7
) -> list[dict[str, Any]]:
    """Short keyword queries (2-4 words) whose words the article writes differently.

    From each headline of the split (in a seeded random order), keep the
    words whose stem occurs in the article's body; take at least one word
    whose exact form does *not* occur in the body (so that only matching by
    stem finds it: ``naik`` for ``kenaikan``), fill up to 2-4 words with the
    others, and keep the headline's word order. The relevant article is the
    headline's. (IndoSum slugs lose their last word, which the slug may cut.)
    """
    rng = random.Random(seed)
    bodies = {r["id"]: r["body"] for r in records(corpus)}
    source = queries(corpus, split)
    rng.shuffle(source)
    out = []
    for record in source:
        body = bodies[record["relevant"][0]]
        forms = {w.lower() for w in _WORD.findall(body)}
        stems = set(analyzer.terms(body))
        words = [w.lower() for w in _WORD.findall(record["query"])]
        if corpus == "indosum":
            words = words[:-1]
        different, same = [], []
        for word in dict.fromkeys(words):
            term = analyzer.term(word)
            if term and term in stems and len(word) >= 3:
                (same if word in forms else different).append(word)
        if not different:
            continue
        size = rng.choice((2, 3, 4))
        picked = different[: rng.choice((1, 2, size))]
        picked += rng.sample(same, min(len(same), max(0, size - len(picked))))
        if len(picked) < 2:
            continue
        picked.sort(key=words.index)
        out.append(
            {
                "qid": f"{record['qid']}-short",
                "query": " ".join(picked),
                "relevant": record["relevant"],
                "split": split,
            }
        )
        if len(out) >= count:
            break
    return out


def percentiles(seconds: list[float]) -> dict[str, float]:
    """p50/p95/p99 and mean, in milliseconds."""
    ordered = sorted(seconds)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return {
        "p50_ms": round(at(0.50), 2),
        "p95_ms": round(at(0.95), 2),
        "p99_ms": round(at(0.99), 2),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 2),
    }

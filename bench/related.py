"""Related articles: does ``NewsIndex.related`` find the same story, and how fast.

There are no judged "related" pairs in the shared data, so two measures,
each against baselines on the same articles:

* *planted rewrite*: for sampled CLICK-ID articles (at least four sentences
  and a headline), a rewrite of the same story is added to the index, made
  here reproducibly (seeded): every other sentence kept, each with its
  words swapped in pairs (so no three-word run survives: it is not a
  near-copy), and a headline of half the original's words in reverse order,
  from another source. The measure is where the rewrite ranks among the
  article's related articles: in the top 3, and MRR@10. It stands for
  another outlet's account of the same event: the same names, places and
  numbers in other sentences.
* *real neighbours*: of the top 10 (planted articles left out), the share in
  the article's own category (lower-cased; categories are per publisher, so
  this is a floor) and the share published within three days of it.
  Baselines: the headline searched as a query (the article itself left
  out), and chance (a random article's).

Settings (the number of terms and the weight of the title) are chosen on
development articles (whose headline query is in the ``dev`` split) and
then reported once on test articles. Latency is the p50/p95 of ``related``
with the chosen setting, top 10.

Usage: ``python -m bench.related [--articles 200] [--json FILE]``. Prints
JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import random
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.common import data_dir, dump_json, percentiles, queries, records
from bench.duplicates import jaccard, sentences, shingles
from newsindex import Article, NewsIndex
from newsindex import _related as related_module

SEED = 20241201
TERMS = (10, 15, 20, 30)
TITLE_WEIGHTS = (1.0, 2.0, 4.0)
NEAR_DAYS = 3


def rewrite(record: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """Another account of ``record``'s story (see the module docstring)."""
    kept = sentences(record["body"])[1::2]
    swapped = []
    for sentence in kept:
        words = sentence.split()
        for i in range(0, len(words) - 1, 2):
            words[i], words[i + 1] = words[i + 1], words[i]
        swapped.append(" ".join(words))
    title = record["title"].split()
    half = sorted(rng.sample(range(len(title)), max(2, len(title) // 2)))
    return {
        **record,
        "id": f"{record['id']}-rewrite",
        "title": " ".join(title[i] for i in reversed(half)),
        "body": " ".join(swapped),
        "source": "Planted Rewrite",
        "url": f"https://planted.example/rewrite/{record['id']}",
    }


def sample(data: list[dict[str, Any]], split: str, count: int) -> list[dict]:
    ids = {q["relevant"][0] for q in queries("clickid", split)}
    eligible = [
        r
        for r in data
        if r["id"] in ids
        and r["title"]
        and len(r["title"].split()) >= 4
        and len(sentences(r["body"])) >= 4
    ]
    return random.Random(f"{SEED}-{split}").sample(eligible, count)


def _date(record: dict[str, Any]) -> dt.date | None:
    return dt.date.fromisoformat(record["date"]) if record.get("date") else None


def neighbours(
    found: list[str], original: dict[str, Any], by_id: dict[str, Any]
) -> tuple[float, float]:
    """Shares of ``found`` (planted articles left out) in the original's
    category, and published within :data:`NEAR_DAYS` of it."""
    real = [by_id[i] for i in found if by_id[i]["source"] != "Planted Rewrite"][:10]
    if not real:
        return 0.0, 0.0
    category = (original.get("category") or "").lower()
    same = sum((r.get("category") or "").lower() == category for r in real)
    day = _date(original)
    near = sum(
        day is not None
        and _date(r) is not None
        and abs((_date(r) - day).days) <= NEAR_DAYS  # type: ignore[operator]
        for r in real
    )
    return same / len(real), near / len(real)


def evaluate(
    index: NewsIndex, originals: list[dict], by_id: dict[str, Any], how: str
) -> dict[str, Any]:
    """The measures over ``originals``, with ``related`` or the headline."""
    top3, reciprocal, categories, near, seconds = 0, 0.0, [], [], []
    for original in originals:
        started = time.perf_counter()
        if how == "related":
            found = [hit.id for hit in index.related(original["id"], limit=10)]
        else:
            hits = index.search(original["title"], limit=11, snippets=False)
            found = [hit.id for hit in hits if hit.id != original["id"]][:10]
        seconds.append(time.perf_counter() - started)
        target = f"{original['id']}-rewrite"
        if target in found:
            rank = found.index(target) + 1
            top3 += rank <= 3
            reciprocal += 1.0 / rank
        same, close = neighbours(found, original, by_id)
        categories.append(same)
        near.append(close)
    n = len(originals)
    return {
        "rewrite_in_top_3": round(top3 / n, 3),
        "rewrite_mrr_at_10": round(reciprocal / n, 3),
        "same_category_top_10": round(statistics.fmean(categories), 3),
        f"within_{NEAR_DAYS}_days_top_10": round(statistics.fmean(near), 3),
        "latency": percentiles(seconds),
    }


def chance(data: list[dict[str, Any]], originals: list[dict]) -> dict[str, float]:
    """The same shares for random articles."""
    counts = Counter((r.get("category") or "").lower() for r in data)
    days = Counter(r.get("date") for r in data)
    same, near = [], []
    for original in originals:
        same.append(counts[(original.get("category") or "").lower()] / len(data))
        day = _date(original)
        window = (
            sum(
                days[(day + dt.timedelta(d)).isoformat()]
                for d in range(-NEAR_DAYS, NEAR_DAYS + 1)
            )
            if day
            else 0
        )
        near.append(window / len(data))
    return {
        "same_category_top_10": round(statistics.fmean(same), 3),
        f"within_{NEAR_DAYS}_days_top_10": round(statistics.fmean(near), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=200, help="per split")
    parser.add_argument("--json", type=Path, default=None, help="also write here")
    args = parser.parse_args()
    data_dir()
    data = list(records("clickid"))
    rng = random.Random(SEED)
    originals = {s: sample(data, s, args.articles) for s in ("dev", "test")}
    rewrites = [rewrite(r, rng) for r in itertools.chain(*originals.values())]
    by_id = {r["id"]: r for r in data + rewrites}
    similarity = sorted(
        jaccard(shingles(r), shingles(by_id[r["id"].removesuffix("-rewrite")]))
        for r in rewrites
    )
    report: dict[str, Any] = {
        "articles_per_split": args.articles,
        "rewrite_exact_jaccard_max": round(similarity[-1], 3),
    }
    chosen = (related_module.RELATED_TERMS, related_module.TITLE_WEIGHT)
    with tempfile.TemporaryDirectory() as folder:
        index = NewsIndex.create(Path(folder) / "index")
        index.add_many([Article.from_dict(dict(r)) for r in data + rewrites], jobs=2)
        for r in originals["dev"][:20]:  # warm the caches
            index.related(r["id"])
        grid = []
        for terms, weight in itertools.product(TERMS, TITLE_WEIGHTS):
            related_module.RELATED_TERMS = terms  # type: ignore[misc]
            related_module.TITLE_WEIGHT = weight  # type: ignore[misc]
            row = evaluate(index, originals["dev"], by_id, "related")
            grid.append({"terms": terms, "title_weight": weight, **row})
        related_module.RELATED_TERMS, related_module.TITLE_WEIGHT = chosen  # type: ignore[misc]
        report["dev_grid"] = grid
        for split, chosen_originals in originals.items():
            report[split] = {
                "related": evaluate(index, chosen_originals, by_id, "related"),
                "headline_search": evaluate(index, chosen_originals, by_id, "title"),
                "chance": chance(data, chosen_originals),
            }
        index.close()
    report["chosen"] = {"terms": chosen[0], "title_weight": chosen[1]}
    if args.json is not None:
        dump_json(report, args.json)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()

"""Near-copy collapsing: how well it groups copies, and what it costs.

The index holds every CLICK-ID article plus *planted copies* of development
articles (articles whose headline query is in the ``dev`` split), made here
reproducibly (seeded) the way syndication changes a story:

* *light*: the headline reworded (its words rotated, one dropped), one
  sentence of the body dropped, another source, id and address;
* *heavy*: the same, with two sentences dropped, a dateline put in front
  (``JAKARTA, Planted Wire -``) and a ``Baca juga:`` line with another
  article's headline at the end.

Originals are drawn among development articles with at least four sentences.
The report:

1. *threshold sweep* over the development articles and their copies (the
   detector of ``newsindex._duplicates`` on the index as built): recall
   (copies grouped with their original), wrong groupings of copies, and real
   article pairs grouped, with their exact shingle Jaccard similarity;
2. *real near-copies* among the first 3,000 CLICK-ID articles: the pairs the
   detector groups, with their exact similarity (``--show N`` prints the
   headlines of the N least similar to stderr, for checking by hand), and
   its recall of the pairs whose exact Jaccard similarity is at least 0.8;
3. *in search*: each planted original's headline searched with
   ``collapse=True``: the pair is shown once, the other in ``duplicates``;
4. *cost*: the signature per article, and a build of 3,000 articles in one
   process with and without the signature feature; the latency of 1,000
   short development queries (``bench.common.short_queries``) and 1,000
   development headlines with collapse off and on, alternating query by
   query. ``--baseline-tree DIR`` (a copy of the ``newsindex`` package
   without the feature and the search hook, or ``git archive HEAD
   newsindex``) also times collapse-off searches and ``newsindex index
   --jobs 2`` of all CLICK-ID in subprocesses, alternating with the current
   tree.

Usage: ``python -m bench.duplicates [--planted 300] [--show 40]
[--baseline-tree DIR] [--rounds 3] [--build-articles 3000] [--json FILE]``.
Prints JSON (ids and figures, no text of the data).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import (
    REPO,
    data_dir,
    dump_json,
    percentiles,
    queries,
    records,
    short_queries,
)
from newsindex import Analyzer, Article, NewsIndex
from newsindex import _duplicates as duplicates
from newsindex._duplicates import THRESHOLD, leaders
from newsindex._registry import FEATURES
from newsindex._signatures import (
    SHINGLE_WORDS,
    Signatures,
    article_signature,
    words_of,
)

THRESHOLDS = (0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)
DEFAULT_BANDS = duplicates.BANDS
BAND_COUNTS = (8, 16)
_SENTENCE = re.compile(r"(?<=[.!?])[\s,]+(?=\S)")
SEED = 20241130


# -- planted copies --------------------------------------------------------------


def sentences(body: str) -> list[str]:
    return [s.strip(" ,") for s in _SENTENCE.split(body) if s.strip(" ,")]


def plant(record: dict[str, Any], rng: random.Random, heavy: bool, other: str) -> dict:
    """A syndicated copy of ``record`` (see the module docstring)."""
    parts = sentences(record["body"])
    for _ in range(2 if heavy else 1):
        parts.pop(rng.randrange(1, len(parts)))
    body = " ".join(parts)
    if heavy:
        body = f"JAKARTA, Planted Wire - {body} Baca juga: {other}"
    words = record["title"].split()
    cut = rng.randrange(1, len(words)) if len(words) > 1 else 0
    words = words[cut:] + words[:cut]
    if len(words) > 4:
        words.pop(rng.randrange(len(words)))
    kind = "heavy" if heavy else "light"
    return {
        **record,
        "id": f"{record['id']}-{kind}-copy",
        "title": " ".join(words),
        "body": body,
        "source": "Planted Wire",
        "url": f"https://planted.example/{record['id']}",
    }


def planted_copies(
    data: list[dict[str, Any]], dev: set[str], count: int
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """``count`` light and ``count`` heavy copies; copy id -> original id."""
    rng = random.Random(SEED)
    eligible = [
        r
        for r in data
        if r["id"] in dev and r["title"] and len(sentences(r["body"])) >= 4
    ]
    picked = rng.sample(eligible, 2 * count)
    copies, original = [], {}
    for i, record in enumerate(picked):
        other = rng.choice(data)["title"] or ""
        copy = plant(record, rng, heavy=i >= count, other=other)
        copies.append(copy)
        original[copy["id"]] = record["id"]
    return copies, original


# -- exact similarity ------------------------------------------------------------------


def shingles(record: dict[str, Any]) -> set[tuple[bytes, ...]]:
    """The shingles the signature is made of (body; title too if short)."""

    def of(text: str) -> set[tuple[bytes, ...]]:
        w = words_of(text)
        return {
            tuple(w[i : i + SHINGLE_WORDS]) for i in range(len(w) - SHINGLE_WORDS + 1)
        }

    found = of(record["body"])
    if len(found) < 8 and record.get("title"):
        found = of(f"{record['title']}\n{record['body']}")
    return found


def jaccard(a: set[Any], b: set[Any]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def exact_pairs(recs: list[dict[str, Any]], at_least: float) -> set[tuple[int, int]]:
    """Index pairs of ``recs`` with exact Jaccard >= ``at_least`` (brute force
    through shared shingles)."""
    sets = [shingles(r) for r in recs]
    holders: dict[tuple[bytes, ...], list[int]] = defaultdict(list)
    for i, s in enumerate(sets):
        for shingle in s:
            holders[shingle].append(i)
    seen: set[tuple[int, int]] = set()
    for group in holders.values():
        if len(group) <= 200:  # boilerplate shared by hundreds proves nothing
            seen.update(itertools.combinations(group, 2))
    return {p for p in seen if jaccard(sets[p[0]], sets[p[1]]) >= at_least}


# -- the index -------------------------------------------------------------------------


def locate(index: NewsIndex) -> dict[str, tuple[int, int]]:
    """Article id -> (segment index, document number) in the latest commit."""
    snapshot = index._engine._current()
    where = {}
    for si, segment in enumerate(snapshot.segments):
        for docnum in np.flatnonzero(segment.live).tolist():
            where[segment.stored(docnum)["id"]] = (si, docnum)
    return where


def group_heads(
    index: NewsIndex,
    where: dict[str, tuple[int, int]],
    ids: list[str],
    threshold: float,
) -> dict[str, str]:
    """Each of ``ids`` -> the id heading its group (in the order of ``ids``)."""
    rows = np.array([where[i] for i in ids], dtype=np.int64).reshape(-1, 2)
    head = leaders(
        index._engine._current(), rows[:, 0], rows[:, 1], np.arange(len(ids)), threshold
    )
    return {ids[i]: ids[h] for i, h in enumerate(head.tolist())}


def sweep(
    index: NewsIndex,
    where: dict[str, tuple[int, int]],
    data: list[dict[str, Any]],
    dev: set[str],
    original: dict[str, str],
) -> list[dict[str, Any]]:
    by_id = {r["id"]: r for r in data}
    ids = [r["id"] for r in data if r["id"] in dev or r["id"] in original]
    out = []
    for bands, threshold in itertools.product(BAND_COUNTS, THRESHOLDS):
        duplicates.BANDS = bands
        heads = group_heads(index, where, ids, threshold)
        row: dict[str, Any] = {"bands": bands, "threshold": threshold}
        for kind in ("light", "heavy"):
            mine = [c for c in original if f"-{kind}-" in c]
            same = sum(heads[c] == heads[original[c]] for c in mine)
            wrong = sum(heads[c] != c and heads[c] != heads[original[c]] for c in mine)
            row[f"{kind}_recall"] = round(same / len(mine), 3)
            row[f"{kind}_wrong_group"] = wrong
        real = [
            (i, h)
            for i, h in heads.items()
            if h != i and i not in original and h not in original
        ]
        sims = [jaccard(shingles(by_id[i]), shingles(by_id[h])) for i, h in real]
        row["real_pairs_grouped"] = len(real)
        row["real_pairs_exact_jaccard_below_0.5"] = sum(s < 0.5 for s in sims)
        row["real_pairs_exact_jaccard_min"] = round(min(sims), 3) if sims else None
        out.append(row)
    duplicates.BANDS = DEFAULT_BANDS
    return out


def planted_similarity(
    by_id: dict[str, dict[str, Any]], original: dict[str, str]
) -> dict[str, Any]:
    """Exact shingle Jaccard of each kind of planted copy with its original."""
    out = {}
    for kind in ("light", "heavy"):
        sims = sorted(
            jaccard(shingles(by_id[c]), shingles(by_id[o]))
            for c, o in original.items()
            if f"-{kind}-" in c
        )
        out[kind] = {
            "p10": round(sims[len(sims) // 10], 3),
            "median": round(sims[len(sims) // 2], 3),
            "p90": round(sims[9 * len(sims) // 10], 3),
        }
    return out


def first_articles(
    index: NewsIndex,
    where: dict[str, tuple[int, int]],
    data: list[dict[str, Any]],
    count: int,
    show: int,
) -> dict[str, Any]:
    recs = data[:count]
    ids = [r["id"] for r in recs]
    heads = group_heads(index, where, ids, THRESHOLD)
    grouped = [(i, h) for i, h in heads.items() if h != i]
    position = {i: n for n, i in enumerate(ids)}
    exact = exact_pairs(recs, 0.8)
    in_pairs = {i for p in exact for i in p}
    found = sum(heads[ids[a]] == heads[ids[b]] for a, b in exact)
    report = {
        "articles": count,
        "pairs_grouped": len(grouped),
        "articles_in_groups": len({x for p in grouped for x in p}),
        "exact_jaccard_0.8_pairs": len(exact),
        "exact_jaccard_0.8_articles": len(in_pairs),
        "exact_jaccard_0.8_pairs_grouped": found,
    }
    pairs = []
    for i, h in sorted(grouped):
        a, b = recs[position[h]], recs[position[i]]
        similarity = round(jaccard(shingles(a), shingles(b)), 3)
        pairs.append({"head": h, "copy": i, "exact_jaccard": similarity})
    # Ids and figures only in the report (no text of the data); the
    # headlines go to stderr, for checking the pairs by hand.
    report["grouped"] = pairs
    for pair in sorted(pairs, key=lambda p: p["exact_jaccard"])[:show]:
        a, b = recs[position[pair["head"]]], recs[position[pair["copy"]]]
        print(f"{pair['exact_jaccard']:.2f}  {a['id']}  {a['title']}", file=sys.stderr)
        print(f"      {b['id']}  {b['title']}", file=sys.stderr)
    return report


def in_search(
    index: NewsIndex, by_id: dict[str, Any], original: dict[str, str]
) -> dict:
    """Each planted original's headline searched with collapse: how the pair
    shows on the first page."""
    outcomes: dict[str, dict[str, int]] = {}
    for copy, source in original.items():
        kind = "heavy" if "-heavy-" in copy else "light"
        hits = index.search(by_id[source]["title"], collapse=True).hits
        shown = {hit.id: hit for hit in hits}
        pair = {copy, source}
        if pair <= shown.keys():
            outcome = "both_shown"
        elif pair & shown.keys():
            (one,) = pair & shown.keys()
            folded = (pair - {one}) <= set(shown[one].duplicates)
            outcome = "collapsed" if folded else "one_shown_not_grouped"
        else:
            outcome = "neither_on_page"
        counts = outcomes.setdefault(kind, {})
        counts[outcome] = counts.get(outcome, 0) + 1
    return outcomes


def latency(index: NewsIndex, texts: list[str]) -> dict[str, Any]:
    """Collapse off and on, alternating which goes first, query by query."""
    for text in texts[:50]:  # warm the caches and the stemmer
        index.search(text, collapse=True)
    times: dict[bool, list[float]] = {False: [], True: []}
    folded = []
    for n, text in enumerate(texts):
        for collapse in (False, True) if n % 2 else (True, False):
            started = time.perf_counter()
            results = index.search(text, collapse=collapse)
            times[collapse].append(time.perf_counter() - started)
            if collapse:
                folded.append(sum(len(hit.duplicates) for hit in results))
    off, on = percentiles(times[False]), percentiles(times[True])
    return {
        "queries": len(texts),
        "collapse_off": off,
        "collapse_on": on,
        "p50_ratio": round(on["p50_ms"] / off["p50_ms"], 3),
        "queries_with_copies_on_page": sum(f > 0 for f in folded),
    }


_TIMER = """
import json, sys, time
from newsindex import NewsIndex
index = NewsIndex.open(sys.argv[1])
texts = json.load(open(sys.argv[2], encoding="utf-8"))
for text in texts[:50]:
    index.search(text)
seconds = []
for text in texts:
    started = time.perf_counter()
    index.search(text)
    seconds.append(time.perf_counter() - started)
print(json.dumps(seconds))
"""


def against_tree(path: Path, texts: list[str], tree: Path, rounds: int) -> dict:
    """p50 of collapse-off searches with the current tree and with ``tree``,
    each in its own process, alternating, ``rounds`` times each."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as out:
        json.dump(texts, out)
    p50s: dict[str, list[float]] = {"current": [], "baseline": []}
    for _ in range(rounds):
        for name, root in (("current", REPO), ("baseline", tree)):
            env = {**os.environ, "PYTHONPATH": str(root)}
            done = subprocess.run(
                [sys.executable, "-c", _TIMER, str(path), out.name],
                env=env,
                cwd=root,
                capture_output=True,
                text=True,
                check=True,
            )
            p50s[name].append(percentiles(json.loads(done.stdout))["p50_ms"])
    os.unlink(out.name)
    current, baseline = np.median(p50s["current"]), np.median(p50s["baseline"])
    return {
        "p50_ms_per_round": p50s,
        "current_p50_ms": round(float(current), 3),
        "baseline_p50_ms": round(float(baseline), 3),
        "ratio": round(float(current / baseline), 3),
    }


def signature_cost(data: list[dict[str, Any]]) -> dict[str, float]:
    """Microseconds per article of computing signatures (a second pass, with
    the word hashes cached as during a long build)."""
    docs = [Article.from_dict(dict(r)) for r in data]
    for doc in docs:
        article_signature(doc)
    started = time.perf_counter()
    for doc in docs:
        article_signature(doc)
    seconds = time.perf_counter() - started
    return {
        "articles": len(docs),
        "us_per_article": round(seconds / len(docs) * 1e6, 1),
    }


def build_cost(data: list[dict[str, Any]], count: int, rounds: int) -> dict:
    """Seconds to build ``count`` articles in one process with and without
    the signature feature, alternating, ``rounds`` times each."""
    docs = [Article.from_dict(dict(r)) for r in data[:count]]
    seconds: dict[str, list[float]] = {"without": [], "with": []}
    for _ in range(rounds):
        for name in ("without", "with"):
            if name == "without":
                FEATURES.remove(Signatures)
            try:
                with tempfile.TemporaryDirectory() as folder:
                    index = NewsIndex.create(Path(folder) / "index")
                    started = time.perf_counter()
                    index.add_many(docs)
                    seconds[name].append(round(time.perf_counter() - started, 2))
                    index.close()
            finally:
                if name == "without":
                    FEATURES.append(Signatures)
    without, with_ = np.median(seconds["without"]), np.median(seconds["with"])
    return {
        "articles": count,
        "seconds": seconds,
        "ratio": round(float(with_ / without), 3),
    }


def build_against_tree(tree: Path, rounds: int) -> dict[str, Any]:
    """Seconds of ``newsindex index --jobs 2`` over every CLICK-ID article with
    the current tree and with ``tree``, alternating, ``rounds`` times each."""
    source = data_dir() / "clickid" / "articles.jsonl"
    seconds: dict[str, list[float]] = {"current": [], "baseline": []}
    for _ in range(rounds):
        for name, root in (("baseline", tree), ("current", REPO)):
            with tempfile.TemporaryDirectory() as folder:
                command = [sys.executable, "-m", "newsindex", "index", "--quiet"]
                command += ["--jobs", "2", "--index", f"{folder}/index", str(source)]
                env = {**os.environ, "PYTHONPATH": str(root)}
                started = time.perf_counter()
                subprocess.run(command, env=env, cwd=root, check=True)
                seconds[name].append(round(time.perf_counter() - started, 1))
    current, baseline = np.median(seconds["current"]), np.median(seconds["baseline"])
    return {"seconds": seconds, "ratio": round(float(current / baseline), 3)}


def build(folder: Path, docs: list[dict[str, Any]]) -> tuple[NewsIndex, float]:
    index = NewsIndex.create(folder)
    started = time.perf_counter()
    index.add_many([Article.from_dict(dict(r)) for r in docs], jobs=2)
    return index, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--planted", type=int, default=300, help="copies of each kind")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument(
        "--show", type=int, default=0, help="grouped pairs whose headlines to print"
    )
    parser.add_argument("--baseline-tree", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--build-articles", type=int, default=3000)
    parser.add_argument("--json", type=Path, default=None, help="also write here")
    args = parser.parse_args()
    data_dir()
    data = list(records("clickid"))
    dev = {q["relevant"][0] for q in queries("clickid", "dev")}
    copies, original = planted_copies(data, dev, args.planted)
    everything = data + copies
    by_id = {r["id"]: r for r in everything}
    report: dict[str, Any] = {"threshold": THRESHOLD, "planted": len(copies)}
    with tempfile.TemporaryDirectory() as folder:
        index, seconds = build(Path(folder) / "index", everything)
        report["build_seconds_jobs_2"] = round(seconds, 1)
        where = locate(index)
        report["planted_exact_jaccard"] = planted_similarity(by_id, original)
        report["sweep"] = sweep(index, where, everything, dev, original)
        report["first_3000"] = first_articles(index, where, data, 3000, args.show)
        report["in_search"] = in_search(index, by_id, original)
        analyzer = Analyzer()
        short = [
            q["query"] for q in short_queries("clickid", "dev", args.queries, analyzer)
        ]
        heads = [q["query"] for q in queries("clickid", "dev", args.queries)]
        report["latency_short"] = latency(index, short)
        report["latency_headlines"] = latency(index, heads)
        if args.baseline_tree is not None:
            path = index.path
            index.close()
            report["against_baseline_tree"] = against_tree(
                path, short, args.baseline_tree, args.rounds
            )
        else:
            index.close()
    report["signature_cost"] = signature_cost(data)
    report["build_cost"] = build_cost(data, args.build_articles, args.rounds)
    if args.baseline_tree is not None:
        report["build_against_baseline_tree"] = build_against_tree(
            args.baseline_tree, 2
        )
    if args.json is not None:
        dump_json(report, args.json)
    print(json.dumps(report, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()

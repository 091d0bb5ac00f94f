"""Typos: did-you-mean, typo tolerance, expansions and autocomplete, measured.

Queries with planted typos are made from the development query sets: the
keyword sets of :mod:`bench.keywords` (``split="dev"``, titled CLICK-ID
index) and the short queries of :func:`bench.common.short_queries` (CLICK-ID
and IndoSum dev, body-only indexes). In each query one word of at least 5
letters (not a protected name) gets one typo, at random (seeded): a letter
deleted, inserted, replaced, or swapped with its neighbour, never the first
letter (as people mostly type it right; a first-letter typo costs two, see
``newsindex/_lexicon.py``). Reported per set:

* suggestions: the share of typo'd queries whose ``results.suggestion`` is
  the original query (restored), the share with any suggestion, and the
  share of clean queries given one (false alarms);
* MRR@10: clean queries, and typo'd queries with ``typos="off"`` and
  ``"auto"``, and following the suggestion (searching it instead);
* clean MRR@10 with ``typos`` off and auto on every dev set (the public
  sets too: FacQA valid, IndoSum slug dev, CLICK-ID dev headlines), and with
  the built-in expansions (abbreviations, colloquial words) left out;
* what the spelling check and the expansions cost a clean short query (the
  same queries with each replaced by a no-op, interleaved);
* ``suggest()`` latency on the titled CLICK-ID index (21,957 articles): every
  prefix of the last word of each keyword query, as typed keystroke by
  keystroke, after the lexicon is built (its build time is reported apart).

Usage: ``python -m bench.typos [--count 1000] [--split dev] [--rare-df N]
[--ratio R] [--penalty P]``. Test splits only with ``--split test``, to report.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import data_dir, percentiles, queries, records, short_queries
from bench.keywords import make_sets
from newsindex import Analyzer, Article, NewsIndex, _searching, _spelling
from newsindex._expansions import Expansions
from newsindex._lexicon import lexicon_of

LETTERS = "abcdefghijklmnopqrstuvwxyz"
KINDS = ("deletion", "insertion", "substitution", "transposition")


def plant(query: str, analyzer: Analyzer, rng: random.Random) -> str | None:
    """``query`` with one typo in one of its words of 5+ letters, or ``None``."""
    words = query.split()
    eligible = [
        i
        for i, w in enumerate(words)
        if w.isalpha() and len(w) >= 5 and w.lower() not in analyzer.protected_words
    ]
    if not eligible:
        return None
    i = rng.choice(eligible)
    word = words[i]
    kind = rng.choice(KINDS)
    at = rng.randrange(1, len(word) - (kind == "transposition"))
    if kind == "deletion":
        typo = word[:at] + word[at + 1 :]
    elif kind == "insertion":
        typo = word[:at] + rng.choice(LETTERS) + word[at:]
    elif kind == "substitution":
        typo = word[:at] + rng.choice(LETTERS.replace(word[at], "")) + word[at + 1 :]
    else:
        typo = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    if typo == word:
        return None
    return " ".join([*words[:i], typo, *words[i + 1 :]])


def build(corpus: str, folder: Path, *, titles: bool) -> Path:
    """An index of ``corpus``, with titles or body-only (two workers)."""
    path = folder / f"{corpus}-{'titled' if titles else 'body'}"
    docs = []
    for record in records(corpus):
        if not titles:
            record = {**record, "title": None}
        docs.append(Article.from_dict(record))
    with NewsIndex.create(path) as index:
        index.add_many(docs, jobs=2)
    return path


def reciprocal_rank(index: NewsIndex, query: str, relevant: str, typos: str) -> float:
    hits = index.search(query, limit=10, snippets=False, typos=typos).hits  # type: ignore[arg-type]
    ids = [h.id for h in hits]
    return 1 / (ids.index(relevant) + 1) if relevant in ids else 0.0


def typo_report(index: NewsIndex, judged: list[dict[str, Any]]) -> dict[str, Any]:
    """Suggestions and MRR@10 of clean and typo'd versions of ``judged``."""
    rr: dict[str, list[float]] = {k: [] for k in ("clean", "off", "auto", "followed")}
    restored = suggested = false_alarms = 0
    for q in judged:
        relevant = q["relevant"][0]
        clean = index.search(q["query"], limit=10, snippets=False, typos="off")
        false_alarms += clean.suggestion is not None
        ids = [h.id for h in clean.hits]
        rr["clean"].append(1 / (ids.index(relevant) + 1) if relevant in ids else 0.0)
        typo = index.search(q["typo"], limit=10, snippets=False, typos="off")
        ids = [h.id for h in typo.hits]
        rr["off"].append(1 / (ids.index(relevant) + 1) if relevant in ids else 0.0)
        rr["auto"].append(reciprocal_rank(index, q["typo"], relevant, "auto"))
        if typo.suggestion is not None:
            suggested += 1
            restored += typo.suggestion.lower() == q["query"].lower()
            rr["followed"].append(
                reciprocal_rank(index, typo.suggestion, relevant, "off")
            )
        else:
            rr["followed"].append(rr["off"][-1])
    n = len(judged)
    return {
        "queries": n,
        "restored": restored / n,
        "suggested": suggested / n,
        "precision": restored / suggested if suggested else 0.0,
        "false_alarms": false_alarms / n,
        **{f"mrr_{k}": statistics.fmean(v) for k, v in rr.items()},
    }


def clean_mrr(
    path: Path, judged: list[dict[str, Any]], **opened: Any
) -> dict[str, float]:
    """Clean MRR@10 with typos off and auto (``opened``: ``NewsIndex.open`` options)."""
    with NewsIndex.open(path, **opened) as index:
        return {
            typos: statistics.fmean(
                reciprocal_rank(index, q["query"], q["relevant"][0], typos)
                for q in judged
            )
            for typos in ("off", "auto")
        }


def overhead(path: Path, texts: list[str], passes: int = 3) -> dict[str, Any]:
    """p50 of clean searches (typos off) with the spelling check and the
    expansions, and with each replaced by a no-op; interleaved."""
    real_check, real_expand = _searching.check_spelling, _searching.expand_query

    def no_check(
        snapshot: Any,
        analyzer: Any,
        limits: Any,
        query: Any,
        parsed: Any,
        gathered: Any,
        typos: Any,
    ) -> Any:
        return _spelling.Spelling(parsed, gathered)

    def no_expand(parsed: Any, analyzer: Any, expansions: Any) -> Any:
        return parsed

    # (spelling check, expansions) of each mode; "neither" is the search of
    # before these features.
    modes = {
        "both": (real_check, real_expand),
        "no spelling check": (no_check, real_expand),
        "no expansions": (real_check, no_expand),
        "neither": (no_check, no_expand),
    }
    times: dict[str, list[float]] = {m: [] for m in modes}
    with NewsIndex.open(path) as index:
        for text in texts:  # warm up
            index.search(text, snippets=True, typos="off")
        for _ in range(passes):
            for text in texts:
                for mode, (check, expand) in modes.items():
                    _searching.check_spelling, _searching.expand_query = check, expand
                    started = time.perf_counter()
                    index.search(text, snippets=True, typos="off")
                    times[mode].append(time.perf_counter() - started)
        _searching.check_spelling, _searching.expand_query = real_check, real_expand
    return {mode: percentiles(t) for mode, t in times.items()}


def suggest_latency(path: Path, texts: list[str]) -> dict[str, Any]:
    """suggest() per keystroke of each query's last word, and the lexicon's
    build time."""
    with NewsIndex.open(path) as index:
        started = time.perf_counter()
        lexicon = lexicon_of(index._engine._current())
        built = time.perf_counter() - started
        prefixes = []
        for text in texts:
            head, _, last = text.rpartition(" ")
            head = f"{head} " if head else ""
            prefixes += [head + last[:k] for k in range(1, len(last) + 1)]
        for prefix in prefixes[:200]:
            index.suggest(prefix)
        times = []
        for prefix in prefixes:
            started = time.perf_counter()
            index.suggest(prefix)
            times.append(time.perf_counter() - started)
    return {
        "words": len(lexicon),
        "lexicon_build_ms": round(built * 1000, 1),
        "prefixes": len(prefixes),
        **percentiles(times),
    }


def _table(rows: dict[str, dict[str, Any]], columns: list[str]) -> None:
    print("| set | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for name, row in rows.items():
        cells = [
            f"{row[c]:.3f}" if isinstance(row[c], float) else str(row[c])
            for c in columns
        ]
        print(f"| {name} | " + " | ".join(cells) + " |")


# Long: the sets, indexes and reports of one run, in the order printed.
def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.typos")
    parser.add_argument("--count", type=int, default=1000, help="queries per set")
    parser.add_argument("--split", default="dev", choices=("dev", "test"))
    parser.add_argument("--rare-df", type=int, default=_spelling.RARE_DF)
    parser.add_argument("--ratio", type=float, default=_spelling.RATIO)
    parser.add_argument("--penalty", type=float, default=_spelling.TYPO_PENALTY)
    parser.add_argument("--skip-clean", action="store_true", help="typo sets only")
    args = parser.parse_args()
    data_dir()
    _spelling.RARE_DF, _spelling.RATIO = args.rare_df, args.ratio  # type: ignore[misc]
    _spelling.TYPO_PENALTY = args.penalty  # type: ignore[misc]
    analyzer = Analyzer()
    split = args.split
    keywords = make_sets(analyzer, args.count, split)
    typo_sets = {
        **{f"titled: {k} words": ("clickid", True, v) for k, v in keywords.items()},
        f"short, CLICK-ID {split}": (
            "clickid",
            False,
            short_queries("clickid", split, args.count, analyzer),
        ),
        f"short, IndoSum {split}": (
            "indosum",
            False,
            short_queries("indosum", split, args.count, analyzer),
        ),
    }
    rng = random.Random(5)
    for _, _, judged in typo_sets.values():
        for q in judged:
            q["typo"] = plant(q["query"], analyzer, rng)
    public = {
        "FacQA": (
            "facqa",
            False,
            queries("facqa", "valid" if split == "dev" else split),
        ),
        f"IndoSum slug {split}": ("indosum", False, queries("indosum", split)),
        f"CLICK-ID {split}": ("clickid", False, queries("clickid", split, args.count)),
    }
    with tempfile.TemporaryDirectory(prefix="nxtypos-") as tmp:
        needed = {(c, t) for c, t, _ in (*typo_sets.values(), *public.values())}
        paths = {(c, t): build(c, Path(tmp), titles=t) for c, t in sorted(needed)}
        rows = {}
        for name, (corpus, titled, judged) in typo_sets.items():
            planted = [q for q in judged if q["typo"]]
            with NewsIndex.open(paths[corpus, titled]) as index:
                rows[name] = typo_report(index, planted)
        print(
            f"Planted typos ({split}; rare df <= {args.rare_df}, ratio {args.ratio:g}, "
            f"penalty {args.penalty:g}):\n"
        )
        _table(
            rows,
            [
                "queries",
                "restored",
                "suggested",
                "precision",
                "false_alarms",
                "mrr_clean",
                "mrr_off",
                "mrr_auto",
                "mrr_followed",
            ],
        )
        if not args.skip_clean:
            clean = {}
            for name, (corpus, titled, judged) in {**public, **typo_sets}.items():
                path = paths[corpus, titled]
                with_exp = clean_mrr(path, judged)
                without = clean_mrr(path, judged, expansions=Expansions(builtin=False))
                clean[name] = {
                    "typos off": with_exp["off"],
                    "typos auto": with_exp["auto"],
                    "no expansions, typos off": without["off"],
                }
            print("\nClean queries, MRR@10:\n")
            _table(clean, ["typos off", "typos auto", "no expansions, typos off"])
        short = [q["query"] for q in typo_sets[f"short, CLICK-ID {split}"][2]]
        print("\nCost on clean short queries (CLICK-ID body-only), ms:\n")
        for mode, figures in overhead(paths["clickid", False], short).items():
            print(f"- {mode}: p50 {figures['p50_ms']}, p99 {figures['p99_ms']}")
        typed = [q["query"] for q in keywords["title"]] + [
            q["query"] for q in keywords["body"]
        ]
        latency = suggest_latency(paths["clickid", True], typed)
        print(f"\nsuggest() on titled CLICK-ID: {latency}")


if __name__ == "__main__":
    main()

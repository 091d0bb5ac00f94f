"""Exactness and speed of newsindex's Sastrawi rewrite against PySastrawi.

Collects every distinct word of the shared data, as the analyzer gives words
to its stemmer: the texts of ``clickid/articles.jsonl``,
``indosum/articles.jsonl`` and ``facqa/passages.jsonl`` (title, body, and
IndoSum's slug), the queries of each corpus, and the words of
``stemming/*.jsonl``; tokenized with ``newsindex._tokens.TOKEN_PATTERN``,
normalized (NFKC, lower case), hyphenated compounds kept whole *and* split
into their parts (the analyzer stems the parts; ``SastrawiStemmer.stem``
also accepts a whole compound). Only words that the stemmer passes on to
Sastrawi (letters and hyphens) are checked.

Each word is stemmed by PySastrawi (``Stemmer`` over ``ArrayDictionary``,
without its result cache) and by :class:`newsindex._sastrawi.FastSastrawi`,
each a fresh object in its own pass, in the order the words first occur in
the data (the order a build meets them), every word once: cold, as a build
sees new words. Reported: words per source, mismatches (must be 0), the time
per word of each (median, 90th and 99th percentile, mean, in microseconds),
words per second and the speed-up. A last pass checks that
``SastrawiStemmer().stem`` agrees with ``SastrawiStemmer()._reference_stem``.
Exits with status 1 on any mismatch.

Usage: ``python -m bench.sastrawi [--limit N]``; prints a summary, then JSON.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench.common import data_dir
from newsindex import SastrawiStemmer
from newsindex._sastrawi import FastSastrawi, dictionary_words, reference_stemmer
from newsindex._tokens import TOKEN_PATTERN

#: source name -> (file under the data folder, fields holding text)
SOURCES: dict[str, tuple[str, tuple[str, ...]]] = {
    "clickid/articles": ("clickid/articles.jsonl", ("title", "body")),
    "clickid/queries": ("clickid/queries.jsonl", ("query",)),
    "indosum/articles": ("indosum/articles.jsonl", ("title", "body", "id_slug")),
    "indosum/queries": ("indosum/queries.jsonl", ("query",)),
    "facqa/passages": ("facqa/passages.jsonl", ("title", "body")),
    "facqa/queries": ("facqa/queries.jsonl", ("query",)),
    "stemming/sastrawi_test_pairs": (
        "stemming/sastrawi_test_pairs.jsonl",
        ("word", "stem"),
    ),
    "stemming/ud_lemma_pairs": ("stemming/ud_lemma_pairs.jsonl", ("word", "lemma")),
}
_TOKEN_RE = re.compile(TOKEN_PATTERN)


def _normalize(word: str) -> str:
    # As newsindex._analysis._normalize.
    if not word.isascii():
        word = unicodedata.normalize("NFKC", word)
    return word.lower()


def _is_word(word: str) -> bool:
    # SastrawiStemmer.stem's guard: what it passes on to Sastrawi.
    return word.replace("-", "").isalpha()


def words_of(text: str) -> Iterator[str]:
    """The words of ``text`` that the stemmer may be given, with repeats."""
    for match in _TOKEN_RE.finditer(text):
        token = match.group()
        if "-" in token:
            pieces = [_normalize(piece) for piece in token.split("-")]
            yield "-".join(pieces)
            yield from pieces
        else:
            yield _normalize(token)


def collect(folder: Path) -> tuple[list[str], dict[str, int]]:
    """Every distinct word in first-seen order, and distinct words per source."""
    seen: dict[str, None] = {}
    per_source: dict[str, int] = {}
    for name, (file, fields) in SOURCES.items():
        path = folder / file
        if not path.exists():
            continue
        mine: set[str] = set()
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                for field in fields:
                    text = record.get(field)
                    if not isinstance(text, str):
                        continue
                    for word in words_of(text):
                        if word not in mine and _is_word(word):
                            mine.add(word)
                            seen.setdefault(word)
        per_source[name] = len(mine)
    return list(seen), per_source


def timed(stem: Callable[[str], str], words: list[str]) -> tuple[list[str], list[int]]:
    """Each word's stem and nanoseconds, one call per word."""
    clock = time.perf_counter_ns
    stems: list[str] = []
    spent: list[int] = []
    for word in words:
        start = clock()
        result = stem(word)
        spent.append(clock() - start)
        stems.append(result)
    return stems, spent


def summary(spent: list[int]) -> dict[str, float]:
    """Per-word microseconds (median, p90, p99, mean) and words per second."""
    ordered = sorted(spent)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1e3, 2)

    return {
        "median_us": round(statistics.median(ordered) / 1e3, 2),
        "p90_us": at(0.90),
        "p99_us": at(0.99),
        "mean_us": round(statistics.fmean(ordered) / 1e3, 2),
        "words_per_s": round(len(ordered) / (sum(ordered) / 1e9)),
    }


def measure(limit: int | None = None) -> dict[str, Any]:
    """Check and time every collected word (the first ``limit`` words)."""
    words, per_source = collect(data_dir())
    if limit is not None:
        words = words[:limit]
    started = time.perf_counter()
    reference = reference_stemmer()
    load_reference = time.perf_counter() - started
    started = time.perf_counter()
    fast = FastSastrawi(dictionary_words())
    load_fast = time.perf_counter() - started

    expected, reference_ns = timed(reference.stem_word, words)
    got, fast_ns = timed(fast.stem_word, words)
    mismatches = [
        {"word": w, "pysastrawi": e, "fast": g}
        for w, e, g in zip(words, expected, got, strict=True)
        if e != g
    ]
    wrapper = SastrawiStemmer()
    wrapper_mismatches = [
        w for w, e in zip(words, expected, strict=True) if wrapper.stem(w) != (e or w)
    ]
    ref_summary, fast_summary = summary(reference_ns), summary(fast_ns)
    return {
        "distinct_words_per_source": per_source,
        "words_checked": len(words),
        "hyphenated_words_checked": sum("-" in w for w in words),
        "words_changed_by_stemming": sum(
            w != e for w, e in zip(words, expected, strict=True)
        ),
        "mismatches": len(mismatches),
        "mismatch_examples": mismatches[:20],
        "stemmer_wrapper_mismatches": len(wrapper_mismatches),
        "dictionary_load_s": {
            "pysastrawi": round(load_reference, 3),
            "fast": round(load_fast, 3),
        },
        "per_word": {"pysastrawi": ref_summary, "fast": fast_summary},
        "speedup_median": round(
            ref_summary["median_us"] / fast_summary["median_us"], 1
        ),
        "speedup_total": round(sum(reference_ns) / sum(fast_ns), 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.sastrawi", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--limit", type=int, default=None, help="check only the first N words"
    )
    args = parser.parse_args(argv)
    report = measure(args.limit)
    print(json.dumps(report, indent=1, ensure_ascii=False), flush=True)
    ref, fast = report["per_word"]["pysastrawi"], report["per_word"]["fast"]
    print(
        f"{report['words_checked']:,} distinct words checked "
        f"({report['hyphenated_words_checked']:,} hyphenated): "
        f"{report['mismatches']} mismatches, "
        f"{report['stemmer_wrapper_mismatches']} through SastrawiStemmer",
        file=sys.stderr,
    )
    for name, row in (("PySastrawi", ref), ("FastSastrawi", fast)):
        print(
            f"{name:>12}: median {row['median_us']} us/word, p99 "
            f"{row['p99_us']} us, {row['words_per_s']:,} words/s",
            file=sys.stderr,
        )
    print(
        f"speed-up: {report['speedup_median']}x (median), "
        f"{report['speedup_total']}x (total)",
        file=sys.stderr,
    )
    if report["mismatches"] or report["stemmer_wrapper_mismatches"]:
        sys.exit("FastSastrawi differs from PySastrawi (see mismatch_examples)")


if __name__ == "__main__":
    main()

"""Stemming accuracy against the lemmas of the UD Indonesian treebanks.

Reads ``stemming/ud_lemma_pairs.jsonl`` (word, lemma, part of speech, count
per treebank) and keeps nouns, verbs, adjectives and adverbs. Each word's
output is compared, lower-cased, with its lemma; every figure is weighted by
the word's count (token-weighted), per treebank (PUD, CSUI, GSD; splits
pooled). Three stemmers:

* ``newsindex``: the default :class:`~newsindex.Analyzer` (stopwords,
  protected words, PySastrawi behind its cache); its output for a word is
  its term, or its parts joined with ``-`` when it splits a compound;
* ``pysastrawi``: raw PySastrawi, ``StemmerFactory().create_stemmer()``;
* ``tala``: the Tala stemmer of ``snowballstemmer``.

The analyzer indexes no stopword, so it has no stem for one to be judged.
The main figure (``accuracy``) therefore compares the three stemmers on the
same tokens, those the analyzer indexes; ``all_tokens`` scores every token,
a stopword counting as the word left unchanged (right when the lemma is the
word itself); ``stopword_share`` says how many tokens that concerns.
``single_words`` leaves out hyphenated words (``ke-4``, ``non-keuangan``,
``hamba-ku``), where the treebanks' conventions disagree with each other
and the analyzer splits compounds into their parts.

Usage: ``python -m bench.stemming``.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

from bench.common import data_dir
from newsindex import Analyzer, TalaStemmer

KEPT_POS = frozenset({"NOUN", "VERB", "ADJ", "ADV"})
TREEBANKS = ("id_pud", "id_csui", "id_gsd")
STEMMERS = ("newsindex", "pysastrawi", "tala")


def pairs() -> list[dict[str, Any]]:
    """The kept rows of the UD lemma pairs."""
    path = data_dir() / "stemming" / "ud_lemma_pairs.jsonl"
    with open(path, encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines]
    return [r for r in rows if r["upos"] in KEPT_POS]


def stemmers() -> dict[str, Callable[[str], str | None]]:
    """Each stemmer as a function of a lower-case word (``None``: a stopword)."""
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    analyzer = Analyzer()
    sastrawi = StemmerFactory().create_stemmer()
    tala = TalaStemmer()

    def ours(word: str) -> str | None:
        terms = analyzer.terms(word)
        return "-".join(terms) if terms else None

    return {"newsindex": ours, "pysastrawi": sastrawi.stem, "tala": tala.stem}


def measure() -> dict[str, Any]:
    """Accuracy per treebank and part of speech, and the largest disagreements."""
    rows = pairs()
    funcs = stemmers()
    outputs: dict[str, dict[str, str | None]] = {name: {} for name in funcs}
    for word in {r["word"].lower() for r in rows}:
        for name, stem in funcs.items():
            outputs[name][word] = stem(word)

    def tally() -> dict[str, Counter[str]]:
        return defaultdict(Counter)

    by_bank: dict[str, dict[str, Counter[str]]] = defaultdict(tally)
    differ: dict[str, Counter[tuple[str, ...]]] = defaultdict(Counter)
    for r in rows:
        bank = r["treebank"].split("/")[0]
        word, lemma, count = r["word"].lower(), r["lemma"].lower(), r["count"]
        ours = outputs["newsindex"][word]
        for key in (bank, f"{bank}/{r['upos']}"):
            t = by_bank[key]
            t["tokens"]["all"] += count
            if ours is None:
                t["tokens"]["stopword"] += count
            elif "-" not in word:
                t["tokens"]["single"] += count
            for name in funcs:
                out = outputs[name][word]
                right = (word if out is None else out) == lemma
                t["all_tokens"][name] += count * right
                if ours is not None:
                    t["indexed"][name] += count * right
                    if "-" not in word:
                        t["single"][name] += count * right
        if ours is not None:
            sastrawi = outputs["pysastrawi"][word]
            if (ours == lemma) != (sastrawi == lemma):
                side = "newsindex_right" if ours == lemma else "pysastrawi_right"
                differ[side][(word, lemma, ours, sastrawi)] += count
    report: dict[str, Any] = {}
    for key in sorted(by_bank, key=_order):
        t = by_bank[key]
        total, stop = t["tokens"]["all"], t["tokens"]["stopword"]
        indexed = total - stop
        report[key] = {
            "tokens": total,
            "stopword_tokens": stop,
            "stopword_share": round(stop / total, 4),
            "accuracy": {
                n: round(t["indexed"][n] / indexed, 4) if indexed else None
                for n in funcs
            },
            "all_tokens": {n: round(t["all_tokens"][n] / total, 4) for n in funcs},
            "single_words": {
                n: round(t["single"][n] / t["tokens"]["single"], 4)
                if t["tokens"]["single"]
                else None
                for n in funcs
            },
        }
    examples = {
        side: [
            {"word": w, "lemma": lm, "newsindex": o, "pysastrawi": s, "count": c}
            for (w, lm, o, s), c in found.most_common(10)
        ]
        for side, found in sorted(differ.items())
    }
    return {
        "parts_of_speech": sorted(KEPT_POS),
        "treebanks": report,
        "disagreements": examples,
        "disagreement_tokens": {s: sum(f.values()) for s, f in differ.items()},
    }


def _order(key: str) -> tuple[int, str]:
    bank = key.split("/")[0]
    return (TREEBANKS.index(bank) if bank in TREEBANKS else 9, key)


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    data_dir()
    print(json.dumps(measure(), indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()

"""Keyword query sets in the setting of use: titles indexed, a few typed words.

The public query sets come from titles and are meant for body-only indexes.
People who use newsindex index titles too and type two to four words. These
sets are made here, from the articles of one split (those the CLICK-ID
headline queries of that split judge: ``dev`` for tuning, ``test`` only to
report), reproducibly (seeded), each query judged by the one article it was
made from (a known item), over an index of every article with its title:

``title``
    2-4 of the title's words (words the analyzer keeps: no stopwords; at
    least 3 characters; not bare numbers), in the title's order, lower case.
    Each word, with probability 0.3, is typed in another form of its stem
    than the article's: the stem itself when the split's articles use it as
    a word (``naik`` for ``kenaikan``), else another inflection they use
    (``menaikkan``).
``body``
    2-4 words of the body whose stems are not in the title (a reader who
    remembers the story, not its headline), drawn with weights growing with
    their rarity among the development articles (the square of the idf), as
    people pick the words that set a story apart; body order, lower case, with
    the same 0.3 chance of another form.
``mixed``
    one title word and one or two body words, as above.

Usage: ``python -m bench.keywords [--count 1000] [--out DIR]`` writes the sets
as JSON Lines (the format of ``newsindex eval --queries``).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bench.common import queries, records
from newsindex import Analyzer

SETS = ("title", "body", "mixed")
#: Chance that a query word is typed in another form of its stem.
OTHER_FORM = 0.3
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


def split_articles(split: str = "dev") -> list[dict[str, Any]]:
    """The CLICK-ID articles judged by a query of ``split`` (file order)."""
    wanted = {q["relevant"][0] for q in queries("clickid", split)}
    return [r for r in records("clickid") if r["id"] in wanted]


class _Vocabulary:
    """Document frequencies and surface forms of stems, over some articles."""

    def __init__(self, docs: Iterable[dict[str, Any]], analyzer: Analyzer) -> None:
        self.df: Counter[str] = Counter()
        self.forms: dict[str, Counter[str]] = defaultdict(Counter)
        self.n = 0
        for doc in docs:
            self.n += 1
            seen = set()
            for word in _WORD.findall(f"{doc.get('title') or ''} {doc['body']}"):
                word = word.lower()
                term = analyzer.term(word)
                if term:
                    self.forms[term][word] += 1
                    seen.add(term)
            self.df.update(seen)

    def idf(self, term: str) -> float:
        return math.log(self.n / (1 + self.df[term]))

    def other_form(self, word: str, term: str, avoid: set[str]) -> str | None:
        """Another written form of ``term``: the stem if used, else the most
        common other inflection; ``None`` if there is none."""
        forms = self.forms.get(term, Counter())
        if term not in avoid and forms.get(term):
            return term
        for form, _ in forms.most_common():
            if form != word and form not in avoid:
                return form
        return None


def _words(text: str, analyzer: Analyzer) -> list[tuple[str, str]]:
    """(word, term) of the text's content words, first occurrence of a term."""
    out: dict[str, str] = {}
    for word in _WORD.findall(text):
        word = word.lower()
        term = analyzer.term(word)
        if term and len(word) >= 3 and term not in out:
            out[term] = word
    return [(word, term) for term, word in out.items()]


def _typed(
    picked: list[tuple[str, str]],
    vocab: _Vocabulary,
    rng: random.Random,
    avoid: set[str],
) -> str:
    typed = []
    for word, term in picked:
        if rng.random() < OTHER_FORM:
            word = vocab.other_form(word, term, avoid) or word
        typed.append(word)
    return " ".join(typed)


def _weighted(
    candidates: list[tuple[str, str]], k: int, vocab: _Vocabulary, rng: random.Random
) -> list[tuple[str, str]]:
    """``k`` candidates drawn without replacement, weight idf squared, kept in
    their order in the text."""
    pool = list(candidates)
    chosen = []
    for _ in range(min(k, len(pool))):
        weights = [max(vocab.idf(t), 0.01) ** 2 for _, t in pool]
        chosen.append(pool.pop(rng.choices(range(len(pool)), weights)[0]))
    return sorted(chosen, key=candidates.index)


def make_sets(
    analyzer: Analyzer, count: int, split: str = "dev", seed: int = 11
) -> dict[str, list[Any]]:
    """The three query sets of a split's articles, ``count`` queries each (see
    the module docstring; ``test`` is made the same way, for reporting)."""
    docs = split_articles(split)
    vocab = _Vocabulary(docs, analyzer)
    rng = random.Random(seed)
    order = list(docs)
    rng.shuffle(order)
    sets: dict[str, list[Any]] = {name: [] for name in SETS}
    for doc in order:
        title = _words(doc.get("title") or "", analyzer)
        title_terms = {t for _, t in title}
        body = [
            (w, t) for w, t in _words(doc["body"], analyzer) if t not in title_terms
        ]
        avoid = {w for w, _ in title} | {w.lower() for w in _WORD.findall(doc["body"])}
        made = {
            "title": rng.sample(title, min(len(title), rng.choice((2, 3, 4)))),
            "body": _weighted(body, rng.choice((2, 3, 4)), vocab, rng),
            "mixed": rng.sample(title, min(len(title), 1))
            + _weighted(body, rng.choice((1, 2)), vocab, rng),
        }
        made["title"].sort(key=title.index)
        for name, picked in made.items():
            if len(picked) >= 2 and len(sets[name]) < count:
                sets[name].append(
                    {
                        "qid": f"{doc['id']}-{name}",
                        "query": _typed(picked, vocab, rng, avoid),
                        "relevant": [doc["id"]],
                        "split": split,
                        "set": name,
                    }
                )
        if all(len(v) >= count for v in sets.values()):
            break
    return sets


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.keywords")
    parser.add_argument("--count", type=int, default=1_000)
    parser.add_argument("--split", default="dev", choices=("dev", "test"))
    parser.add_argument("--out", type=Path, default=Path("bench/results/tmp"))
    args = parser.parse_args()
    sets = make_sets(Analyzer(), args.count, args.split)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, judged in sets.items():
        path = args.out / f"keywords-{name}-{args.split}.jsonl"
        with path.open("w", encoding="utf-8") as out:
            for query in judged:
                out.write(json.dumps(query, ensure_ascii=False) + "\n")
        print(f"{path}: {len(judged)} queries, e.g. {judged[0]['query']!r}")


if __name__ == "__main__":
    main()

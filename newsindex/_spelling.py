"""Did-you-mean and typo tolerance: query words the index hardly knows.

Once a query's posting lists are gathered, the number of articles using each
of its words is known. When every typed word is used by more than
:data:`RARE_DF` articles nothing more happens: the usual search pays for one
loop over its terms. Otherwise, for each such word (not a number, not a
protected name, at least 5 letters), the index's vocabulary (``_lexicon.py``)
gives the written words within its typo budget (1 typo from 5 letters, 2 from
9, a first-letter typo costing 2). A close word qualifies if at least
:data:`RATIO` times as many articles use it as use the typed word (any word
of two articles or more does, for a word that matched nothing), and its term
is still in the index. Then:

* the best (fewest typos, then most used) replaces the word in
  ``results.suggestion``, cased as it was typed;
* with ``typos="auto"``, if the word matched nothing (:data:`TYPO_MAX_DF`),
  its clause also matches up to :data:`MAX_TYPO_TERMS` of them, each
  weighted by :data:`TYPO_PENALTY` per typo (its idf is scaled). Widening
  words of 1 or 3 articles too was measured: it cost clean keyword queries
  of body words 0.007-0.012 MRR@10 and gained typo'd ones under 0.005;
* a word that matched nothing is named in ``results.notes``.
"""

from __future__ import annotations

import math
import re
from typing import Final

from newsindex._analysis import Analyzer
from newsindex._fields import TEXT_FIELDS
from newsindex._gathering import Gathered
from newsindex._lexicon import CloseWord, Lexicon, lexicon_of, typo_budget
from newsindex._options import Typos
from newsindex._query import Clause, ParsedQuery, QueryLimits
from newsindex._snapshot import Snapshot
from newsindex._tokens import TOKEN_PATTERN
from newsindex._values import Value
from newsindex._vocabulary import normalize

#: A word used by at most this many articles may be a typo.
RARE_DF: Final = 3
#: How many times more articles a close word needs than the typed word.
RATIO: Final = 20
#: With ``typos="auto"``, a word used by at most this many articles also
#: matches its close words.
TYPO_MAX_DF: Final = 0
#: Close words a typo'd word also matches, with ``typos="auto"``.
MAX_TYPO_TERMS: Final = 3
#: Factor on a close word's idf, per typo.
TYPO_PENALTY: Final = 0.5

_TOKENS = re.compile(TOKEN_PATTERN)


class Spelling(Value):
    """What the spelling check made of a query.

    Attributes:
        parsed: the query, with close words as alternatives (``typos="auto"``).
        gathered: its posting lists.
        notes: the words that matched nothing, and what else they matched.
        suggestion: the query with its typos corrected, or ``None``.
    """

    __slots__ = ("gathered", "notes", "parsed", "suggestion")
    parsed: ParsedQuery
    gathered: Gathered
    notes: tuple[str, ...]
    suggestion: str | None

    def __init__(
        self,
        parsed: ParsedQuery,
        gathered: Gathered,
        notes: tuple[str, ...] = (),
        suggestion: str | None = None,
    ) -> None:
        self._set(parsed, gathered, notes, suggestion)


class _Word(Value):
    __slots__ = ("alone", "df", "end", "raw", "start", "term")
    raw: str  # as typed
    start: int
    end: int
    term: str
    df: int
    alone: bool  # no other alternative of its clause matches either

    def __init__(
        self, raw: str, start: int, end: int, term: str, df: int, alone: bool
    ) -> None:
        self._set(raw, start, end, term, df, alone)


def check_spelling(
    snapshot: Snapshot,
    analyzer: Analyzer,
    limits: QueryLimits,
    query: str,
    parsed: ParsedQuery,
    gathered: Gathered,
    typos: Typos,
) -> Spelling:
    """Check the typed words of ``parsed`` (see the module docstring), and
    weigh the alternatives that were not typed (``parsed.weights``)."""
    df = gathered.df
    typed = (a for c in parsed.positive for a in c.alternatives)
    if all(df.get(t, 0) > RARE_DF for a in typed if a not in parsed.weights for t in a):
        return Spelling(parsed, weigh(snapshot, gathered, parsed.weights))
    words = _rare_words(analyzer, query[: limits.max_chars], parsed, df)
    if not words:
        return Spelling(parsed, weigh(snapshot, gathered, parsed.weights))
    lexicon = lexicon_of(snapshot)
    notes = [f"{w.raw} matched nothing" for w in words if w.df == 0 and w.alone]
    fixes: dict[_Word, list[CloseWord]] = {}
    for word in words:
        close = _corrections(snapshot, analyzer, lexicon, word)
        if close:
            fixes[word] = close
    suggestion = _suggestion(query, fixes) if fixes else None
    widen = {w: c for w, c in fixes.items() if w.df <= TYPO_MAX_DF}
    if typos == "auto" and widen:
        parsed, gathered, more = _with_typos(snapshot, parsed, gathered, widen)
        notes += more
    gathered = weigh(snapshot, gathered, parsed.weights)
    return Spelling(parsed, gathered, tuple(notes), suggestion)


def _rare_words(
    analyzer: Analyzer,
    text: str,
    parsed: ParsedQuery,
    df: dict[str | tuple[str, ...], int],
) -> list[_Word]:
    """The typed words of the positive clauses used by few articles."""
    # Each term's clause's best document frequency (another form or an OR'd
    # word may match when the typed word does not).
    best: dict[str, int] = {}
    for clause in parsed.positive:
        most = max(df.get(a[0] if len(a) == 1 else a, 0) for a in clause.alternatives)
        for t in clause.terms:
            best[t] = max(best.get(t, 0), most)
    found: dict[str, _Word] = {}
    for match in _TOKENS.finditer(text):
        term = analyzer.term(match.group())
        if term is None or term not in best or term in found:
            continue
        own = df.get(term, 0)
        if own <= RARE_DF:
            found[term] = _Word(
                match.group(), match.start(), match.end(), term, own, best[term] == 0
            )
    return list(found.values())


def _doc_frequency(snapshot: Snapshot, term: str) -> int:
    key = term.encode("utf-8")
    return sum(
        max(segment.doc_frequency(field, key) for field in TEXT_FIELDS)
        for segment in snapshot.segments
    )


def _corrections(
    snapshot: Snapshot, analyzer: Analyzer, lexicon: Lexicon, word: _Word
) -> list[CloseWord]:
    """The close words that qualify as corrections of ``word``, best first."""
    typed = normalize(word.raw)
    if typed in analyzer.protected_words:
        return []
    budget = typo_budget(typed)
    if not budget:
        return []
    need = max(2, RATIO * max(word.df, lexicon.count(typed)))
    found = []
    for close in lexicon.close_words(typed, budget):
        if close.count < need or close.term == word.term:
            continue
        # Counts outlive deleted articles: the term must still be indexed.
        if _doc_frequency(snapshot, close.term) > 0:
            found.append(close)
            if len(found) == MAX_TYPO_TERMS:
                break
    return found


def _cased(word: str, like: str) -> str:
    if like.isupper() and len(like) > 1:
        return word.upper()
    return word.capitalize() if like[:1].isupper() else word


def _suggestion(query: str, fixes: dict[_Word, list[CloseWord]]) -> str:
    """``query`` with each fixed word replaced by its best correction."""
    text = query
    for word in sorted(fixes, key=lambda w: w.start, reverse=True):
        fixed = _cased(fixes[word][0].word, word.raw)
        text = text[: word.start] + fixed + text[word.end :]
    return text


def _with_typos(
    snapshot: Snapshot,
    parsed: ParsedQuery,
    gathered: Gathered,
    fixes: dict[_Word, list[CloseWord]],
) -> tuple[ParsedQuery, Gathered, list[str]]:
    """``parsed`` with the corrections as penalised alternatives."""
    present = {t for c in parsed.positive for a in c.alternatives for t in a}
    added: dict[str, list[tuple[str, ...]]] = {}
    factor: dict[str | tuple[str, ...], float] = {}
    notes = []
    for word, close in fixes.items():
        used = [c for c in close if c.term not in present]
        if not used:
            continue
        added[word.term] = [(c.term,) for c in used]
        for c in used:
            factor[c.term] = max(factor.get(c.term, 0.0), TYPO_PENALTY**c.typos)
        listed = ", ".join(dict.fromkeys(c.word for c in used))
        notes.append(f"{word.raw} also matched {listed} (typos)")
    if not added:
        return parsed, gathered, []
    positive = tuple(_widened(c, added) for c in parsed.positive)
    weights = {**parsed.weights, **factor}
    parsed = parsed.evolve(positive=positive, weights=weights)
    return parsed, Gathered(snapshot, parsed), notes


def weigh(
    snapshot: Snapshot, gathered: Gathered, weights: dict[str | tuple[str, ...], float]
) -> Gathered:
    """``gathered``, its document frequencies changed so that each weighted
    alternative's idf is its weight times its own (the scorer reads idf from
    them; a weighted alternative is never also a typed one)."""
    n = max(snapshot.doc_count, 1)
    for key, weight in weights.items():
        df = gathered.df.get(key, 0)
        if df:
            gathered.df[key] = weighted_df(df, n, weight)
    return gathered


def weighted_df(df: int, n: int, weight: float) -> int:
    """The document frequency whose idf is ``weight`` times that of ``df``
    (of ``n`` articles); the scorer's idf is ``log((n + 1) / (df + 0.5))``."""
    idf = math.log((n + 1) / (df + 0.5))
    return min(n, round((n + 1) / math.exp(weight * idf) - 0.5))


def _widened(clause: Clause, added: dict[str, list[tuple[str, ...]]]) -> Clause:
    more = [m for a in clause.alternatives if len(a) == 1 for m in added.get(a[0], ())]
    if not more:
        return clause
    return clause.evolve(
        alternatives=tuple(dict.fromkeys((*clause.alternatives, *more)))
    )

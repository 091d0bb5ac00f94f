"""The index-wide vocabulary: the segments' written words merged, for
autocomplete, did-you-mean and typo tolerance.

A :class:`Lexicon` is built from a snapshot's segments the first time one of
those features needs it, and kept as long as the snapshot (snapshots are
immutable). A new commit adds a segment: its lexicon is the previous one with
the new segment's words folded in, so a stream of small commits costs little.

Completions are found in tiers: the most frequent 2,048 words, then 32,768,
then all. When the prefix's range in a tier holds enough words, the best of
the whole range are all in that tier (every word outside it is less frequent),
so a short prefix (``b``, thousands of words) is answered from a small array.

Close words (typos) are searched among the words used by at least two
articles (a word used once is as likely a typo as a correction), of about the
same length and the same first letter: a filter on letter counts (one typo
changes at most two) keeps a few, whose distance is then computed exactly
(optimal string alignment: a swap of neighbouring letters is one typo).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterable
from typing import Final

import numpy as np

from newsindex._snapshot import Snapshot
from newsindex._topk import top_indexes
from newsindex._values import Value
from newsindex._vocabulary import (
    EMPTY,
    MAX_WORD_BYTES,
    SurfaceWords,
    WordCounts,
    merge_counts,
    normalize,
)
from newsindex.errors import QueryError

#: Sizes of the tiers of most frequent words that completions look in first.
TIERS: Final = (2_048, 32_768)
#: Fewest articles a word needs to be offered as a correction.
MIN_CORRECTION_COUNT: Final = 2
#: Lexicons kept for folding the next commit's segments into.
_RECENT: Final = 2

_ALPHABET: Final = "abcdefghijklmnopqrstuvwxyz"
# Letter counts: a-z, then any other byte, then the padding (ignored).
_OTHER, _PAD = 26, 27
# Each byte's column of the letter counts.
_CODES: Final = np.full(256, _OTHER, dtype=np.int32)
_CODES[ord("a") : ord("z") + 1] = np.arange(26)
_CODES[0] = _PAD


class CloseWord(Value):
    """A word of the index close to a typed one.

    Attributes:
        word: the written word (lower case).
        term: its index term.
        count: articles using it.
        typos: edits from the typed word (a first-letter edit counts 2).
    """

    __slots__ = ("count", "term", "typos", "word")
    word: str
    term: str
    count: int
    typos: int

    def __init__(self, word: str, term: str, count: int, typos: int) -> None:
        self._set(word, term, count, typos)


def typo_budget(word: str) -> int:
    """Typos allowed in ``word``: none under 5 letters, 1 from 5, 2 from 9
    (as Meilisearch); none in a word with anything but letters."""
    if not word.isalpha() or len(word) < 5:
        return 0
    return 1 if len(word) < 9 else 2


def distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance of ``a`` and ``b``, or ``limit + 1``
    if it is over ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            best = min(
                previous[j] + 1,
                row[j - 1] + 1,
                previous[j - 1] + (a[i - 1] != b[j - 1]),
            )
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                best = min(best, before[j - 2] + 1)
            row[j] = best
        if min(row) > limit:
            return limit + 1
        before, previous = previous, row
    return min(previous[-1], limit + 1)


class _Pool:
    """The words offered as corrections, by byte length then alphabet, as a
    byte matrix with each word's letter counts."""

    def __init__(self, counts: WordCounts) -> None:
        keep = np.flatnonzero(counts.counts >= MIN_CORRECTION_COUNT)
        words = counts.words[keep]
        width = max(words.dtype.itemsize, 1)
        matrix = np.frombuffer(words.tobytes(), np.uint8).reshape(len(words), width)
        lengths = (matrix != 0).sum(axis=1)
        order = np.lexsort((np.arange(len(words)), lengths))
        self.rows = keep[order]
        self.matrix = matrix[order]
        self.lengths = lengths[order]
        codes = _CODES[self.matrix]
        codes += (28 * np.arange(len(codes), dtype=np.int32))[:, None]
        self.letters = (
            np.bincount(codes.ravel(), minlength=28 * len(codes))
            .reshape(len(codes), 28)[:, :_PAD]
            .astype(np.int16)
        )

    def near(self, key: bytes, budget: int) -> np.ndarray:
        """Rows (of the lexicon) of words with ``key``'s first byte, of a
        length within ``budget``, whose letter counts allow ``budget`` typos."""
        found = []
        wanted = np.zeros(_PAD, dtype=np.int16)
        for byte in key:
            wanted[byte - ord("a") if 97 <= byte <= 122 else _OTHER] += 1
        for length in range(len(key) - budget, len(key) + budget + 1):
            lo, hi = np.searchsorted(self.lengths, [length, length + 1])
            if lo == hi:
                continue
            firsts = self.matrix[lo:hi, 0]
            a, b = np.searchsorted(firsts, [key[0], key[0] + 1])
            a, b = a + lo, b + lo
            if a == b:
                continue
            apart = np.abs(self.letters[a:b] - wanted).sum(axis=1)
            found.append(self.rows[a:b][apart <= 2 * budget])
        return np.concatenate(found) if found else np.empty(0, dtype=np.int64)


class Lexicon:
    """Every written word of a snapshot's articles, with its term and count.

    Thread-safe: built once, then only read (its lazy parts may be built
    twice by racing threads, with the same result).
    """

    def __init__(self, counts: WordCounts, keys: frozenset[str]) -> None:
        self.counts = counts
        #: The segments folded in (see :func:`lexicon_of`).
        self.keys = keys
        self._tiers: list[tuple[np.ndarray, np.ndarray]] | None = None
        self._pool: _Pool | None = None

    def __len__(self) -> int:
        return len(self.counts)

    def _find(self, word: str) -> int | None:
        words = self.counts.words
        key = word.encode("utf-8")
        at = int(np.searchsorted(words, key))
        return at if at < len(words) and words[at] == key else None

    def count(self, word: str) -> int:
        """Articles using ``word`` (normalised), 0 if none."""
        at = self._find(word)
        return 0 if at is None else int(self.counts.counts[at])

    def complete(self, prefix: str, limit: int) -> list[str]:
        """Up to ``limit`` words starting with ``prefix`` (normalised), most
        used first (ties in alphabetical order)."""
        key = prefix.encode("utf-8")
        if not key or not len(self.counts):
            return []
        if self._tiers is None:
            self._tiers = self._build_tiers()
        for words, counts in self._tiers:
            lo, hi = (int(i) for i in np.searchsorted(words, [key, key + b"\xff"]))
            if hi - lo >= limit or words is self.counts.words:
                best = top_indexes(counts[lo:hi], limit) + lo
                return [w.decode("utf-8") for w in words[best].tolist()]
        return []  # not reached: the last tier is every word

    def _build_tiers(self) -> list[tuple[np.ndarray, np.ndarray]]:
        counts = self.counts.counts
        order = np.argsort(-counts.astype(np.int64), kind="stable")
        tiers = []
        for size in TIERS:
            if size < len(counts):
                rows = np.sort(order[:size])
                tiers.append((self.counts.words[rows], counts[rows]))
        tiers.append((self.counts.words, counts))
        return tiers

    def close_words(self, word: str, budget: int) -> list[CloseWord]:
        """Words of at least :data:`MIN_CORRECTION_COUNT` articles within
        ``budget`` typos of ``word`` (normalised), fewest typos first, then
        most used. A first-letter typo costs two, so it is tried only with a
        budget of two."""
        key = word.encode("utf-8")
        if budget < 1 or not key:
            return []
        if self._pool is None:
            self._pool = _Pool(self.counts)
        found: dict[int, int] = {}
        for row in self._pool.near(key, budget).tolist():
            candidate = self.counts.words[row].decode("utf-8")
            typos = distance(word, candidate, budget)
            if 0 < typos <= budget:
                found[row] = typos
        if budget >= 2:
            for row in self._rows(_first_letter_typos(word)):
                found.setdefault(row, 2)
        close = [
            CloseWord(
                self.counts.words[row].decode("utf-8"),
                self.counts.terms[row].decode("utf-8"),
                int(self.counts.counts[row]),
                typos,
            )
            for row, typos in found.items()
            if self.counts.counts[row] >= MIN_CORRECTION_COUNT
        ]
        close.sort(key=lambda c: (c.typos, -c.count, c.word))
        return close

    def _rows(self, words: Iterable[str]) -> list[int]:
        rows = (self._find(w) for w in words)
        return [row for row in rows if row is not None]


def _first_letter_typos(word: str) -> set[str]:
    """The words one edit of the first letter away from ``word``."""
    rest = word[1:]
    found = {rest, word[1] + word[0] + word[2:]}
    for letter in _ALPHABET:
        found.add(letter + rest)
        found.add(letter + word)
    found.discard(word)
    return found


_cache: weakref.WeakKeyDictionary[Snapshot, Lexicon] = weakref.WeakKeyDictionary()
_recent: list[Lexicon] = []
_lock = threading.Lock()


def lexicon_of(snapshot: Snapshot) -> Lexicon:
    """The lexicon of ``snapshot``, built on first use and then kept with it.

    Segments written before the vocabulary existed have no words to give;
    the lexicon does without them.
    """
    found = _cache.get(snapshot)
    if found is not None:
        return found
    with _lock:  # one build at a time: a second caller waits and reuses it
        found = _cache.get(snapshot)
        if found is None:
            found = _build(snapshot)
            _cache[snapshot] = found
            _recent.insert(0, found)
            del _recent[_RECENT:]
        return found


def _build(snapshot: Snapshot) -> Lexicon:
    parts = {}
    for segment in snapshot.segments:
        counts = segment.feature(SurfaceWords)
        if counts is not None:
            parts[segment.where] = counts
    keys = frozenset(parts)
    # A lexicon of some of these segments (the commit before) is reused.
    base = max(
        (lexicon for lexicon in _recent if lexicon.keys <= keys),
        key=lambda lexicon: len(lexicon.keys),
        default=None,
    )
    start = EMPTY if base is None else base.counts
    done = frozenset() if base is None else base.keys
    rest = [counts for key, counts in parts.items() if key not in done]
    return Lexicon(merge_counts([start, *rest]), keys)


def complete(
    snapshot: Snapshot, prefix: str, limit: int, max_limit: int
) -> tuple[str, ...]:
    """Completions of the last word of ``prefix``, the text before it kept as
    typed (see :meth:`newsindex.NewsIndex.suggest`).

    Raises:
        QueryError: ``prefix`` is not text, or ``limit`` is not from 1 to
            ``max_limit``.
    """
    return complete_last_word(
        prefix, lambda word, n: lexicon_of(snapshot).complete(word, n), limit,
        max_limit,
    )  # fmt: skip


def complete_last_word(
    prefix: str, words: Callable[[str, int], list[str]], limit: int, max_limit: int
) -> tuple[str, ...]:
    """``prefix`` with its last word completed by ``words(word, limit)``: the
    index's words that start with it, most used first; the text before the
    word is kept as typed. Any engine's completion (see :func:`complete`).

    Raises:
        QueryError: ``prefix`` is not text, or ``limit`` is not from 1 to
            ``max_limit``.
    """
    if not isinstance(prefix, str):
        raise QueryError(f"prefix must be a string, not {type(prefix).__name__}")
    if (
        isinstance(limit, bool)
        or not isinstance(limit, int)
        or not 1 <= limit <= max_limit
    ):
        raise QueryError(
            f"limit must be an integer from 1 to {max_limit}, not {limit!r}"
        )
    # The last word, found from the end (a pattern anchored at the end would
    # try every start in a long run of letters).
    start = len(prefix)
    while (
        start and prefix[start - 1].isalnum() and len(prefix) - start <= MAX_WORD_BYTES
    ):
        start -= 1
    word = normalize(prefix[start:])
    if not word.isalpha() or len(word.encode("utf-8")) > MAX_WORD_BYTES:
        return ()
    head = prefix[:start]
    return tuple(head + w for w in words(word, limit))

"""The written forms of words and how many articles use each, a segment feature.

Did-you-mean, typo tolerance and autocomplete work on words as people write
them (``kenaikan``), not on index terms (``naik``). Each segment keeps, for
every word its articles use that the analyzer indexes (letters only, lower
case after Unicode NFKC as the analyzer normalises, at most
:data:`MAX_WORD_BYTES` bytes of UTF-8), the number of its articles that use
it and the word's term. The file, ``.nxw``, is three little-endian arrays::

    magic "NXw1" | n (u32) | word width (u16) | term width (u16)
    | words: n byte strings of the word width, sorted, NUL-padded
    | terms: n byte strings of the term width (each word's term)
    | counts: u32[n] (articles of the segment using the word)

It is read back as memory-mapped numpy arrays (nothing is decoded when a
segment is opened), and merged by summing counts. Counts include articles
deleted after their segment was written: a segment's counts are fixed when it
is written (per-article word lists would double the index's size), so they
only ever overstate, and searches check a word's term before relying on it.
"""

from __future__ import annotations

import mmap
import re
import struct
import unicodedata
from array import array
from collections.abc import Callable
from typing import Any, ClassVar, Final

import numpy as np

from newsindex._analysis import Analyzer
from newsindex._article import Article
from newsindex._kernels import speedups
from newsindex._segment_text import SegmentText
from newsindex._values import Value

#: Longer words (in UTF-8 bytes) are left out: they are never real words
#: that anyone types (``wonderfulnoonskyofjakarta``), and they would widen
#: every fixed-width array.
MAX_WORD_BYTES: Final = 24

_MAGIC: Final = b"NXw1"
_HEADER = struct.Struct("<4sIHH")
# Runs of letters and digits: the words, and the parts of hyphenated
# compounds, that the analyzer indexes one by one.
_WORD_RE = re.compile(r"[^\W_]+")


def chunk_word_ids_python(
    chunks: list[str],
    known: dict[str, int | None],
    resolve: Callable[[str], int | None],
) -> tuple[bytes, bytes]:
    """For each chunk, the ids of its written words (runs of ``_WORD_RE``):
    ``known[raw]``, or else ``resolve(raw)``, remembered in ``known``; words
    whose id is ``None`` are left out. Returns ``word_ptr`` (one more than
    the chunks) and ``word_ids`` as native 64-bit numbers: chunk ``c``'s
    ids are ``word_ids[word_ptr[c]:word_ptr[c + 1]]``. The Python version
    of ``_speedups.chunk_word_ids`` (see ``_kernels.py``)."""
    word_ptr = array("q", [0])
    word_ids = array("q")
    for chunk in chunks:
        for raw in _WORD_RE.findall(chunk):
            if raw in known:
                wid = known[raw]
            else:
                wid = known[raw] = resolve(raw)
            if wid is not None:
                word_ids.append(wid)
        word_ptr.append(len(word_ids))
    return word_ptr.tobytes(), word_ids.tobytes()


chunk_word_ids = chunk_word_ids_python if speedups is None else speedups.chunk_word_ids


def kept_word(raw: str, analyzer: Analyzer) -> tuple[str, str] | None:
    """A written word (a run of ``_WORD_RE``) as the vocabulary keeps it,
    and its term: normalised, letters only, at most :data:`MAX_WORD_BYTES`,
    and indexed (not a stopword); ``None`` if it is left out."""
    word = normalize(raw)
    if not word.isalpha() or len(word.encode("utf-8")) > MAX_WORD_BYTES:
        return None
    term = analyzer.term(raw)
    return None if term is None else (word, term)


def written_words(
    text: str, analyzer: Analyzer, known: dict[str, str | None] | None = None
) -> set[str]:
    """The distinct kept words of ``text`` (see :func:`kept_word`).

    ``known``: the caller's cache of each written word's kept form (``None``
    if left out), for a stream of texts; emptied when it grows large.
    """
    if known is None:
        known = {}
    elif len(known) > _KNOWN_LIMIT:
        known.clear()
    out = set()
    for raw in set(_WORD_RE.findall(text)):
        if raw in known:
            word = known[raw]
        else:
            kept = kept_word(raw, analyzer)
            word = known[raw] = None if kept is None else kept[0]
        if word is not None:
            out.add(word)
    return out


_KNOWN_LIMIT: Final = 300_000


def normalize(word: str) -> str:
    """A word as the vocabulary keeps it: NFKC, lower case (as the analyzer)."""
    if not word.isascii():
        word = unicodedata.normalize("NFKC", word)
    return word.lower()


class WordCounts(Value):
    """Written words, sorted, with their terms and article counts.

    Attributes:
        words: byte strings (UTF-8), sorted and unique.
        terms: the term of each word.
        counts: articles using each word.
    """

    __slots__ = ("counts", "terms", "words")
    __eq__ = object.__eq__  # arrays: compared by identity
    __hash__ = object.__hash__
    words: np.ndarray
    terms: np.ndarray
    counts: np.ndarray

    def __init__(self, words: np.ndarray, terms: np.ndarray, counts: np.ndarray):
        self._set(words, terms, counts)

    def __len__(self) -> int:
        return len(self.words)


EMPTY: Final = WordCounts(
    np.empty(0, dtype="S1"), np.empty(0, dtype="S1"), np.empty(0, dtype=np.int64)
)


def _wide(values: np.ndarray, width: int) -> np.ndarray:
    return values if values.dtype.itemsize == width else values.astype(f"S{width}")


def _merge_two(a: WordCounts, b: WordCounts) -> WordCounts:
    """The union of two sorted vocabularies, counts summed (numpy throughout)."""
    if not len(b):
        return a
    if not len(a):
        return b
    width = max(a.words.dtype.itemsize, b.words.dtype.itemsize)
    term_width = max(a.terms.dtype.itemsize, b.terms.dtype.itemsize)
    a_words, b_words = _wide(a.words, width), _wide(b.words, width)
    at = np.searchsorted(a_words, b_words)
    inside = at < len(a_words)
    same = np.zeros(len(b_words), dtype=bool)
    same[inside] = a_words[at[inside]] == b_words[inside]
    counts = a.counts.astype(np.int64)
    counts[at[same]] += b.counts[same]
    new = ~same
    return WordCounts(
        np.insert(a_words, at[new], b_words[new]),
        np.insert(_wide(a.terms, term_width), at[new], _wide(b.terms, term_width)[new]),
        np.insert(counts, at[new], b.counts[new].astype(np.int64)),
    )


#: Articles whose (article, word) pairs are counted together.
_BLOCK_ARTICLES: Final = 1024


def _article_words(
    chunk_ids: np.ndarray,
    chunk_counts: np.ndarray,
    per_chunk: np.ndarray,
    word_ptr: np.ndarray,
    word_ids: np.ndarray,
    width: int,
) -> np.ndarray:
    """Every (article, word) pair of a field's articles, as ``article * width
    + word``, through each article's chunks (``chunk_counts`` per article)."""
    words_in = per_chunk[chunk_ids]
    docs = np.repeat(np.arange(len(chunk_counts), dtype=np.int64), chunk_counts)
    pairs = np.repeat(docs * width, words_in)
    del docs
    firsts = word_ptr[chunk_ids] - np.cumsum(words_in) + words_in
    pairs += word_ids[np.repeat(firsts, words_in) + np.arange(len(pairs))]
    return pairs


def merge_counts(parts: list[WordCounts]) -> WordCounts:
    """The union of sorted vocabularies, counts summed; the largest first, so
    that each step inserts the fewest words."""
    merged = EMPTY
    for part in sorted(parts, key=len, reverse=True):
        merged = _merge_two(merged, part)
    return merged


def _to_array(values: list[bytes]) -> np.ndarray:
    width = max((len(v) for v in values), default=1) or 1
    return np.array(values, dtype=f"S{width}")


def _write(path: str, counts: WordCounts) -> None:
    n = len(counts)
    words = _wide(counts.words, max(counts.words.dtype.itemsize, 1))
    terms = _wide(counts.terms, max(counts.terms.dtype.itemsize, 1))
    with open(path, "wb") as out:
        header = _HEADER.pack(_MAGIC, n, words.dtype.itemsize, terms.dtype.itemsize)
        out.write(header)
        out.write(words.tobytes())
        out.write(terms.tobytes())
        out.write(np.asarray(counts.counts).astype("<u4").tobytes())


def read_counts(path: str) -> WordCounts:
    """The word counts of a ``.nxw`` file, as arrays over a memory map.

    Raises:
        ValueError, OSError: the file is damaged or missing.
    """
    with open(path, "rb") as handle:
        size = handle.seek(0, 2)
        if size < _HEADER.size:
            raise ValueError("bad vocabulary file")
        # A memory map outlives the file's deletion by a merge (POSIX).
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    magic, n, width, term_width = _HEADER.unpack_from(mapped)
    if (
        magic != _MAGIC
        or not width
        or not term_width
        or size != _HEADER.size + n * (width + term_width + 4)
    ):
        raise ValueError("bad vocabulary file")
    at = _HEADER.size
    words = np.frombuffer(mapped, f"S{width}", n, at)
    terms = np.frombuffer(mapped, f"S{term_width}", n, at + n * width)
    counts = np.frombuffer(mapped, "<u4", n, at + n * (width + term_width))
    return WordCounts(words, terms, counts)


class SurfaceWords:
    """Segment feature: the written words of a segment's articles, counted.

    Each article counts once per word, whatever the field or repetitions.
    Nothing is kept per article: when the segment is written, the words of
    each distinct chunk of its text (``_segment_text.py``) are found once,
    and the articles using each word counted with numpy from the articles'
    chunks.
    """

    ext: ClassVar[str] = ".nxw"

    def __init__(self, analyzer: Analyzer) -> None:
        self._analyzer = analyzer

    def prepare(self, article: Article) -> None:
        return None

    def append(self, prepared: None, docnum: int) -> None:
        pass

    def write(self, path: str, doc_count: int, text: SegmentText) -> None:
        words, terms, word_ptr, word_ids = self._chunk_words(text.chunks)
        per_chunk = np.diff(word_ptr)
        fields = [
            (chunk_ids, counts, np.r_[0, np.cumsum(counts, dtype=np.int64)])
            for chunk_ids, counts in text.fields.values()
        ]
        counts = np.zeros(len(words), dtype=np.int64)
        # A block of articles at a time: their (article, word) pairs, each
        # counted once, take memory in proportion to the block, not the segment.
        for first in range(0, doc_count, _BLOCK_ARTICLES):
            last = min(first + _BLOCK_ARTICLES, doc_count)
            pairs = np.concatenate(
                [
                    _article_words(
                        chunk_ids[bounds[first] : bounds[last]],
                        chunk_counts[first:last],
                        per_chunk,
                        word_ptr,
                        word_ids,
                        len(words),
                    )
                    for chunk_ids, chunk_counts, bounds in fields
                ]
            )
            pairs.sort()  # np.unique is many times slower on these
            distinct = (
                pairs[np.r_[True, pairs[1:] != pairs[:-1]]] if len(pairs) else pairs
            )
            counts += np.bincount(distinct % max(len(words), 1), minlength=len(words))
        order = sorted(np.flatnonzero(counts).tolist(), key=words.__getitem__)
        _write(
            path,
            WordCounts(
                _to_array([words[i].encode("utf-8") for i in order]),
                _to_array([terms[i].encode("utf-8") for i in order]),
                counts[order],
            ),
        )

    def _chunk_words(
        self, chunks: list[str]
    ) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
        """The kept words (normalised) and their terms, and for each chunk
        the ids of its kept words (``word_ids[word_ptr[c]:word_ptr[c + 1]]``)."""
        word_of: dict[str, int] = {}
        words: list[str] = []
        terms: list[str] = []

        def resolve(raw: str) -> int | None:
            kept = kept_word(raw, self._analyzer)
            if kept is None:
                return None
            word, term = kept
            wid = word_of.get(word)
            if wid is None:
                wid = word_of[word] = len(words)
                words.append(word)
                terms.append(term)
            return wid

        word_ptr, word_ids = chunk_word_ids(chunks, {}, resolve)
        return (
            words,
            terms,
            np.frombuffer(word_ptr, dtype=np.int64),
            np.frombuffer(word_ids, dtype=np.int64),
        )

    @classmethod
    def merge(cls, sources: list[tuple[Any, np.ndarray]], path: str) -> None:
        # Articles dropped by the merge still count (see the module docstring).
        _write(path, merge_counts([r for r, _ in sources if r is not None]))

    @classmethod
    def read(cls, path: str, doc_count_all: int) -> WordCounts:
        return read_counts(path)

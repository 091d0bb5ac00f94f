"""Indonesian text analysis: words, offsets, lower case, stopwords, stems.

One :class:`Analyzer` serves indexing, querying and highlighting, so the three
can never disagree about what a word is. The steps, per word:

1. Tokenize the original text with ``_tokens.TOKEN_PATTERN``: runs of letters and
   digits, numbers with inner separators kept whole (``5,2``, ``1.000``, and
   ``Rp10.000`` as ``Rp`` + ``10.000``), and hyphenated compounds
   (``anak-anak``, ``Covid-19``). Offsets always refer to the original text.
2. Normalize: Unicode NFKC, then lower case.
3. Hyphenated compounds: a reduplication (both halves equal, or equal after
   stemming: ``anak-anak``, ``rata-rata``, ``berlari-lari``) becomes one token
   with the base's term, so ``anak`` and ``anak-anak`` find each other. Other
   compounds (``Covid-19``, ``sayur-mayur``) become one token per part.
4. Drop stopwords (positions are renumbered, so a phrase query skips them).
5. Stem, unless the word holds a digit or is a protected word (stem
   exclusions: proper nouns such as ``bekasi`` that the stemmer would turn
   into ``bekas``).

Every distinct surface word is analysed once per analyzer and then served
from a bounded cache: news vocabulary is Zipfian, so after the first few
hundred articles nearly every word is a cache hit.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any, Final

from newsindex import _wordlists
from newsindex._kernels import speedups
from newsindex._stemmers import Stemmer, builtin_stemmer_for, get_stemmer
from newsindex._stemtable import StemTable
from newsindex._tokens import (
    TOKEN_RE,
    ChunkAnalysis,
    Part,
    Token,
    WordAnalysis,
    split_chunks,
)
from newsindex.errors import ConfigurationError

#: Words longer than this are not indexed (they are never real words).
MAX_WORD_LENGTH: Final = 64
#: Distinct surface words kept in an analyzer's cache (about 150 bytes each).
DEFAULT_CACHE_SIZE: Final = 300_000
#: Most chunks of text (pieces between spaces) remembered with their analysis.
#: A segment builder keeps its own chunks' ids; this cache serves chunks met
#: again in later segments. Measured, the parallel build of 25,420 articles:
#: 300,000 chunks 9.0 s and 505 MB for the three processes, 100,000 8.9 s
#: and 455 MB, 30,000 9.1 s and 453 MB.
CHUNK_CACHE_SIZE: Final = 100_000
#: Bumped whenever tokenization or normalization changes what terms a text
#: yields; recorded in each index.
TOKENIZER_VERSION: Final = 1

DEFAULT_STOPWORDS: Final[frozenset[str]] = _wordlists.STOPWORDS
DEFAULT_PROTECTED_WORDS: Final[frozenset[str]] = _wordlists.PROTECTED_WORDS

_HAS_DIGIT = re.compile(r"\d")
# A run of letters: where it ends before anything but a digit or a hyphen,
# it is what TOKEN_RE matches there (see span_at).
_LETTER_RUN = re.compile(r"[^\W\d_]+")


def _normalize(word: str) -> str:
    if not word.isascii():
        word = unicodedata.normalize("NFKC", word)
    return word.lower()


def _rebuild(
    stemmer: Stemmer,
    stopwords: frozenset[str],
    protected: frozenset[str],
    cache_size: int,
) -> Analyzer:
    return Analyzer(
        stemmer=stemmer,
        stopwords=stopwords,
        protected_words=protected,
        cache_size=cache_size,
    )


def _is_reduplication(first: str, second: str, analyze: Any) -> bool:
    """Whether ``first-second`` repeats one word (possibly with affixes)."""
    if first == second:
        return True
    if not (first.isalpha() and second.isalpha()):
        return False
    # sehari-hari, meniru-niru; obat-obatan, anak-anaknya; or equal stems.
    return (
        first.endswith(second)
        or second.startswith(first)
        or analyze(first) == analyze(second)
    )


def _remember(cache: dict[str, Any], key: str, value: Any, limit: int) -> None:
    """Store in a bounded cache; a full cache is emptied and starts again."""
    if len(cache) >= limit:
        cache.clear()
    cache[key] = value


def _digest(words: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(sorted(words)).encode()).hexdigest()[:16]


class Analyzer:
    """Turns Indonesian text into index terms, with offsets.

    Analyzers are thread-safe and cheap to share; build one and reuse it, so
    its cache stays warm. Two analyzers are equal when they produce the same
    terms for every text.

    Args:
        stemmer: ``"sastrawi"`` (default), ``"tala"``, ``"none"``, or an
            object with ``name`` and ``stem(word)`` (see
            :class:`newsindex.Stemmer`).
        stopwords: words not indexed; default :data:`DEFAULT_STOPWORDS`.
        protected_words: words never stemmed; default
            :data:`DEFAULT_PROTECTED_WORDS`.
        extra_stopwords: added to ``stopwords``.
        extra_protected_words: added to ``protected_words``.
        cache_size: most distinct words remembered (surface forms and
            normalized forms are cached separately, each up to this many);
            a full cache is emptied and refilled, which bounds its memory.

    Raises:
        ConfigurationError: an unknown stemmer name or a non-positive cache size.
    """

    def __init__(
        self,
        *,
        stemmer: str | Stemmer = "sastrawi",
        stopwords: Iterable[str] | None = None,
        protected_words: Iterable[str] | None = None,
        extra_stopwords: Iterable[str] = (),
        extra_protected_words: Iterable[str] = (),
        cache_size: int = DEFAULT_CACHE_SIZE,
    ) -> None:
        if cache_size < 1:
            raise ConfigurationError(f"cache_size must be positive, not {cache_size}")
        self._stemmer = get_stemmer(stemmer)
        base_stop = DEFAULT_STOPWORDS if stopwords is None else stopwords
        base_protected = (
            DEFAULT_PROTECTED_WORDS if protected_words is None else protected_words
        )
        self._stopwords = frozenset(
            _normalize(w) for w in (*base_stop, *extra_stopwords)
        )
        self._protected = frozenset(
            _normalize(w) for w in (*base_protected, *extra_protected_words)
        )
        self._cache_size = cache_size
        # Surface word -> analysis. Reads and writes of a dict are atomic, so
        # threads share it without a lock; two threads missing on the same
        # word both compute the same value.
        self._cache: dict[str, WordAnalysis] = {}
        # Normalized word -> term.
        self._terms: dict[str, str] = {}
        # The index's stem table, and stems learned since it was written.
        self._stem_table: StemTable | None = None
        self._learned: dict[str, str] = {}
        # Whole texts, for indexing (see _tokens.py).
        self._chunks = ChunkAnalysis(
            self._word_analysis, min(cache_size, CHUNK_CACHE_SIZE)
        )

    # -- configuration -----------------------------------------------------

    @property
    def stemmer(self) -> Stemmer:
        """The stemmer object."""
        return self._stemmer

    @property
    def stopwords(self) -> frozenset[str]:
        """Normalized words that are not indexed."""
        return self._stopwords

    @property
    def protected_words(self) -> frozenset[str]:
        """Normalized words that are indexed without stemming."""
        return self._protected

    def describe(self) -> dict[str, Any]:
        """Return a JSON-compatible record of everything that shapes terms.

        The index stores it; :meth:`from_description` rebuilds the analyzer.
        """
        return {
            "tokenizer": TOKENIZER_VERSION,
            "stemmer": self._stemmer.name,
            "stopwords": sorted(self._stopwords),
            "protected_words": sorted(self._protected),
        }

    def fingerprint(self) -> str:
        """A short digest of :meth:`describe`, for messages and comparisons."""
        d = self.describe()
        parts = (
            f"t{d['tokenizer']}",
            d["stemmer"],
            _digest(d["stopwords"]),
            _digest(d["protected_words"]),
        )
        return "/".join(parts)

    @classmethod
    def from_description(
        cls, description: Mapping[str, Any], *, stemmer: Stemmer | None = None
    ) -> Analyzer:
        """Rebuild the analyzer that :meth:`describe` recorded.

        Args:
            description: a record from :meth:`describe`.
            stemmer: the stemmer object, needed when the record names a
                stemmer that is not built in.

        Raises:
            ConfigurationError: the record's stemmer is not built in and no stemmer
                with that name was given, or the tokenizer is newer than
                this version of newsindex knows.
        """
        if description.get("tokenizer") != TOKENIZER_VERSION:
            raise ConfigurationError(
                f"tokenizer version {description.get('tokenizer')!r} is not "
                f"the one this newsindex uses ({TOKENIZER_VERSION})"
            )
        name = description["stemmer"]
        if stemmer is None:
            stemmer = builtin_stemmer_for(name)
        if stemmer is None or stemmer.name != name:
            raise ConfigurationError(
                f"the index was built with stemmer {name!r}; pass an analyzer "
                "with that stemmer"
            )
        return cls(
            stemmer=stemmer,
            stopwords=description["stopwords"],
            protected_words=description["protected_words"],
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Configuration only: worker processes build their own caches. A
        # custom stemmer must itself be picklable to use jobs > 1.
        return (
            _rebuild,
            (self._stemmer, self._stopwords, self._protected, self._cache_size),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Analyzer):
            return NotImplemented
        return self.describe() == other.describe()

    def __hash__(self) -> int:
        return hash(self.fingerprint())

    def __repr__(self) -> str:
        return (
            f"Analyzer(stemmer={self._stemmer!r}, "
            f"stopwords=<{len(self._stopwords)} words>, "
            f"protected_words=<{len(self._protected)} words>)"
        )

    # -- analysis ----------------------------------------------------------

    def tokens(self, text: str) -> list[Token]:
        """Return the indexed words of ``text`` with their offsets.

        Stopwords and over-long words are left out; ``position`` counts only
        the tokens returned.
        """
        return [
            Token(text[start:end], term, start, end, position)
            for position, (start, end, term) in enumerate(self.spans(text))
        ]

    def terms(self, text: str) -> list[str]:
        """Return the index terms of ``text`` in order (the indexing path)."""
        get = self._cache.get
        out: list[str] = []
        append = out.append
        for match in TOKEN_RE.finditer(text):
            word = match.group()
            analysis = get(word)
            if analysis is None:
                analysis = self._miss(word)
            if isinstance(analysis, str):
                if analysis:
                    append(analysis)
            else:
                out.extend(term for _, _, term in analysis if term)
        return out

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """Return ``(start, end, term)`` for each indexed word of ``text``.

        The list index of a span is its position, as in :meth:`terms`.
        """
        get = self._cache.get
        out: list[tuple[int, int, str]] = []
        append = out.append
        for match in TOKEN_RE.finditer(text):
            word = match.group()
            analysis = get(word)
            if analysis is None:
                analysis = self._miss(word)
            if isinstance(analysis, str):
                if analysis:
                    append((match.start(), match.end(), analysis))
            else:
                base = match.start()
                out.extend(
                    (base + s, base + e, term) for s, e, term in analysis if term
                )
        return out

    def terms_and_starts(
        self, text: str, chunks: list[str] | None = None
    ) -> tuple[list[str], list[int]]:
        """The terms of ``text`` and the offset where each one's word begins.

        The indexing path: the offsets go into the index, so that snippets
        need no analysis at search time (see :meth:`span_at`). ``chunks`` is
        ``split_chunks(text)`` (``_tokens.py``) when the caller has it.
        """
        return self._chunks.terms_and_starts(
            split_chunks(text) if chunks is None else chunks
        )

    def chunk_words(self, chunk: str) -> tuple[tuple[int, str], ...]:
        """``(offset, term)`` of each indexed word of a chunk of text (a piece
        between spaces, see ``_tokens.py``); the indexing path, cached."""
        return self._chunks.words(chunk)

    def span_at(self, text: str, start: int) -> tuple[int, int] | None:
        """The indexed word that begins at ``start``, as ``(start, end)``.

        ``start`` is an offset from :meth:`terms_and_starts`; ``None`` if no
        indexed word begins there (the text is not the one analysed).
        """
        # Most words are letters only, up to a character that is neither a
        # digit nor a hyphen: the pattern's match, found with a simpler one.
        match = _LETTER_RUN.match(text, start)
        if match is not None:
            end = match.end()
            if end < len(text) and (text[end] == "-" or text[end].isdecimal()):
                match = None
        if match is None:
            match = TOKEN_RE.match(text, start)
            if match is None:
                return None
        word = match.group()
        analysis = self._cache.get(word)
        if analysis is None:
            analysis = self._miss(word)
        if isinstance(analysis, str):
            return (start, match.end()) if analysis else None
        return next(
            ((start + s, start + e) for s, e, term in analysis if s == 0 and term),
            None,
        )

    def word_ends(self, text: str, starts: list[int]) -> list[int]:
        """Where the indexed word beginning at each of ``starts`` ends, or -1
        where none does: :meth:`span_at` for many words of one text, a
        compiled loop for plain words where it was built (``_kernels.py``)."""
        if speedups is None:
            ends = [-2] * len(starts)
        else:
            ends = speedups.word_ends(text, starts, self._cache)
        for i, end in enumerate(ends):
            if end == -2:  # not a plain word the cache knows: ask span_at
                span = self.span_at(text, starts[i])
                ends[i] = -1 if span is None else span[1]
        return ends

    def term(self, word: str) -> str | None:
        """Return the term for a single word, or ``None`` if not indexed."""
        # The cache's words are whole matches of the pattern, so a word found
        # there with one term (or none) needs no matching.
        analysis = self._cache.get(word)
        if isinstance(analysis, str):
            return analysis or None
        found = self.terms(word)
        return found[0] if len(found) == 1 else None

    def cache_len(self) -> int:
        """Number of distinct surface words currently cached."""
        return len(self._cache)

    # -- cache misses --------------------------------------------------------

    def _word_analysis(self, word: str) -> WordAnalysis:
        analysis = self._cache.get(word)
        return self._miss(word) if analysis is None else analysis

    def _miss(self, word: str) -> WordAnalysis:
        analysis: WordAnalysis
        if len(word) > MAX_WORD_LENGTH:
            analysis = ""
        elif "-" in word:
            analysis = self._analyze_compound(word)
        else:
            analysis = self._analyze_word(_normalize(word))
        _remember(self._cache, word, analysis, self._cache_size)
        return analysis

    def _analyze_word(self, norm: str) -> str:
        # Surface forms differ in case ("Naik", "NAIK") far more often than
        # normalized words differ, so stems get a cache of their own.
        term = self._terms.get(norm)
        if term is None:
            if norm in self._stopwords:
                term = ""
            elif norm in self._protected or _HAS_DIGIT.search(norm):
                term = norm
            elif not norm.isalpha():
                # NFKC can expand one character into several words ("ﷺ");
                # index it whole, without the spaces, and do not stem it.
                term = "".join(norm.split())
            else:
                term = self._stem(norm)
            _remember(self._terms, norm, term, self._cache_size)
        return term

    # -- the stem table --------------------------------------------------------

    def use_stem_table(self, table: StemTable | None) -> None:
        """Look words up in ``table`` before stemming them (see
        ``_stemtable.py``); the stems the stemmer gives are then learned, for
        :meth:`learned_stems`."""
        self._stem_table = table

    def learned_stems(self) -> dict[str, str]:
        """The stems the stemmer gave that the table lacked, taken away."""
        learned, self._learned = self._learned, {}
        return learned

    def learn_stems(self, stems: Mapping[str, str]) -> None:
        """Add stems another process learned (a worker's) to :meth:`learned_stems`."""
        self._learned.update(stems)

    def _stem(self, norm: str) -> str:
        table = self._stem_table
        if table is not None:
            known = table.get(norm)
            if known is not None:
                return known
        stem = self._stemmer.stem(norm) or norm
        if table is not None:
            _remember(self._learned, norm, stem, self._cache_size)
        return stem

    def _analyze_compound(self, word: str) -> WordAnalysis:
        norm = _normalize(word)
        if norm in self._stopwords:
            return ""
        pieces = word.split("-")
        if len(pieces) == 2:
            first, second = (_normalize(p) for p in pieces)
            if _is_reduplication(first, second, self._analyze_word):
                # One token, indexed as the base: anak-anak -> anak,
                # berlari-lari -> lari, memanggil-manggil -> panggil.
                return self._analyze_word(first)
        parts: list[Part] = []
        offset = 0
        for piece in pieces:
            parts.append(
                (offset, offset + len(piece), self._analyze_word(_normalize(piece)))
            )
            offset += len(piece) + 1
        return tuple(parts)

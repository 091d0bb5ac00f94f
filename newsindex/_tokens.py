"""What a word is, and the indexing path that analyses whole texts quickly.

:data:`TOKEN_PATTERN` defines the words of a text. Matching it word by word
from Python costs about a microsecond a word, most of it in the regular
expression engine, which scans each word two or three times (the pattern's
alternatives share their starts). Indexing does not need to: no word spans a
space, so a text is split at spaces (``str.split``, in C) into *chunks*
(``kenaikan``, ``Jakarta,``, ``(Rp10.000)``), and a chunk's analysis is the
same wherever it appears. News text repeats its chunks as it repeats its
words, so :class:`ChunkAnalysis` looks each chunk up in a cache and runs the
pattern only on chunks it has not seen; offsets follow from the chunks'
lengths. Every step over the chunks of a text is a builtin mapped over a
list, so the per-word cost is a few dictionary and list operations in C.

Only chunks that hold one indexed word at their first character (most of
them: ``naik``, ``naik,``) are served from the fast path; the others
(``(naik``, ``Covid-19``, ``12/3``) are spliced in from their parts.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from itertools import accumulate, compress
from operator import add
from typing import Any, Final

from newsindex._values import Value

#: Numbers with inner ``.``/``,`` (``5,2``, ``10.000``); letters directly
#: before such a number, on their own (``Rp`` of ``Rp10.000``: the lookahead
#: and back-reference make the letter run atomic, so it is cheap); words and
#: hyphenated compounds.
TOKEN_PATTERN: Final = (
    r"\d+(?:[.,]\d+)+"
    r"|(?=([^\W\d_]+))\1(?=\d+[.,]\d)"
    r"|[^\W_]+(?:-[^\W_]+)*"
)
TOKEN_RE: Final = re.compile(TOKEN_PATTERN)

# A part of a hyphenated compound that is indexed on its own:
# (start offset within the compound, end offset, term or "" for a stopword).
Part = tuple[int, int, str]
# What an analyzer knows of a written word: its term ("" when it is not
# indexed), or the parts of a compound that is split.
WordAnalysis = str | tuple[Part, ...]

# Punctuation often found around words. Each is \W and never matched by the
# pattern except between digits or words, so stripping these from a chunk
# that leaves only letters leaves exactly the word the pattern would find.
_EDGES: Final = (
    string.punctuation + "\u201c\u201d\u2018\u2019\u00ab\u00bb\u2013\u2014\u2026"
)

# Whitespace other than the space that texts commonly hold; each is replaced
# by a space before splitting (one character for one, so offsets stay).
_OTHER_SPACES: Final = ("\n", "\r", "\t")


def split_chunks(text: str) -> list[str]:
    """``text`` split at each space, after tabs and line breaks became spaces
    (so chunk lengths plus one space each give offsets in ``text``)."""
    for space in _OTHER_SPACES:
        if space in text:
            text = text.replace(space, " ")
    return text.split(" ")


class Token(Value):
    """One indexed word of a text.

    Attributes:
        text: the word exactly as it appears in the text.
        term: what is indexed for it (normalized, stemmed).
        start: offset of the first character in the text.
        end: offset just past the last character.
        position: ordinal among the indexed words of the text (stopwords are
            not counted).
    """

    __slots__ = ("end", "position", "start", "term", "text")
    text: str
    term: str
    start: int
    end: int
    position: int

    def __init__(self, text: str, term: str, start: int, end: int, position: int):
        self._set(text, term, start, end, position)


class _Special:
    """The cached term of a chunk whose words are kept in ``_parts``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "SPECIAL"


_SPECIAL: Final = _Special()


class ChunkAnalysis:
    """Terms and word offsets of whole texts, analysed a chunk at a time.

    Args:
        analyse_word: the analyzer's analysis of one word of
            :data:`TOKEN_PATTERN` (cached by the analyzer).
        limit: most chunks remembered; a full cache is emptied and refilled.
    """

    def __init__(self, analyse_word: Callable[[str], WordAnalysis], limit: int):
        self._analyse_word = analyse_word
        self._limit = limit
        # Chunk -> its one term at offset 0 ("" when nothing is indexed), or
        # _SPECIAL when its (offset, term) pairs are in _parts. Written parts
        # first, so that a thread seeing _SPECIAL finds the parts (or, after
        # a clear, recomputes them).
        self._terms: dict[str, str | _Special] = {}
        self._parts: dict[str, tuple[tuple[int, str], ...]] = {}

    def __len__(self) -> int:
        return len(self._terms)

    def terms_and_starts(self, chunks: list[str]) -> tuple[list[str], list[int]]:
        """The terms of a text split by :func:`split_chunks`, and the offset
        where each one's word begins.

        The same as matching :data:`TOKEN_PATTERN` over the text and
        analysing each word (checked on every text of the shared data).
        """
        # Chunk i begins after the chunks before it and one space each.
        starts = list(
            map(add, accumulate(map(len, chunks), initial=0), range(len(chunks)))
        )
        terms: list[Any] = list(map(self._terms.get, chunks))
        if None in terms:
            at = terms.index(None)
            while True:
                terms[at] = self._analyse(chunks[at])
                try:
                    at = terms.index(None, at + 1)
                except ValueError:
                    break
        if _SPECIAL in terms:
            terms, starts = self._splice(terms, starts, chunks)
        # Stopwords and punctuation-only chunks have the term "".
        return list(filter(None, terms)), list(compress(starts, terms))

    def words(self, chunk: str) -> tuple[tuple[int, str], ...]:
        """``(offset, term)`` of each indexed word of one chunk (cached)."""
        term = self._terms.get(chunk)
        if term is None:
            term = self._analyse(chunk)
        if term is _SPECIAL:
            return self._parts_of(chunk)
        return ((0, term),) if term else ()  # type: ignore[return-value]

    def _splice(
        self, terms: list[Any], starts: list[int], chunks: list[str]
    ) -> tuple[list[Any], list[int]]:
        """Replace each special chunk's entry by its words' entries."""
        out_terms: list[Any] = []
        out_starts: list[int] = []
        done = 0
        at = terms.index(_SPECIAL)
        while True:
            out_terms += terms[done:at]
            out_starts += starts[done:at]
            base = starts[at]
            for offset, term in self._parts_of(chunks[at]):
                out_terms.append(term)
                out_starts.append(base + offset)
            done = at + 1
            try:
                at = terms.index(_SPECIAL, done)
            except ValueError:
                break
        out_terms += terms[done:]
        out_starts += starts[done:]
        return out_terms, out_starts

    def _parts_of(self, chunk: str) -> tuple[tuple[int, str], ...]:
        # Absent only if another thread emptied the cache meanwhile.
        return self._parts.get(chunk) or self._words(chunk)

    def _words(self, chunk: str) -> tuple[tuple[int, str], ...]:
        """(offset, term) of each indexed word of ``chunk``."""
        analyse = self._analyse_word
        core = chunk.strip(_EDGES)
        if core.isalpha():
            # One word between punctuation ("kata", "(kata),"): the pattern
            # would match just it, and a word of letters has one term.
            term = analyse(core)
            start = len(chunk) - len(chunk.lstrip(_EDGES))
            return ((start, term),) if term else ()  # type: ignore[return-value]
        words: list[tuple[int, str]] = []
        for match in TOKEN_RE.finditer(chunk):
            analysis = analyse(match.group())
            if isinstance(analysis, str):
                if analysis:
                    words.append((match.start(), analysis))
            else:
                base = match.start()
                words.extend((base + s, term) for s, _, term in analysis if term)
        return tuple(words)

    def _analyse(self, chunk: str) -> str | _Special:
        """Analyse a chunk not in the cache, and cache it."""
        words = self._words(chunk)
        term: str | _Special
        if not words:
            term = ""
        elif len(words) == 1 and words[0][0] == 0:
            term = words[0][1]
        else:
            term = _SPECIAL
        if len(self._terms) >= self._limit:
            self._terms.clear()
            self._parts.clear()
        if term is _SPECIAL:
            self._parts[chunk] = words
        self._terms[chunk] = term
        return term

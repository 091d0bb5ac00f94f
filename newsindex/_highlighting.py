"""Snippets: the passage of an article that best shows why it matched.

A :class:`Snippet` is data, a piece of text plus the character ranges to
highlight; rendering it (HTML, plain text, terminal colours) is a separate,
escaping step. Highlighting is stem-aware: words are matched by their index
term, so the query ``naik`` highlights ``kenaikan`` and ``menaikkan`` exactly
as they are written.

Choosing a snippet is four steps, kept apart:

1. *find*: where the query's words are. A search reads their offsets from the
   postings it gathered (:func:`query_matches`, :func:`spans_at`), so the hits'
   text is not analysed again; :func:`make_snippet` analyses a given text;
2. *score*: every window of :data:`SNIPPET_WIDTH` characters that starts at a
   match, by distinct query terms, then matches, inside it;
3. *place*: the best window, widened to the start of its sentence when that
   is close, and trimmed to whole words;
4. *format*: see :meth:`Snippet.html`, :meth:`Snippet.plain`,
   :meth:`Snippet.ansi`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Collection, Iterable, Sequence
from typing import Final

import numpy as np

from newsindex._analysis import Analyzer
from newsindex._fields import TEXT_FIELDS
from newsindex._gathering import Gathered
from newsindex._values import Value
from newsindex.errors import ConfigurationError

#: A query word found in a text: ``(start, end, term)``.
Match = tuple[int, int, str]

#: Target snippet length in characters (the result is 160-200 with ellipses).
SNIPPET_WIDTH: Final = 180
#: Only this much of an article is scanned for matches; beyond it, a snippet
#: falls back to the article's beginning.
SCAN_LIMIT: Final = 200_000
ELLIPSIS: Final = "…"

#: How far a cut point may move to reach white space.
MAX_CUT_SHIFT: Final = 60
_SPACE = re.compile(r"\s")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
# A sentence starts after ., ! or ? and white space.
_SENTENCE_START = re.compile(r"[.!?][\"')\]]*\s+(?=\S)")


class Snippet(Value):
    """Text with highlighted ranges.

    Attributes:
        text: the snippet (control characters already replaced by spaces).
        highlights: sorted, non-overlapping ``(start, end)`` offsets into
            :attr:`text`.
    """

    __slots__ = ("highlights", "text")
    text: str
    highlights: tuple[tuple[int, int], ...]

    def __init__(self, text: str, highlights: tuple[tuple[int, int], ...] = ()) -> None:
        self._set(text, highlights)

    def __str__(self) -> str:
        return self.text

    def plain(self) -> str:
        """The text without markup."""
        return self.text

    def html(self, tag: str = "mark") -> str:
        """HTML: the text escaped, each highlight wrapped in ``<tag>``.

        Only the highlight tags are markup; everything from the article is
        escaped, quotes included.

        Raises:
            ConfigurationError: ``tag`` is not a plain tag name.
        """
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", tag):
            raise ConfigurationError(f"not a tag name: {tag!r}")
        return self._render(
            lambda s: html.escape(s, quote=True), f"<{tag}>", f"</{tag}>"
        )

    def ansi(self, on: str = "\x1b[1;33m", off: str = "\x1b[0m") -> str:
        """Terminal text, highlights in bold yellow (or the given codes)."""
        return self._render(lambda s: s, on, off)

    def _render(self, escape: object, before: str, after: str) -> str:
        assert callable(escape)
        parts: list[str] = []
        last = 0
        for start, end in self.highlights:
            parts.append(escape(self.text[last:start]))
            parts.append(before + escape(self.text[start:end]) + after)
            last = end
        parts.append(escape(self.text[last:]))
        return "".join(parts)


#: Where a query word begins in each hit's fields: (hit, field) -> [(start, term)].
MatchStarts = dict[tuple[int, str], list[tuple[int, str]]]


def query_matches(
    gathered: Gathered, terms: Iterable[str], docs: Sequence[tuple[int, int]]
) -> MatchStarts:
    """Where the query's ``terms`` begin in each of ``docs``.

    Args:
        gathered: the search's posting lists.
        terms: the positive query terms.
        docs: ``(segment index, document number)`` of each hit.

    Returns:
        ``(hit index, field) -> [(start, term), ...]``, read from the offsets
        stored in the postings, so the hits' text is not analysed again.
    """
    found: MatchStarts = {}
    by_segment: dict[int, dict[int, int]] = {}
    for hit, (si, docnum) in enumerate(docs):
        by_segment.setdefault(si, {})[docnum] = hit
    for si, hit_of in by_segment.items():
        numbers = sorted(hit_of)
        wanted = np.asarray(numbers, dtype=np.uint32)
        for term in terms:
            for field in TEXT_FIELDS:
                postings = gathered.terms.get((si, field, term))
                if postings is None or postings.starts is None:
                    continue
                # A handful of documents: find the ones holding the term
                # at once, then read each one's run of offsets.
                ids = postings.ids
                firsts = ids.searchsorted(wanted)
                held = (ids.searchsorted(wanted, side="right") > firsts).tolist()
                if not any(held):
                    continue
                bounds = postings.bounds
                for doc, i, has in zip(numbers, firsts.tolist(), held, strict=True):
                    if has:
                        starts = postings.starts[bounds[i] : bounds[i + 1]].tolist()
                        found.setdefault((hit_of[doc], field), []).extend(
                            (start, term) for start in starts
                        )
    return found


def spans_at(
    analyzer: Analyzer, text: str, starts: Iterable[tuple[int, str]]
) -> list[Match]:
    """``(start, end, term)`` of the words beginning at ``starts``.

    A word's end comes from the analyzer; where a doubled word sits inside
    a longer compound (``x-anak-anak``), that end may run past the next
    word's start, so it is cut back to it, hyphen and all.
    """
    spans: list[Match] = []
    ordered = sorted(starts)
    ends = analyzer.word_ends(text, [start for start, _ in ordered])
    for (start, term), end in zip(ordered, ends, strict=True):
        if end < 0:
            continue
        if spans and spans[-1][1] > start:
            first, _, first_term = spans[-1]
            cut = first + len(text[first:start].rstrip("-"))
            spans[-1] = (first, cut, first_term)
        spans.append((start, end, term))
    return spans


def _clean(text: str) -> str:
    # One character for one, so offsets stay valid.
    return _CONTROL.sub(" ", text)


def _matches(text: str, analyzer: Analyzer, terms: Collection[str]) -> list[Match]:
    if not terms:
        return []
    return [span for span in analyzer.spans(text[:SCAN_LIMIT]) if span[2] in terms]


def highlight_text(text: str, analyzer: Analyzer, terms: Collection[str]) -> Snippet:
    """Highlight every match in the whole of ``text`` (for titles)."""
    return highlight_matches(text, _matches(text, analyzer, terms))


def highlight_matches(text: str, matches: Sequence[Match]) -> Snippet:
    """Highlight the given ``(start, end, term)`` matches in the whole text."""
    return Snippet(_clean(text), tuple((s, e) for s, e, _ in matches))


def make_snippet(
    text: str,
    analyzer: Analyzer,
    terms: Collection[str],
    *,
    width: int = SNIPPET_WIDTH,
) -> Snippet:
    """Choose and highlight the passage of ``text`` densest in ``terms``.

    Args:
        text: the article body.
        analyzer: the index's analyzer.
        terms: query terms (already analysed).
        width: target length in characters.
    """
    return snippet_from_matches(text, _matches(text, analyzer, terms), width=width)


def snippet_from_matches(
    text: str, matches: Sequence[Match], *, width: int = SNIPPET_WIDTH
) -> Snippet:
    """Choose and highlight the passage densest in ``matches``.

    Args:
        text: the article body.
        matches: ``(start, end, term)`` of each query word in ``text``,
            sorted and not overlapping (searches take them from the index's
            stored offsets, so the body need not be analysed again).
        width: target length in characters.
    """
    if not matches:
        start, end = 0, _word_end(text, width)
        if end == 0:  # one giant token: cutting it is the only choice
            end = min(len(text), width)
    else:
        first, last = _best_window(matches, width)
        start, end = _place(text, matches[first][0], matches[last][1], width)
    return _cut(
        text, start, end, [(s, e) for s, e, _ in matches if s >= start and e <= end]
    )


def _best_window(matches: Sequence[Match], width: int) -> tuple[int, int]:
    """Indexes of the first and last match of the best window.

    The best window holds the most distinct terms, then the most matches,
    within ``width`` characters (a window of one match may be longer); the
    earliest wins ties. One pass with a sliding window of term counts.
    """
    best = (-1, -1)
    best_range = (0, 0)
    counts: dict[str, int] = {}
    j = -1  # the window is matches[i : j + 1]
    for i, (start, _, term) in enumerate(matches):
        if j < i:
            j = i
            counts[term] = counts.get(term, 0) + 1
        while j + 1 < len(matches) and matches[j + 1][1] - start <= width:
            j += 1
            added = matches[j][2]
            counts[added] = counts.get(added, 0) + 1
        score = (len(counts), j - i + 1)
        if score > best:
            best, best_range = score, (i, j)
        if counts[term] == 1:
            del counts[term]
        else:
            counts[term] -= 1
    return best_range


def _place(text: str, first: int, last: int, width: int) -> tuple[int, int]:
    """A window of about ``width`` characters around ``[first, last)``."""
    slack = max(0, width - (last - first))
    earliest = max(0, first - slack)
    start = max(0, first - slack // 3)
    # Prefer to begin at the start of the sentence holding the first match,
    # when that start is close enough to keep the matches in the window.
    sentence = None
    for m in _SENTENCE_START.finditer(text, earliest, first + 1):
        sentence = m.end()
    if sentence is not None and sentence <= first:
        start = sentence
    elif earliest == 0:
        start = 0
    start = _word_start(text, start)
    end = _word_end(text, start + width)
    if end < last:  # the trimmed window must keep its matches
        end = last
    return start, end


def _word_start(text: str, i: int) -> int:
    """Move ``i`` forward to the start of a word: just after white space.

    Cutting only at white space keeps numbers (``5,2``), amounts
    (``Rp13.100``) and compounds (``anak-anak``) whole. Without white space
    within :data:`MAX_CUT_SHIFT` characters, ``i`` stays (a hard cut).
    """
    if i <= 0:
        return 0
    if not text[i - 1].isspace():
        space = _SPACE.search(text, i, i + MAX_CUT_SHIFT)
        if space is None:
            return i
        i = space.start()
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def _word_end(text: str, i: int) -> int:
    """Move ``i`` back to the end of a word: just before white space."""
    if i >= len(text):
        return len(text)
    if not text[i].isspace():
        j = i
        floor = max(0, i - MAX_CUT_SHIFT)
        while j > floor and not text[j - 1].isspace():
            j -= 1
        if j == 0 or not text[j - 1].isspace():
            return i if j > 0 else 0
        i = j
    while i > 0 and text[i - 1].isspace():
        i -= 1
    return i


def _cut(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> Snippet:
    piece = _clean(text[start:end])
    prefix = ELLIPSIS + " " if start > 0 else ""
    suffix = " " + ELLIPSIS if end < len(text) else ""
    shift = len(prefix) - start
    highlights = tuple((s + shift, e + shift) for s, e in spans)
    return Snippet(prefix + piece + suffix, highlights)
